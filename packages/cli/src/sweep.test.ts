import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_RUNS,
  applyPath,
  buildVariants,
  cartesian,
  checkRunCount,
  parseScalar,
  parseSetOption,
  parseSets,
  readScenarioData,
  type SetOption,
} from './sweep';
import { refusal } from './test-support';

/** The smallest scenario the schema accepts: everything else has a default. */
const minimal = () => ({ seed: 1, durationDays: 2, population: { adults: 100, minors: 20 } });

const sets = (...texts: string[]): SetOption[] => parseSets(texts);

describe('parsing --set', () => {
  it('reads values as YAML scalars and keeps them as typed', () => {
    const r = parseSetOption("detection.userReports.probability=0.01, 3e-2 ,true,none,'0.5',~");
    expect(r).toEqual({
      ok: true,
      set: { path: 'detection.userReports.probability', values: [0.01, 0.03, true, 'none', '0.5', null], raw: ['0.01', '3e-2', 'true', 'none', "'0.5'", '~'] },
    });
  });

  it.each([
    ['surfaces.directMessages.encryption', /^--set surfaces\.directMessages\.encryption: expected --set <field\.path>=<value>,<value>,\.\.\. \(no "="\)$/],
    ['=1,2', /^--set =1,2: no field path before "="/],
    ['detection..probability=1', /^--set detection\.\.probability=1: "detection\.\.probability" is not a field path/],
    ['.seed=1', /is not a field path/],
    ['seed=', /^--set seed=: no values after "="/],
    ['seed=  ', /no values after "="/],
    ['seed=1,,2', /^--set seed=1,,2: an empty value/],
    ['seed=1,2,', /an empty value/],
    ['seed=[1]', /^--set seed=\[1\]: must be a single value/],
    ['name={a: 1}', /^--set name=\{a: 1\}: must be a single value/],
    ["name='open", /^--set name='open: not a value YAML can read/],
    ['name=#hash', /^--set name=#hash: not a value YAML can read/],
    ['seed=.inf', /^--set seed=\.inf: must be a finite number/],
    ['seed=1,2,1', /^--set seed=1,2,1: 1 is given twice$/],
    ['detection.userReports.probability=0.1,0.10', /^--set detection\.userReports\.probability=0\.1,0\.10: 0\.1 and 0\.10 are the same value$/],
    // Names that reach an object's prototype: before, __proto__.x=1,2 polluted it (44 bogus errors blamed on the file).
    ['name=!!str 5', /^--set name=!!str 5: a YAML tag is not allowed; give the value plainly$/],
    ['__proto__.x=1,2', /^--set __proto__\.x=1,2: "__proto__" is not a scenario field \(the name is reserved\)/],
    ['detection.constructor.enabled=true', /^--set detection\.constructor\.enabled=true: "constructor" is not a scenario field/],
    ['review.prototype=1', /^--set review\.prototype=1: "prototype" is not a scenario field/],
  ])('refuses %j', (text, message) => {
    const r = parseSetOption(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]).toMatch(message);
    }
  });

  it('a quoted number stays text; an unquoted one is a number', () => {
    expect(parseScalar('"42"')).toEqual({ ok: true, value: '42' });
    expect(parseScalar('42')).toEqual({ ok: true, value: 42 });
    expect(parseScalar('false')).toEqual({ ok: true, value: false });
  });

  it('reports every bad option at once, and refuses a path given twice or fields inside each other', () => {
    const lines = refusal(() =>
      parseSets(['seed', 'review.capacityPerDay=10', 'review.capacityPerDay=20', 'detection.userReports=1', 'detection.userReports.probability=0.1']),
    );
    expect(lines).toEqual([
      expect.stringMatching(/^--set seed: expected/),
      '--set review.capacityPerDay is given twice; give all its values in one option: --set review.capacityPerDay=10,20',
      '--set detection.userReports and --set detection.userReports.probability overlap: one is a field inside the other',
    ]);
  });

  it('keeps the options in the order given', () => {
    expect(sets('seed=1,2', 'surfaces.directMessages.encryption=none,e2ee').map((s) => s.path)).toEqual(['seed', 'surfaces.directMessages.encryption']);
  });
});

