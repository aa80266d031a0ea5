/**
 * Hostile and malformed scenarios: thousands of generated and mutated documents thrown
 * at the loader. Every one either validates or gets a clear, analyst-facing problem:
 * never an exception, never a hang, never a stack trace or internal error as a message.
 * A valid one always gets a memory estimate and check that work.
 *
 * Reproducible: a fixed seed, `FUZZ_SEED=<n>` to try another, `FUZZ_RUNS=<n>` for the
 * total number of cases (default 2,400, shared among the properties by weight),
 * `FUZZ_VERBOSE=1` to print how many were valid and the slowest case. A failure prints
 * the seed and path to replay it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { LIMITS, estimateMemory, memoryProblem, parseScenario, validateScenario, type Problem, type ScenarioResult } from '.';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_240_611;
const TOTAL = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 2_400;
/** A case that takes this long means the loader can be made to hang: a correctness bound, not a benchmark. */
const MAX_MS = 2_000;

let cases = 0;
/** Answers of each kind, to show the generators reach both sides of the loader. */
const outcomes = { valid: 0, refused: 0 };
let slowest = 0;
/** fast-check parameters for a property that gets `share` of the cases. */
const params = (share: number) => ({ seed: SEED, numRuns: Math.max(1, Math.round(TOTAL * share)) });

const SCENARIOS = fileURLToPath(new URL('../../../../scenarios/', import.meta.url));
const SHIPPED = readdirSync(SCENARIOS)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => readFileSync(`${SCENARIOS}${f}`, 'utf8'));

// --- what every answer must look like ----------------------------------------------------

/** Signs of an internal error leaking into a message meant for an analyst. */
const INTERNAL = [
  /^\s+at /m, // a stack frame
  /\b(TypeError|ReferenceError|RangeError|SyntaxError|InternalError)\b/,
  /Maximum call stack/i,
  /\[object \w+\]/,
  /=>|\bfunction\s*\(/, // JavaScript source
  /\b[A-Za-z_]\w*\.[A-Za-z_]\w*\(\)/, // a method call such as YAML.parseAllDocuments()
];

/** Text the analyst wrote, quoted in a message; it may contain anything. */
const QUOTED = /"(?:[^"\\]|\\.)*"/g;

function checkProblem(p: Problem): void {
  expect(typeof p.path).toBe('string');
  expect(p.path).not.toMatch(/[\u0000-\u001f]/);
  expect(typeof p.message).toBe('string');
  const message = p.message.trim();
  expect(message.length).toBeGreaterThan(0);
  expect(['undefined', 'null', 'Invalid input', 'error']).not.toContain(message);
  // One line each: formatProblem prints `file:line:col: path: message` for terminals and CI logs.
  expect(p.message).not.toMatch(/[\u0000-\u001f]/);
  const own = p.message.replace(QUOTED, '""');
  for (const pattern of INTERNAL) expect(own, p.message).not.toMatch(pattern);
  if (p.line !== undefined) expect(Number.isInteger(p.line) && p.line >= 1).toBe(true);
  if (p.column !== undefined) expect(Number.isInteger(p.column) && p.column >= 1).toBe(true);
}

/** A valid scenario gets a finite memory estimate and a memory check that can pass and fail. */
function checkMemory(result: Extract<ScenarioResult, { ok: true }>): void {
  const { scenario } = result;
  expect(typeof scenario.name).toBe('string');
  const estimate = estimateMemory(scenario, { scanThreads: 1 });
  expect(Number.isFinite(estimate.bytes)).toBe(true);
  expect(estimate.bytes).toBeGreaterThan(0);
  const parts = Object.values(estimate.parts);
  for (const b of parts) expect(Number.isFinite(b) && b >= 0).toBe(true);
  expect(parts.reduce((a, b) => a + b, 0)).toBeCloseTo(estimate.bytes, -3);
  expect(memoryProblem(scenario, estimate.bytes, { scanThreads: 1 })).toBeNull();
  const problem = memoryProblem(scenario, estimate.bytes / 2, { scanThreads: 1 });
  expect(problem).not.toBeNull();
  checkProblem(problem as Problem);
  expect(problem?.message).toMatch(/needs about .* of memory/);
}

