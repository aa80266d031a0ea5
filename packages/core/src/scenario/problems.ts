/**
 * Reading a scenario file: YAML (or an already-parsed object) to a validated scenario,
 * or to every problem found, each with its field path and, where the file has one, the
 * line and column. Parsing never throws on bad input.
 */
import { LineCounter, Parser, parseDocument, isMap, isNode, isScalar, isSeq, type CST, type Document } from 'yaml';
import type { z } from 'zod';
import { LIMITS, unprintable } from './fields';
import { WORLD_USER_REPORT_FIELDS } from './platforms';
import { accountSlots, contactPairs } from './pairs';
import { scenarioSchema, type Scenario } from './schema';

export interface Problem {
  /** Dotted field path, e.g. `population.adults`; empty for the document itself. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export type ScenarioResult = { ok: true; scenario: Scenario } | { ok: false; problems: Problem[] };

/** Control characters (line breaks included) would split a problem's one line: such keys are quoted. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : CONTROL.test(String(p)) ? escapeControl(JSON.stringify(String(p))) : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

/** Text from the file inside a library's message, with control characters written as escapes. */
function escapeControl(text: string): string {
  return text.replace(new RegExp(CONTROL.source, 'g'), (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A key as a message quotes it: escaped, and cut short if long. */
function quoteKey(key: string): string {
  return escapeControl(JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key));
}

/** Walks the schema to the object at `path`, to list the fields allowed there. */
function allowedKeysAt(path: readonly PropertyKey[]): string[] {
  let node: z.ZodType = scenarioSchema;
  for (const key of [...path, null]) {
    // unwrap default / prefault / optional wrappers
    for (let i = 0; i < 5; i++) {
      const def = (node as unknown as { _zod: { def: { innerType?: z.ZodType } } })._zod.def;
      if (def.innerType) node = def.innerType;
      else break;
    }
    if (key === null) break;
    const shape = (node as unknown as { shape?: Record<string, z.ZodType> }).shape;
    const next = shape?.[String(key)];
    if (!next) return [];
    node = next;
  }
  const shape = (node as unknown as { shape?: Record<string, z.ZodType> }).shape;
  return shape ? Object.keys(shape) : [];
}

/** Where in the file the node at `path` (or its key `key`) is: line and column, or nothing if the path is not in the file. */
export function position(doc: Document, counter: LineCounter, path: readonly PropertyKey[], key?: string): { line?: number; column?: number } {
  // Find the deepest node of the path that exists; for an unknown key, the key's own node.
  let parts = path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  while (parts.length >= 0) {
    const node = parts.length === 0 ? doc.contents : doc.getIn(parts, true);
    if (isNode(node) && node.range) {
      let offset = node.range[0];
      if (key !== undefined && isMap(node)) {
        const pair = node.items.find((p) => isNode(p.key) && (p.key as { value?: unknown }).value === key);
        if (pair && isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
      } else if (parts.length > 0) {
        // Point at the key rather than the value where we can.
        const parent = parts.length === 1 ? doc.contents : doc.getIn(parts.slice(0, -1), true);
        if (isMap(parent)) {
          const last = parts[parts.length - 1];
          const pair = parent.items.find((p) => isNode(p.key) && (p.key as { value?: unknown }).value === last);
          if (pair && isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
        }
      }
      const { line, col } = counter.linePos(offset);
      return { line, column: col };
    }
    if (parts.length === 0) break;
    parts = parts.slice(0, -1);
  }
  return {};
}

/**
 * Parses and validates scenario text. `file` is only used for the default name.
 * Returns every problem found, in document order.
 */
export function parseScenario(text: string, file: string): ScenarioResult {
  const yaml = parseScenarioYaml(text);
  if (!yaml.ok) return yaml;
  return validateScenario(yaml.data, file, yaml.doc, yaml.counter);
}

/** A scenario file's YAML as plain data (mappings, lists, scalars), with the parsed document for positions. */
export type YamlResult = { ok: true; data: unknown; doc: Document; counter: LineCounter } | { ok: false; problems: Problem[] };

/**
 * Parses scenario text to plain data, refusing what the scenario's YAML may not hold:
 * more than LIMITS.textChars characters, nesting past LIMITS.nesting, a YAML version
 * other than 1.2, tags (`!!omap`, `!!set`, `!!binary`, `!foo`: a tag turns a section
 * into something that is not a mapping of fields, which would otherwise be read as an
 * empty section and silently take its defaults), a field given twice, and aliases that
 * expand past 100 copies.
 */
export function parseScenarioYaml(text: string): YamlResult {
  // Bounded before the YAML parser sees the text: a huge file costs time and memory to
  // parse, and a deeply nested one overflows the stack (see nestedTooDeep).
  if (text.length > LIMITS.textChars) {
    return {
      ok: false,
      problems: [
        {
          path: '',
          message: `the file has ${text.length} characters; a scenario file may have at most ${LIMITS.textChars} (the shipped ones have about 6,000)`,
        },
      ],
    };
  }
  const deep = nestedTooDeep(text);
  if (deep) {
    return {
      ok: false,
      problems: [
        {
          path: '',
          message: `mappings and lists are nested more than ${LIMITS.nesting} levels deep here; a scenario needs at most 5`,
          line: deep.line,
          column: deep.col,
        },
      ],
    };
  }
  const counter = new LineCounter();
  // Duplicate keys are found by plainYamlProblems, which can name the field.
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: false, schema: 'core', merge: false });
  // Warnings are problems too (an unsupported %YAML version); an unresolved tag is left
  // to plainYamlProblems, which names its field.
  const flaws = [...doc.errors, ...doc.warnings.filter((w) => w.code !== 'TAG_RESOLVE_FAILED')];
  if (flaws.length > 0) {
    return {
      ok: false,
      problems: distinct(
        flaws.map((e) => {
          const pos = e.linePos?.[0];
          // The library's words, but where they address a programmer, the analyst's.
          const what =
            e.code === 'MULTIPLE_DOCS'
              ? 'the file holds more than one YAML document (a "---" or "..." line after content); a scenario is one document'
              : e.code === 'BAD_DIRECTIVE'
                ? `${directiveWords(e.message)}; a scenario is YAML 1.2: remove the line`
                : escapeControl((e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, ''));
          return {
            path: '',
            message: `not valid YAML: ${what}`,
            ...(pos ? { line: pos.line, column: pos.col } : {}),
          };
        }),
      ),
    };
  }
  const plain = plainYamlProblems(doc, counter, text);
  if (plain.length > 0) return { ok: false, problems: plain };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // yaml throws here when aliases expand past maxAliasCount ("billion laughs").
    const message = /alias count/i.test((err as Error).message)
      ? 'aliases (*name) expand to too much data; a scenario may repeat an anchored part (&name) at most 100 times in all'
      : escapeControl((err as Error).message);
    return { ok: false, problems: [{ path: '', message: `not valid YAML: ${message}` }] };
  }
  if (data === null || data === undefined) {
    return { ok: false, problems: [{ path: '', message: 'the file is empty; a scenario needs at least seed, durationDays and population' }] };
  }
  return { ok: true, data, doc, counter };
}

/** The library's words for a bad directive, without its pointer to the line. */
function directiveWords(message: string): string {
  return escapeControl((message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, ''));
}

/** `!!omap` for the core tag `tag:yaml.org,2002:omap`; other tags as written. */
function tagAsWritten(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

/**
 * What the plain core schema of YAML 1.2 leaves out and a scenario may not use: a
 * `%YAML` version other than 1.2 (1.1 reads `yes`, `no`, `on` and `012` differently),
 * any tag, and a field given twice in one mapping (which the YAML library would
 * resolve by keeping one of them). Each problem names the field and its place.
 */
function plainYamlProblems(doc: Document, counter: LineCounter, text: string): Problem[] {
  const problems: Problem[] = [];
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const { line, col } = counter.linePos(offset);
    return { line, column: col };
  };
  if (doc.directives?.yaml.explicit && doc.directives.yaml.version !== '1.2') {
    const offset = /^%YAML/m.exec(text)?.index;
    problems.push({ path: '', message: `not valid YAML: %YAML ${doc.directives.yaml.version}; a scenario is YAML 1.2: remove the line`, ...at(offset) });
  }
  // Nesting is bounded by nestedTooDeep, so this recursion is too.
  // `where`: the offset of the field's key, the place an analyst looks for the field.
  const walk = (node: unknown, path: PropertyKey[], where?: number): void => {
    if (!isNode(node)) return;
    if (node.tag !== undefined) {
      const written = escapeControl(tagAsWritten(node.tag));
      problems.push({
        path: formatPath(path),
        message: `the YAML tag ${written} is not allowed; a scenario is plain YAML: write the value as a plain number, text, list or mapping of fields, without a tag`,
        ...at(where ?? node.range?.[0]),
      });
    }
    if (isMap(node)) {
      const first = new Map<string, number | undefined>();
      for (const pair of node.items) {
        // As toJS names the field: `1` and "1" are the same field.
        const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
        const keyOffset = isNode(pair.key) ? pair.key.range?.[0] : undefined;
        walk(pair.key, path);
        if (first.has(name)) {
          const earlier = first.get(name);
          const where = earlier !== undefined ? ` (first at line ${counter.linePos(earlier).line})` : '';
          problems.push({ path: formatPath([...path, name]), message: `the field is given twice${where}; give each field once`, ...at(keyOffset) });
        } else first.set(name, keyOffset);
        walk(pair.value, [...path, name], keyOffset);
      }
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) walk(item, [...path, i]);
    }
  };
  walk(doc.contents, []);
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return distinct(problems);
}

/**
 * Where the file's mappings and lists first nest deeper than LIMITS.nesting, or null.
 * The YAML library composes a document recursively, one call per level: a few
 * thousand levels (`[[[[...`) overflow the stack. It reports that as a parse error,
 * but a stack overflow can also land inside V8's regular-expression compiler, which
 * aborts the whole process (a fatal out-of-memory error no try/catch sees), e.g. on the
 * second such file `validate` reads. So depth is measured first, on the parser's
 * concrete syntax tree, which is built without recursion and walked here with a stack.
 */
function nestedTooDeep(text: string): { line: number; col: number } | null {
  const counter = new LineCounter();
  // Tokens still to visit, last pushed first: pushed in reverse, they come in file order.
  const todo: [CST.Token | null | undefined, number][] = [...new Parser(counter.addNewLine).parse(text)].reverse().map((t) => [t, 0]);
  for (let next = todo.pop(); next; next = todo.pop()) {
    const [token, depth] = next;
    if (!token) continue;
    if (token.type === 'document') todo.push([token.value, depth]);
    else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth >= LIMITS.nesting) return counter.linePos(token.offset);
      for (let i = token.items.length - 1; i >= 0; i--) {
        const item = token.items[i];
        todo.push([item?.value, depth + 1], [item?.key, depth + 1]);
      }
    }
  }
  return null;
}