describe('the cartesian product', () => {
  it('gives every combination, the first option varying slowest', () => {
    expect(
      cartesian<number | string>([
        [1, 2],
        ['a', 'b', 'c'],
      ]),
    ).toEqual([
      [1, 'a'],
      [1, 'b'],
      [1, 'c'],
      [2, 'a'],
      [2, 'b'],
      [2, 'c'],
    ]);
    expect(cartesian([[1, 2, 3]])).toEqual([[1], [2], [3]]);
    expect(cartesian([[1, 2], []])).toEqual([]);
  });

  it(`allows ${MAX_RUNS} runs and refuses more, saying how the count arises`, () => {
    const values = (k: number) => Array.from({ length: k }, (_, i) => i + 1).join(',');
    expect(checkRunCount(sets(`seed=${values(8)}`, `review.capacityPerDay=${values(8)}`))).toBe(64);
    expect(refusal(() => checkRunCount(sets(`seed=${values(5)}`, `review.capacityPerDay=${values(13)}`)))).toEqual([
      'the --set options ask for 65 runs (5 × 13); a sweep runs at most 64: give fewer values',
    ]);
    expect(refusal(() => checkRunCount(sets(`seed=${values(65)}`)))).toEqual(['the --set options ask for 65 runs; a sweep runs at most 64: give fewer values']);
  });
});

describe('applying a path to the document', () => {
  it('sets a nested field and leaves the input untouched', () => {
    const doc = { seed: 1, detection: { userReports: { probability: 0.03, meanDelayHours: 6 } } };
    const r = applyPath(doc, 'detection.userReports.probability', 0.1);
    expect(r).toEqual({ ok: true, doc: { seed: 1, detection: { userReports: { probability: 0.1, meanDelayHours: 6 } } } });
    expect(doc.detection.userReports.probability).toBe(0.03);
  });

  it('creates groups of fields the file leaves out', () => {
    expect(applyPath({ seed: 1 }, 'surfaces.directMessages.encryption', 'e2ee')).toEqual({
      ok: true,
      doc: { seed: 1, surfaces: { directMessages: { encryption: 'e2ee' } } },
    });
  });

  it('reaches into a list of platforms by name, and names the entries it has when one is missing', () => {
    const doc = { seed: 1, platforms: [{ name: 'social' }, { name: 'chat', members: 0.5 }] };
    expect(applyPath(doc, 'platforms.chat.surfaces.directMessages.rampDays', 10)).toEqual({
      ok: true,
      doc: { seed: 1, platforms: [{ name: 'social' }, { name: 'chat', members: 0.5, surfaces: { directMessages: { rampDays: 10 } } }] },
    });
    expect(doc.platforms[1]).toEqual({ name: 'chat', members: 0.5 });
    expect(applyPath(doc, 'platforms.forum.members', 0.2)).toEqual({ ok: false, message: 'platforms has no entry named forum (it has social, chat)' });
    expect(applyPath(doc, 'platforms.chat', 1)).toEqual({ ok: false, message: 'platforms.chat is a whole entry of platforms; set one of its fields' });
  });

  it('does not write through a YAML alias into the other field', () => {
    const shared = { mean: 0.5, sd: 0.1 };
    const r = applyPath({ a: shared, b: shared }, 'a.mean', 0.9);
    expect(r).toEqual({ ok: true, doc: { a: { mean: 0.9, sd: 0.1 }, b: { mean: 0.5, sd: 0.1 } } });
  });

  it('sets own properties only, never an inherited one or the prototype', () => {
    // Before: `--set __proto__.x=1` wrote x onto Object.prototype, and every group of
    // fields of every variant then had an unknown field x.
    const r = applyPath(minimal(), '__proto__.x', 1);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(r.ok && Object.getPrototypeOf(r.doc)).toBe(Object.prototype);
    expect(r.ok && Object.hasOwn(r.doc, '__proto__')).toBe(true);
    const c = applyPath(minimal(), 'constructor.name', 'x');
    expect(Object.name).toBe('Object');
    expect(c).toEqual({ ok: true, doc: expect.objectContaining({ seed: 1 }) });
    expect(c.ok && Object.getOwnPropertyDescriptor(c.doc, 'constructor')?.value).toEqual({ name: 'x' });
  });

  it('refuses a path through a value that is not a group of fields', () => {
    expect(applyPath({ seed: 7 }, 'seed.low', 1)).toEqual({ ok: false, message: 'seed is 7 in the scenario, not a group of fields' });
    expect(applyPath({ review: null }, 'review.capacityPerDay.x', 1)).toEqual({ ok: false, message: 'review is empty in the scenario, not a group of fields' });
  });
});