/** Runs the loader on one case and holds its answer to the contract above. */
function load(run: () => ScenarioResult): ScenarioResult {
  cases++;
  const started = performance.now();
  const result = run(); // throwing fails the property: the loader must never throw
  const ms = performance.now() - started;
  slowest = Math.max(slowest, ms);
  expect(ms, 'one case took too long: a possible hang').toBeLessThan(MAX_MS);
  expect(typeof result.ok).toBe('boolean');
  outcomes[result.ok ? 'valid' : 'refused']++;
  if (result.ok) checkMemory(result);
  else {
    expect(Array.isArray(result.problems)).toBe(true);
    expect(result.problems.length).toBeGreaterThan(0);
    for (const p of result.problems) checkProblem(p);
    // Each problem once: the same line twice reads as two mistakes.
    const lines = result.problems.map((p) => `${p.line}:${p.column}:${p.path}: ${p.message}`);
    expect(new Set(lines).size, lines.join('\n')).toBe(lines.length);
  }
  return result;
}

const parse = (text: string) => load(() => parseScenario(text, 'fuzz.yaml'));
const validate = (data: unknown) => load(() => validateScenario(data, 'fuzz.yaml'));

// --- hostile values ------------------------------------------------------------------------

const nested = (depth: number, open: string, close: string, leaf = '1') => open.repeat(depth) + leaf + close.repeat(depth);