/** Validates an already-parsed object (from YAML or JSON). */
/** Top-level fields of earlier versions, and what replaced them. */
const REPLACED_FIELDS = new Map<string, string>([
  [
    'referral',
    'referral was replaced by police: police investigate from a queue under police.capacityPerDay (investigations a day) after police.triage, instead of a fixed referral.investigationRate',
  ],
]);

export function validateScenario(data: unknown, file: string, doc?: Document, counter?: LineCounter): ScenarioResult {
  const parsed = scenarioSchema.safeParse(data, { reportInput: true });
  const problems: Problem[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const allowed = allowedKeysAt(issue.path);
        for (const key of issue.keys) {
          const replaced = issue.path.length === 0 ? REPLACED_FIELDS.get(key) : undefined;
          problems.push({
            path: formatPath([...issue.path, key]),
            message: replaced ?? `unknown field ${quoteKey(key)}${allowed.length ? `; allowed here: ${allowed.join(', ')}` : ''}`,
            ...(doc && counter ? position(doc, counter, issue.path, key) : {}),
          });
        }
        continue;
      }
      problems.push({
        path: formatPath(issue.path),
        message: describeIssue(issue),
        ...(doc && counter ? position(doc, counter, issue.path) : {}),
      });
    }
  } else {
    const s = parsed.data;
    if (s.burnInDays >= s.durationDays) {
      problems.push({
        path: 'burnInDays',
        message: `${s.burnInDays} burn-in days leave nothing of a ${s.durationDays}-day run to count; it must be less than durationDays`,
        ...(doc && counter ? position(doc, counter, ['burnInDays']) : {}),
      });
    }
    const o = s.population.offenders;
    const special = o.sharers.count + o.producers.count + o.groomers.count + s.population.lookalikes.mentors.count;
    if (special > s.population.adults) {
      problems.push({
        path: 'population.offenders',
        message: `${special} offenders and look-alikes but only ${s.population.adults} adults; they are drawn from the adults`,
        ...(doc && counter ? position(doc, counter, ['population', 'offenders']) : {}),
      });
    }
    const mentors = s.population.lookalikes.mentors;
    if (mentors.count > 0 && mentors.minorsEach > s.population.minors) {
      problems.push({
        path: 'population.lookalikes.mentors.minorsEach',
        message: `a class of ${mentors.minorsEach} minors, but the population has only ${s.population.minors}`,
        ...(doc && counter ? position(doc, counter, ['population', 'lookalikes', 'mentors', 'minorsEach']) : {}),
      });
    }
    const users = s.population.adults + s.population.minors;
    // Every account the run opens takes a slot: the open ones, the joiners, the offenders' reserve.
    const slots = accountSlots({ ...s, name: '' }).users;
    if (slots > LIMITS.users) {
      problems.push({
        path: 'population',
        message:
          slots === users
            ? `${users} users in all; one run holds at most ${LIMITS.users}`
            : `${users} open accounts, and ${slots} accounts in all once those that join during the ${s.durationDays} days are counted; one run holds at most ${LIMITS.users}: shorten durationDays, lengthen population.accountAgeDays or reduce the population`,
        ...(doc && counter ? position(doc, counter, ['population']) : {}),
      });
    }
    // The population's contact rows are indexed by Int32Array offsets.
    const pairs = contactPairs({ ...s, name: '' });
    if (pairs > LIMITS.contactPairs) {
      problems.push({
        path: 'traffic.contactsPerUser',
        message: `${users} users with ${s.traffic.contactsPerUser} contacts each make up to ${pairs} contact pairs; one run holds at most ${LIMITS.contactPairs}: reduce traffic.contactsPerUser or the population`,
        ...(doc && counter ? position(doc, counter, ['traffic', 'contactsPerUser']) : {}),
      });
    }
    // A rollout (fromDay, rampDays) switches encryption on: it needs e2ee, and to start within the run.
    const surfaceBlocks: { path: (string | number)[]; surfaces: typeof s.surfaces }[] = [{ path: ['surfaces'], surfaces: s.surfaces }];
    s.platforms?.forEach((p, i) => {
      if (p.surfaces) surfaceBlocks.push({ path: ['platforms', i, 'surfaces'], surfaces: p.surfaces });
    });
    for (const { path, surfaces } of surfaceBlocks)
      for (const block of ['directMessages', 'publicPosts', 'profilePhotos'] as const) {
        const surface = surfaces[block];
        const at = (field: string) => (doc && counter ? position(doc, counter, [...path, block, field]) : {});
        if (surface.encryption === 'none') {
          for (const field of ['fromDay', 'rampDays'] as const) {
            if (surface[field] > 0) {
              problems.push({
                path: formatPath([...path, block, field]),
                message: `a rollout of encryption, but encryption is none here: set encryption: e2ee, or remove ${field}`,
                ...at(field),
              });
            }
          }
        } else if (surface.fromDay >= s.durationDays) {
          problems.push({
            path: formatPath([...path, block, 'fromDay']),
            message: `the rollout would start on day ${surface.fromDay}, when the run of ${s.durationDays} days is over: must be less than durationDays (${s.durationDays})`,
            ...at('fromDay'),
          });
        }
      }
    // Platforms: each named once; the hash bank and what users do are the world's, so a
    // platform's may not differ from the top-level ones (the same values are harmless).
    s.platforms?.forEach((p, i) => {
      const at = (...rest: (string | number)[]) => (doc && counter ? position(doc, counter, ['platforms', i, ...rest]) : {});
      if (s.platforms?.findIndex((q) => q.name === p.name) !== i) {
        problems.push({
          path: formatPath(['platforms', i, 'name']),
          message: `${p.name} names an earlier platform too; each platform needs a name of its own`,
          ...at('name'),
        });
      }
      if (!p.detection) return;
      if (JSON.stringify(p.detection.hashBank) !== JSON.stringify(s.detection.hashBank)) {
        problems.push({
          path: formatPath(['platforms', i, 'detection', 'hashBank']),
          message: 'every platform matches against the same hash bank: set it in the top-level detection block only',
          ...at('detection', 'hashBank'),
        });
      }
      for (const field of WORLD_USER_REPORT_FIELDS) {
        if (p.detection.userReports[field] !== s.detection.userReports[field]) {
          problems.push({
            path: formatPath(['platforms', i, 'detection', 'userReports', field]),
            message: `${field} describes what users do, the same on every platform: set it in the top-level detection.userReports block only (here ${p.detection.userReports[field]}, there ${s.detection.userReports[field]})`,
            ...at('detection', 'userReports', field),
          });
        }
      }
    });
    if (s.traffic.contactsPerUser >= users) {
      problems.push({
        path: 'traffic.contactsPerUser',
        message: `must be less than the number of users (${users})`,
        ...(doc && counter ? position(doc, counter, ['traffic', 'contactsPerUser']) : {}),
      });
    }
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  if (problems.length > 0 || !parsed.success) return { ok: false, problems: distinct(problems) };
  const name = parsed.data.name ?? defaultName(file);
  return { ok: true, scenario: { ...parsed.data, name } };
}