describe('building and checking the variants', () => {
  it('gives one validated scenario per combination, in order', () => {
    const variants = buildVariants(minimal(), 'scenarios/tiny.yaml', sets('surfaces.directMessages.encryption=none,e2ee', 'seed=1,2'));
    expect(variants.map((v) => v.values)).toEqual([
      { 'surfaces.directMessages.encryption': 'none', seed: 1 },
      { 'surfaces.directMessages.encryption': 'none', seed: 2 },
      { 'surfaces.directMessages.encryption': 'e2ee', seed: 1 },
      { 'surfaces.directMessages.encryption': 'e2ee', seed: 2 },
    ]);
    expect(variants.map((v) => [v.scenario.surfaces.directMessages.encryption, v.scenario.seed])).toEqual([
      ['none', 1],
      ['none', 2],
      ['e2ee', 1],
      ['e2ee', 2],
    ]);
    // The name is the file's, as `run` would give for the edited file.
    expect(variants.every((v) => v.scenario.name === 'tiny')).toBe(true);
  });

  it('names the option, the value and the schema message for a bad value', () => {
    expect(refusal(() => buildVariants(minimal(), 'tiny.yaml', sets('detection.userReports.probability=0.5,2,-1')))).toEqual([
      '--set detection.userReports.probability=2: must be at most 1, got 2',
      '--set detection.userReports.probability=-1: must be at least 0, got -1',
    ]);
    expect(refusal(() => buildVariants(minimal(), 'tiny.yaml', sets('surfaces.directMessages.encryption=none,rot13')))).toEqual([
      expect.stringMatching(/^--set surfaces\.directMessages\.encryption=rot13: must be one of .*"e2ee".*, got the text "rot13"$/),
    ]);
    expect(refusal(() => buildVariants(minimal(), 'tiny.yaml', sets('seed=1.5')))).toEqual(['--set seed=1.5: must be a whole number, got 1.5']);
  });

  it('reports each problem once however many variants share it', () => {
    const lines = refusal(() => buildVariants(minimal(), 'tiny.yaml', sets('detection.userReports.probability=2', 'seed=1,2,3')));
    expect(lines).toEqual(['--set detection.userReports.probability=2: must be at most 1, got 2']);
  });

  it('reports an unknown path as such, naming the option as given', () => {
    const lines = refusal(() => buildVariants(minimal(), 'tiny.yaml', sets('detection.userReport.probability=0.01,0.1')));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^--set detection\.userReport\.probability=0\.01,0\.1: detection\.userReport: unknown field "userReport"; allowed here: .*userReports/,
    );
    const top = refusal(() => buildVariants(minimal(), 'tiny.yaml', sets('colour=blue')));
    expect(top).toEqual([expect.stringMatching(/^--set colour=blue: unknown field "colour"; allowed here: .*seed/)]);
  });

  it('names the option when a value breaks a rule between fields', () => {
    const lines = refusal(() => buildVariants(minimal(), 'tiny.yaml', sets('population.offenders.sharers.count=10,500')));
    expect(lines).toEqual([expect.stringMatching(/^--set population\.offenders\.sharers\.count=500: population\.offenders: .*but only 100 adults/)]);
    // A rule on a field no --set touches: every option of the variant is named.
    const doc = { ...minimal(), population: { adults: 100, minors: 20, offenders: { sharers: { count: 50 } } } };
    const both = refusal(() => buildVariants(doc, 'tiny.yaml', sets('population.adults=40,200', 'seed=1')));
    expect(both).toEqual([expect.stringMatching(/^--set population\.adults=40 --set seed=1: population\.offenders: .*but only 40 adults/)]);
  });

  it('refuses a path through a value, naming the option', () => {
    expect(refusal(() => buildVariants(minimal(), 'tiny.yaml', sets('seed.low=1')))).toEqual([
      '--set seed.low=1: seed is 1 in the scenario, not a group of fields',
    ]);
  });

  it('refuses too many runs before checking any', () => {
    const many = Array.from({ length: 9 }, (_, i) => i).join(',');
    expect(refusal(() => buildVariants(minimal(), 'tiny.yaml', sets(`seed=${many}`, `review.capacityPerDay=${many}`)))).toEqual([
      expect.stringMatching(/^the --set options ask for 81 runs \(9 × 9\)/),
    ]);
  });
});