/** Billion laughs: each level refers nine times to the one before. */
const aliasBomb = (levels: number) =>
  [
    `l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]`,
    ...Array.from({ length: levels }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(', ')}]`),
  ].join('\n');

const hostileScalar: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '1e308',
    '-1e308',
    '1e400',
    '-1',
    '0',
    '-0',
    '0.5',
    '1.5',
    '.inf',
    '-.inf',
    '.nan',
    'NaN',
    'Infinity',
    '~',
    'null',
    'Null',
    '""',
    "''",
    'yes',
    'no',
    'on',
    'true',
    'false',
    '0x7fffffff',
    '0o777',
    '0b101',
    '9007199254740993',
    '123456789012345678901234567890',
    '1e-320',
    '1_000',
    "'12'",
    '"\\u0000"',
    '"\\t"',
    '[]',
    '{}',
    '[1, 2, 3]',
    '{a: 1}',
    '[dm, dm, dm, dm]',
    '[e2ee]',
    '&anchor 5',
    '*anchor',
    '*nope',
    '&a [*a]',
    '!!binary aGVsbG8=',
    '!!str 5',
    '!!int 3.7',
    '!!float abc',
    '!!map {}',
    '!!seq []',
    '!custom 1',
    '!<tag:x> 1',
    '!!timestamp 2001-12-14',
    '!!set {a, b}',
    '!!omap [{a: 1}]',
    '!!null',
    '|',
    '>-',
    '? complex',
    '<<: *anchor',
    '@',
    '`x`',
    '%',
    '"unterminated',
    "'unterminated",
    '[unclosed',
    '{unclosed',
    'a: b: c',
    '- - -',
    '\t1',
    '# only a comment',
    'TypeError',
    '[object Object]',
    'undefined',
    '__proto__',
    'constructor',
    'e2ee',
    'none',
    'dm',
  ),
  fc.double().map(String),
  fc.integer({ min: -(2 ** 53), max: 2 ** 53 }).map(String),
  fc.string({ maxLength: 40 }).map((s) => JSON.stringify(s)),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.integer({ min: 1, max: 8_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1, max: 60 }).map((n) => nested(n, '[', ']')),
  fc.integer({ min: 1, max: 60 }).map((n) => nested(n, '{a: ', '}')),
);

/** Whole lines to insert: documents, directives, anchors, bombs, keys that do not belong. */
const hostileLines: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '---',
    '...',
    '--- !!map',
    '%YAML 1.2',
    '%TAG ! tag:x,2024:',
    'seed: 2',
    'population: null',
    'population: []',
    '? [a, b]\n: 1',
    'seed: &s 1',
    'durationDays: *s',
    '<<: {seed: 3}',
    'extra: field',
    '  nested: under',
    '\tseed: 1',
    '- item',
    'name: !!binary aGVsbG8=',
    'traffic: *traffic',
    'detection: &d {hashBank: *d}',
    'review: {priority: [metadata, metadata, nope]}',
    '\uFEFFseed: 1',
    '"seed": 1',
    "'durationDays': 2",
  ),
  fc.integer({ min: 2, max: 12 }).map(aliasBomb),
  fc.integer({ min: 2, max: 12 }).map((n) => `${aliasBomb(n)}\ndescription: *l${n}`),
  fc.integer({ min: 1, max: 2_000 }).map((n) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')),
  fc.integer({ min: 1, max: 100 }).map((n) => `${'- '.repeat(n)}1`),
  fc.tuple(fc.string({ unit: 'grapheme', maxLength: 20 }), hostileScalar).map(([k, v]) => `${k}: ${v}`),
);

// --- (a) mutations of the shipped scenarios -------------------------------------------------

type Mutation =
  | { kind: 'delete' | 'duplicate' | 'indent' | 'dedent'; at: number }
  | { kind: 'swap'; at: number; with: number }
  | { kind: 'value'; at: number; value: string }
  | { kind: 'insert'; at: number; line: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'char'; at: number; char: string };

/** Plausible values: the edits an analyst makes, which mostly keep the scenario valid. */
const plausibleScalar: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 0, max: 5_000 }).map(String),
  fc.double({ min: 0, max: 1, noNaN: true }).map((x) => x.toFixed(3)),
  fc.constantFrom('true', 'false', 'none', 'e2ee', '[dm]', '[dm, public]'),
);

/** An analyst's edits: a line gone, a value changed. */
const edit: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('value' as const), at: fc.nat(), value: plausibleScalar }),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('delete' as const, 'duplicate' as const, 'indent' as const, 'dedent' as const), at: fc.nat() }),
  { arbitrary: fc.record({ kind: fc.constant('value' as const), at: fc.nat(), value: plausibleScalar }), weight: 3 },
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  { arbitrary: fc.record({ kind: fc.constant('value' as const), at: fc.nat(), value: hostileScalar }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), line: hostileLines }), weight: 2 },
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('char' as const), at: fc.nat(), char: fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }) }),
);

/** Lines that set a field to a value (`key: value`, comment after it or not). */
const VALUE_LINE = /^(\s*(?:- )?[A-Za-z][\w]*:\s*)([^#\n]*?)(\s*(?:#.*)?)$/;

function mutate(text: string, mutations: readonly Mutation[]): string {
  let lines = text.split('\n');
  for (const m of mutations) {
    const i = m.at % Math.max(1, lines.length);
    switch (m.kind) {
      case 'delete':
        lines.splice(i, 1);
        break;
      case 'duplicate':
        lines.splice(i, 0, lines[i] ?? '');
        break;
      case 'indent':
        lines[i] = `  ${lines[i] ?? ''}`;
        break;
      case 'dedent':
        lines[i] = (lines[i] ?? '').replace(/^ {1,2}/, '');
        break;
      case 'swap': {
        const j = m.with % Math.max(1, lines.length);
        [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
        break;
      }
      case 'value': {
        // The value of the i-th line that has one (the file's figures and settings).
        const candidates = lines.flatMap((l, k) => (VALUE_LINE.test(l) && !/:\s*$/.test(l.replace(/#.*/, '')) ? [k] : []));
        const k = candidates[m.at % Math.max(1, candidates.length)];
        if (k !== undefined) lines[k] = (lines[k] as string).replace(VALUE_LINE, (_all, key: string, _v, rest: string) => `${key}${m.value}${rest}`);
        break;
      }
      case 'insert':
        lines.splice(i, 0, ...m.line.split('\n'));
        break;
      case 'truncate': {
        const joined = lines.join('\n');
        lines = joined.slice(0, m.at % Math.max(1, joined.length)).split('\n');
        break;
      }
      case 'char': {
        const joined = lines.join('\n');
        const at = m.at % Math.max(1, joined.length);
        lines = (joined.slice(0, at) + m.char + joined.slice(at + 1)).split('\n');
        break;
      }
    }
  }
  return lines.join('\n');
}

// --- (b) YAML-ish text ---------------------------------------------------------------------

const TOKENS = [
  '\n',
  '\n',
  ' ',
  '  ',
  '\t',
  '- ',
  ':',
  ': ',
  '? ',
  '[',
  ']',
  '{',
  '}',
  ', ',
  '&a ',
  '*a',
  '&b ',
  '*b',
  '!!binary ',
  '!!str ',
  '!t ',
  '---\n',
  '...\n',
  '# c',
  '|\n',
  '>\n',
  '"',
  "'",
  '\\',
  'seed',
  'durationDays',
  'population',
  'adults',
  'minors',
  'traffic',
  'detection',
  'hashBank',
  'size',
  '1',
  '0',
  '-1',
  '1e308',
  '.inf',
  '.nan',
  'null',
  'true',
  '%YAML 1.2\n',
  '<<',
  '@',
  '`',
  '\u0000',
  '\uFEFF',
  '\u2028',
  'é',
  '😀',
  '\r\n',
];
const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 200 }).map((t) => t.join(''));