/**
 * Each problem once. The YAML library can report one flaw several times at one place,
 * and zod two checks of one value with the same words (`1e400` is neither a safe whole
 * number nor within the maximum).
 */
function distinct(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}:${p.column}:${p.path}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A zod issue in the words of the scenario's problems. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const received = (issue as { input?: unknown }).input;
    if (received === undefined) return `required field is missing (expected ${EXPECTED[issue.expected] ?? issue.expected})`;
    if (issue.expected === 'int' && typeof received === 'number') return `must be a whole number, got ${received}`;
    return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(received)}`;
  }
  if (issue.code === 'too_small') {
    const min = Number(issue.minimum);
    return `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${min}, got ${describeValue((issue as { input?: unknown }).input)}`;
  }
  if (issue.code === 'too_big') {
    const max = Number(issue.maximum);
    const input = (issue as { input?: unknown }).input;
    if (issue.origin === 'array' && Array.isArray(input)) return `a list of at most ${max} entries, got ${input.length}`;
    if (issue.origin === 'string' && typeof input === 'string') return `text of at most ${max} characters, got ${input.length}`;
    return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${max}, got ${describeValue((issue as { input?: unknown }).input)}`;
  }
  if (issue.code === 'invalid_value') {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue((issue as { input?: unknown }).input)}`;
  }
  return issue.message;
}

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  object: 'a mapping of fields',
  array: 'a list',
};

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  // YAML tags make these (!!timestamp, !!binary); they are not mappings of fields.
  if (value instanceof Date) return 'a date';
  if (ArrayBuffer.isView(value)) return 'binary data';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/**
 * The file name without extension, held to what a written name may hold: a file name
 * may contain any character but `/` (a line break, an escape sequence), so each one a
 * name may not hold becomes `_`, and it is cut at the name's 200 characters.
 */
function defaultName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  let name = base.replace(/\.(ya?ml|json)$/i, '');
  for (let bad = unprintable(name, false); bad; bad = unprintable(name, false)) {
    name = `${name.slice(0, bad.index)}_${name.slice(bad.index + bad.char.length)}`;
  }
  return [...name].slice(0, 200).join('') || 'scenario';
}

/** `file:line:col: path: message`, one line, for terminals and CI logs. */
export function formatProblem(file: string, p: Problem): string {
  const where = p.line !== undefined ? `${file}:${p.line}:${p.column ?? 1}` : file;
  return `${where}: ${p.path || '(document)'}: ${p.message}`;
}