describe('reading the scenario file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'blindspot-sweep-'));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('returns the plain document', () => {
    const path = write('ok.yaml', 'seed: 3\ndurationDays: 2\npopulation: { adults: 100, minors: 20 }\n');
    expect(readScenarioData(path, sets('seed=1')).data).toEqual({ seed: 3, durationDays: 2, population: { adults: 100, minors: 20 } });
  });

  it('refuses a problem of the file a --set does not touch, with line and field, as run does', () => {
    const path = write('bad.yaml', 'seed: 3\ndurationDays: 2\npopulation: { adults: 100, minors: 20 }\ndetection:\n  userReports:\n    probability: 5\n');
    expect(refusal(() => readScenarioData(path, sets('seed=1,2')))).toEqual([
      expect.stringMatching(/bad\.yaml:6:5: detection\.userReports\.probability: must be at most 1, got 5$/),
    ]);
    // ... but leaves it to the variants when a --set replaces that field.
    const { data, file } = readScenarioData(path, sets('detection.userReports.probability=0.1,0.2'));
    expect(buildVariants(data, file, sets('detection.userReports.probability=0.1,0.2')).map((v) => v.scenario.detection.userReports.probability)).toEqual([
      0.1, 0.2,
    ]);
  });

  it('refuses a tag or a field given twice even at a field a --set replaces', () => {
    // The file itself is wrong there; before, a tagged section was read as an empty one.
    const tagged = write(
      'tagged.yaml',
      'seed: 3\ndurationDays: 2\npopulation: { adults: 100, minors: 20 }\ndetection: !!omap [ hashMatching: { enabled: false } ]\n',
    );
    expect(refusal(() => readScenarioData(tagged, sets('detection.hashMatching.enabled=true,false')))).toEqual([
      expect.stringMatching(/tagged\.yaml:4:1: detection: the YAML tag !!omap is not allowed/),
    ]);
    const twice = write('twice.yaml', 'seed: 3\nseed: 4\ndurationDays: 2\npopulation: { adults: 100, minors: 20 }\n');
    expect(refusal(() => readScenarioData(twice, sets('seed=1,2')))).toEqual([
      expect.stringMatching(/twice\.yaml:2:1: seed: the field is given twice \(first at line 1\)/),
    ]);
  });

  it('names a missing file and refuses broken YAML whatever is set', () => {
    expect(refusal(() => readScenarioData(join(dir, 'nope.yaml'), sets('seed=1')))).toEqual([
      expect.stringMatching(/nope\.yaml: cannot read scenario: no such file$/),
    ]);
    const path = write('broken.yaml', 'seed: 1\npopulation:\n  adults: [1, 2\n');
    expect(refusal(() => readScenarioData(path, sets('seed=1')))).toEqual([expect.stringMatching(/broken\.yaml:\d+:\d+: \(document\): not valid YAML/)]);
  });
});