// --- (c) and (d): objects ----------------------------------------------------------------------

/** Where a field lives in the schema, for generators that put a value there. */
const FIELD_PATHS = [
  ['seed'],
  ['durationDays'],
  ['name'],
  ['description'],
  ['population'],
  ['population', 'adults'],
  ['population', 'minors'],
  ['population', 'offenders', 'sharers', 'count'],
  ['population', 'offenders', 'groomers', 'escalation'],
  ['population', 'lookalikes', 'mentors'],
  ['traffic'],
  ['traffic', 'contactsPerUser'],
  ['traffic', 'messagesPerUserPerDay'],
  ['surfaces', 'directMessages', 'encryption'],
  ['content', 'images', 'abusive', 'score', 'sd'],
  ['detection', 'hashBank', 'size'],
  ['detection', 'hashMatching', 'surfaces'],
  ['detection', 'metadata', 'unconnectedMinors', 'windowHours'],
  ['detection', 'clientSideScanning'],
  ['review', 'priority'],
  ['referral'],
];

function setIn(base: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const out = structuredClone(base);
  let node: Record<string, unknown> = out;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node[key] = next !== null && typeof next === 'object' && !Array.isArray(next) ? next : {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
  return out;
}

/** A count within its limit most of the time, and past it (or odd) now and then. */
const around = (limit: number, min = 0) =>
  fc.oneof(
    { arbitrary: fc.integer({ min, max: Math.max(min, Math.min(limit, 2_000)) }), weight: 6 },
    { arbitrary: fc.integer({ min, max: limit }), weight: 3 },
    { arbitrary: fc.integer({ min: limit + 1, max: limit * 2 }), weight: 1 },
    { arbitrary: fc.constantFrom(min - 1, 0.5, 1e308, Number.NaN), weight: 1 },
  );

/** Scenarios built from the schema's structure with random sizes, mostly valid. */
const sized = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 40 }),
  durationDays: around(LIMITS.days, 1),
  population: fc.record({
    adults: fc.oneof({ arbitrary: fc.integer({ min: 2_000, max: 100_000 }), weight: 3 }, around(LIMITS.users, 1)),
    minors: fc.oneof({ arbitrary: fc.integer({ min: 200, max: 100_000 }), weight: 3 }, around(LIMITS.users)),
    communitySize: fc.integer({ min: 1, max: 10_000 }),
    offenders: fc.record({
      sharers: fc.record({
        count: fc.oneof(fc.integer({ min: 0, max: 300 }), around(1_000)),
        abusiveImagesPerDay: fc.double({ min: 0, max: 1_000, noNaN: true }),
      }),
      groomers: fc.record({ count: fc.integer({ min: 0, max: 300 }), conversationDays: around(LIMITS.days, 1) }),
    }),
    lookalikes: fc.record({
      mentors: fc.record({
        count: fc.integer({ min: 0, max: 300 }),
        minorsEach: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 100 }), weight: 4 }, fc.integer({ min: 1, max: 100_000 })),
      }),
    }),
  }),
  traffic: fc.record({
    messagesPerUserPerDay: fc.oneof(fc.double({ min: 0, max: LIMITS.messagesPerUserPerDay, noNaN: true }), around(LIMITS.messagesPerUserPerDay)),
    contactsPerUser: fc.oneof({ arbitrary: fc.double({ min: 0, max: 100, noNaN: true }), weight: 3 }, fc.integer({ min: 0, max: 10_000 })),
    popularImages: around(10_000_000, 1),
  }),
  surfaces: fc.record({ directMessages: fc.record({ encryption: fc.constantFrom('none', 'e2ee') }) }),
  detection: fc.record({
    hashBank: fc.record({ size: around(LIMITS.bankSize, 1) }),
    hashMatching: fc.record({ matchDistance: fc.integer({ min: 0, max: 256 }) }),
    imageClassifier: fc.record({ threshold: fc.double({ min: 0, max: 1, noNaN: true }) }),
    clientSideScanning: fc.record({ enabled: fc.boolean() }),
  }),
});

/** Fields with a size limit: past it, a problem names the field (or the group it is in). */
const LIMITED: [path: readonly string[], limit: number][] = [
  [['durationDays'], LIMITS.days],
  [['population', 'adults'], LIMITS.users],
  [['population', 'minors'], LIMITS.users],
  [['traffic', 'messagesPerUserPerDay'], LIMITS.messagesPerUserPerDay],
  [['detection', 'hashBank', 'size'], LIMITS.bankSize],
];

const get = (data: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), data);

// --- the properties ------------------------------------------------------------------------------

describe('the scenario loader under hostile input', () => {
  it('answers every mutation of the shipped scenarios with a scenario or a clear problem', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: SHIPPED.length - 1 }),
        fc.oneof(fc.array(edit, { minLength: 1, maxLength: 3 }), fc.array(mutation, { minLength: 1, maxLength: 4 })),
        (which, mutations) => {
          parse(mutate(SHIPPED[which] as string, mutations));
        },
      ),
      params(0.4),
    );
  });

  it('answers arbitrary text and YAML token soup', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), tokenSoup, tokenSoup, hostileLines), (text) => {
        parse(text);
      }),
      params(0.2),
    );
  });

  it('answers arbitrary values, alone or at a field of a valid scenario, through validateScenario', () => {
    const base = { seed: 1, durationDays: 2, population: { adults: 30, minors: 10 } };
    const anything = fc.anything({
      maxDepth: 4,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
      withUnicodeString: true,
    });
    fc.assert(
      fc.property(
        fc.oneof(
          anything,
          fc.object(),
          fc.tuple(fc.constantFrom(...FIELD_PATHS), anything).map(([path, value]) => setIn(base, path, value)),
          fc.tuple(fc.constantFrom(...FIELD_PATHS), fc.string({ maxLength: 20 }), anything).map(([path, key, value]) => setIn(base, [...path, key], value)),
        ),
        (data) => {
          validate(data);
        },
      ),
      params(0.15),
    );
  });

  it('answers scenarios of random sizes, refusing every field past its limit by name', () => {
    fc.assert(
      fc.property(sized, fc.boolean(), (data, asYaml) => {
        const result = asYaml ? parse(stringify(data)) : validate(data);
        for (const [path, limit] of LIMITED) {
          const value = get(data, path);
          if (typeof value === 'number' && value > limit) {
            const field = path.join('.');
            expect(result.ok).toBe(false);
            if (!result.ok)
              expect(
                result.problems.some((p) => p.path !== '' && (field === p.path || field.startsWith(`${p.path}.`))),
                field,
              ).toBe(true);
          }
        }
        const p = data.population;
        if (typeof p.adults === 'number' && typeof p.minors === 'number' && p.adults + p.minors > LIMITS.users) expect(result.ok).toBe(false);
      }),
      params(0.25),
    );
  });

  it(`ran at least ${Math.min(TOTAL, 2_000)} cases, valid and refused ones`, () => {
    if (process.env.FUZZ_VERBOSE) console.log({ cases, ...outcomes, slowestMs: Math.round(slowest) });
    expect(cases).toBeGreaterThanOrEqual(Math.min(TOTAL, 2_000));
    expect(outcomes.valid).toBeGreaterThan(cases / 20);
    expect(outcomes.refused).toBeGreaterThan(cases / 20);
  });
});

// --- what the fuzzer found ------------------------------------------------------------------

describe('regressions the fuzzer found', () => {
  const problemsOf = (text: string) => {
    const r = parseScenario(text, 'x.yaml');
    if (r.ok) throw new Error('expected problems, got a valid scenario');
    return r.problems;
  };
  const valid = 'seed: 1\ndurationDays: 2\npopulation: {adults: 30, minors: 10}\n';

  it('refuses deep nesting before the YAML library recurses into it, as often as asked', () => {
    // Before: "Maximum call stack size exceeded" the first time; the second such file in
    // one process aborted Node inside V8's regular-expression compiler (fatal, uncatchable).
    for (const text of ['['.repeat(5_000) + ']'.repeat(5_000), '['.repeat(20_000), '{a: '.repeat(3_000) + '}'.repeat(3_000), `x:\n${'- '.repeat(3_000)}1`]) {
      for (let i = 0; i < 2; i++) {
        const problems = problemsOf(text);
        expect(problems).toHaveLength(1);
        expect(problems[0]?.message).toBe(`mappings and lists are nested more than ${LIMITS.nesting} levels deep here; a scenario needs at most 5`);
        expect(problems[0]?.line).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('allows nesting up to the limit', () => {
    // The document's mapping is one level.
    const at = (levels: number) => `${valid}description: ${nested(levels - 1, '[', ']')}\n`;
    expect(problemsOf(at(LIMITS.nesting)).map((p) => p.path)).toEqual(['description']);
    expect(problemsOf(at(LIMITS.nesting + 1)).map((p) => p.message)).toEqual([expect.stringMatching(/nested more than/)]);
  });

  it('refuses a file past the size limit before parsing it', () => {
    const padded = (chars: number) => `${valid}#${'x'.repeat(chars - valid.length - 1)}`;
    expect(parseScenario(padded(LIMITS.textChars), 'x.yaml').ok).toBe(true);
    const started = performance.now();
    expect(problemsOf(padded(LIMITS.textChars + 1))).toEqual([
      {
        path: '',
        message: `the file has ${LIMITS.textChars + 1} characters; a scenario file may have at most ${LIMITS.textChars} (the shipped ones have about 6,000)`,
      },
    ]);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('says a second document is one too many, in the analyst’s words', () => {
    expect(problemsOf(`${valid}---\nseed: 2\n`)).toEqual([
      {
        path: '',
        message: 'not valid YAML: the file holds more than one YAML document (a "---" or "..." line after content); a scenario is one document',
        line: 4,
        column: 1,
      },
    ]);
  });

  it('keeps every problem on one line, whatever characters a key or alias has', () => {
    const keyed = validateScenario({ seed: 1, durationDays: 2, population: { adults: 30, minors: 10, 'a\nb\u0000': 1 } }, 'x.yaml');
    expect(keyed.ok).toBe(false);
    if (!keyed.ok)
      expect(keyed.problems[0]).toMatchObject({
        path: 'population."a\\nb\\u0000"',
        message: expect.stringMatching(/^unknown field "a\\nb\\u0000"; allowed here:/),
      });
    const [alias] = problemsOf('*b\u0000');
    expect(alias?.message).not.toMatch(/[\u0000-\u001f]/);
    expect(alias?.message).toContain('\\u0000');
  });

  it('reports each problem once', () => {
    // zod's whole-number and maximum checks both fail for 1e400, with the same words.
    expect(problemsOf(`seed: 1\ndurationDays: 1e400\npopulation: {adults: 30, minors: 10}\n`)).toHaveLength(1);
    // The YAML library reports an unclosed flow collection at one place twice.
    expect(problemsOf('{[[')).toHaveLength(new Set(problemsOf('{[[').map((p) => p.message)).size);
  });

  it('names an alias bomb, and refuses YAML tags by field', () => {
    expect(problemsOf(`${valid}${aliasBomb(9)}\ndescription: *l9\n`)).toEqual([
      { path: '', message: 'not valid YAML: aliases (*name) expand to too much data; a scenario may repeat an anchored part (&name) at most 100 times in all' },
    ]);
    expect(
      problemsOf('seed: !!binary aGVsbG8=\ndurationDays: !!timestamp 2001-12-14\npopulation: {adults: 30, minors: 10}').map((p) => [p.path, p.message]),
    ).toEqual([
      ['seed', expect.stringMatching(/^the YAML tag !!binary is not allowed/)],
      ['durationDays', expect.stringMatching(/^the YAML tag !!timestamp is not allowed/)],
    ]);
  });
});
