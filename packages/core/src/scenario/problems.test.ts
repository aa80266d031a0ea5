/**
 * The scenario's YAML is the plain core schema of YAML 1.2: no tags, no other YAML
 * version, each field once; its text fields are printable and its lists bounded.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../routes';
import { parseScenario, type Problem } from '.';

const valid = 'seed: 1\ndurationDays: 2\npopulation: {adults: 30, minors: 10}\n';

function problemsOf(text: string): Problem[] {
  const r = parseScenario(text, 'x.yaml');
  if (r.ok) throw new Error('expected problems, got a valid scenario');
  return r.problems;
}

describe('YAML tags', () => {
  it('refuses a section written as an ordered map or a set, naming the field, instead of taking its defaults', () => {
    // Before: `detection` became an empty section and the run went ahead with hash matching on.
    expect(problemsOf(`${valid}detection: !!omap [ hashMatching: { enabled: false } ]\n`)).toEqual([
      {
        path: 'detection',
        message: expect.stringMatching(/^the YAML tag !!omap is not allowed; a scenario is plain YAML/),
        line: 4,
        column: 1,
      },
    ]);
    expect(problemsOf(`${valid}detection: !!set { hashMatching }\n`)).toEqual([
      expect.objectContaining({ path: 'detection', message: expect.stringMatching(/!!set/) }),
    ]);
    expect(problemsOf(`${valid}detection: !!pairs [ hashMatching: { enabled: false } ]\n`)).toEqual([
      expect.objectContaining({ path: 'detection', message: expect.stringMatching(/!!pairs/) }),
    ]);
  });

  it('refuses every tag, core or custom, wherever it is', () => {
    const cases: [text: string, path: string, tag: string][] = [
      [`${valid}name: !!str plain\n`, 'name', '!!str'],
      [`${valid}review:\n  capacityPerDay: !!int 3\n`, 'review.capacityPerDay', '!!int'],
      [`${valid}review:\n  priority: [ !custom hashMatching ]\n`, 'review.priority[0]', '!custom'],
      [`${valid}name: ! plain\n`, 'name', '!'],
      [`${valid}name: !<tag:example.com,2024:x> plain\n`, 'name', '!<tag:example.com,2024:x>'],
      [`--- !!map\n${valid}`, '', '!!map'],
      [`${valid}police: &r !!map {}\n`, 'police', '!!map'],
    ];
    for (const [text, path, tag] of cases) {
      const problems = problemsOf(text);
      expect(problems, text).toHaveLength(1);
      expect(problems[0]?.path, text).toBe(path);
      expect(problems[0]?.message, text).toContain(`the YAML tag ${tag.startsWith('!<') ? tag.slice(2, -1) : tag} is not allowed`);
      expect(problems[0]?.line, text).toBeGreaterThanOrEqual(1);
    }
  });

  it('still accepts anchors and aliases of plain values', () => {
    expect(parseScenario(`${valid}review: {capacityPerDay: &c 3, metadataMinRules: *c}\n`, 'x.yaml').ok).toBe(true);
  });
});

describe('the %YAML directive', () => {
  it('accepts YAML 1.2 and refuses any other version with its line', () => {
    expect(parseScenario(`%YAML 1.2\n---\n${valid}`, 'x.yaml').ok).toBe(true);
    expect(problemsOf(`%YAML 9.9\n---\n${valid}`)).toEqual([
      { path: '', message: 'not valid YAML: Unsupported YAML version 9.9; a scenario is YAML 1.2: remove the line', line: 1, column: 7 },
    ]);
    // YAML 1.1 reads `yes`, `on` and `012` differently: the same file would mean something else.
    expect(problemsOf(`%YAML 1.1\n---\n${valid}`)).toEqual([
      { path: '', message: 'not valid YAML: %YAML 1.1; a scenario is YAML 1.2: remove the line', line: 1, column: 1 },
    ]);
  });
});

describe('duplicate fields', () => {
  it('name the field, the line of the duplicate and of the first', () => {
    expect(problemsOf(`${valid}population: {adults: 40, minors: 10}\n`)).toEqual([
      { path: 'population', message: 'the field is given twice (first at line 3); give each field once', line: 4, column: 1 },
    ]);
    expect(problemsOf(`${valid}detection:\n  hashMatching: {enabled: false, enabled: true}\n`)).toEqual([
      expect.objectContaining({ path: 'detection.hashMatching.enabled', line: 5, column: 34 }),
    ]);
  });

  it('count a number and the same number quoted as one field', () => {
    expect(problemsOf(`${valid}review: {priority: [hashMatching]}\nx:\n  1: a\n  "1": b\n`)).toContainEqual(expect.objectContaining({ path: 'x.1', line: 7 }));
  });
});

describe('text fields', () => {
  it('refuse NUL, control characters and lone surrogates in the name', () => {
    for (const [escaped, what] of [
      ['a\\0b', 'a NUL character (U+0000)'],
      ['a\\x1bb', 'the unprintable character U+001B'],
      ['a\\u009bb', 'the unprintable character U+009B'],
      ['a\\nb', 'the unprintable character U+000A'],
      ['a\\tb', 'the unprintable character U+0009'],
      ['a\\u202eb', 'the unprintable character U+202E'],
      ['a\\ud800b', 'a lone surrogate (U+D800, half of a character)'],
      ['a\\udc00', 'a lone surrogate (U+DC00, half of a character)'],
    ]) {
      expect(problemsOf(`${valid}name: "${escaped}"\n`), escaped).toEqual([
        { path: 'name', message: `holds ${what} at character 2; it may hold only printable text on one line`, line: 4, column: 1 },
      ]);
    }
  });

  it('allow line breaks and tabs in the description, but not other control characters', () => {
    expect(parseScenario(`${valid}description: "two\\n\\tlines"\n`, 'x.yaml').ok).toBe(true);
    expect(problemsOf(`${valid}description: "bell\\a"\n`)).toEqual([
      expect.objectContaining({ path: 'description', message: expect.stringMatching(/U\+0007 at character 5/) }),
    ]);
    expect(problemsOf(`${valid}description: "\\ud83d"\n`)).toEqual([
      expect.objectContaining({ path: 'description', message: expect.stringMatching(/lone surrogate/) }),
    ]);
  });

  it('accept any printable Unicode, emoji and joiners included, up to the length cap', () => {
    const r = parseScenario(`${valid}name: "Zürich 東京 👩‍👧 א"\n`, 'x.yaml');
    expect(r.ok && r.scenario.name).toBe('Zürich 東京 👩‍👧 א');
    expect(parseScenario(`${valid}name: ${'n'.repeat(200)}\n`, 'x.yaml').ok).toBe(true);
    expect(problemsOf(`${valid}name: ${'n'.repeat(201)}\n`)).toEqual([
      expect.objectContaining({ path: 'name', message: 'text of at most 200 characters, got 201' }),
    ]);
    expect(problemsOf(`${valid}description: ${'d'.repeat(10_001)}\n`)).toEqual([
      expect.objectContaining({ path: 'description', message: 'text of at most 10000 characters, got 10001' }),
    ]);
  });
});

describe('lists', () => {
  it('cap review.priority at the number of routes, refusing a long list in one problem, quickly', () => {
    const all = `${valid}review:\n  priority: [${ROUTES.join(', ')}]\n`;
    expect(parseScenario(all, 'x.yaml').ok).toBe(true);
    const long = `${valid}review:\n  priority: [${Array.from({ length: 60_000 }, (_, i) => ROUTES[i % ROUTES.length]).join(', ')}]\n`;
    const started = performance.now();
    const problems = problemsOf(long);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(problems).toEqual([expect.objectContaining({ path: 'review.priority', message: `a list of at most ${ROUTES.length} entries, got 60000` })]);
  });
});

describe('the default name', () => {
  it('is the file name held to what a written name may hold', () => {
    const named = (file: string) => {
      const r = parseScenario(valid, file);
      return r.ok ? r.scenario.name : null;
    };
    expect(named('dir/plain.yaml')).toBe('plain');
    expect(named('dir/a\nb\u001b]0;title\u0007.yaml')).toBe('a_b_]0;title_');
    expect(named('dir/x\ud800y.yaml')).toBe('x_y');
    expect(named(`${'n'.repeat(300)}.yaml`)).toBe('n'.repeat(200));
  });
});

describe('a rollout of encryption', () => {
  const withSurfaces = (surfaces: string) => `${valid}surfaces:\n${surfaces}`;

  it('accepts a rollout on an e2ee surface that starts within the run, its ramp running past the end or not', () => {
    const r = parseScenario(withSurfaces('  directMessages: { encryption: e2ee, fromDay: 1, rampDays: 40 }\n'), 'x.yaml');
    expect(r.ok ? r.scenario.surfaces.directMessages : r.problems).toEqual({ encryption: 'e2ee', fromDay: 1, rampDays: 40 });
    const defaults = parseScenario(withSurfaces('  publicPosts: { encryption: e2ee }\n'), 'x.yaml');
    expect(defaults.ok ? defaults.scenario.surfaces.publicPosts : defaults.problems).toEqual({ encryption: 'e2ee', fromDay: 0, rampDays: 0 });
  });

  it('refuses a rollout that would start when the run is over, naming file line and field', () => {
    expect(problemsOf(withSurfaces('  directMessages:\n    encryption: e2ee\n    fromDay: 2\n'))).toEqual([
      {
        path: 'surfaces.directMessages.fromDay',
        message: 'the rollout would start on day 2, when the run of 2 days is over: must be less than durationDays (2)',
        line: 7,
        column: 5,
      },
    ]);
  });

  it('refuses a rollout on a surface that is not encrypted, each field by name', () => {
    expect(problemsOf(withSurfaces('  profilePhotos: { fromDay: 1, rampDays: 3 }\n'))).toEqual([
      {
        path: 'surfaces.profilePhotos.fromDay',
        message: 'a rollout of encryption, but encryption is none here: set encryption: e2ee, or remove fromDay',
        line: 5,
        column: 20,
      },
      {
        path: 'surfaces.profilePhotos.rampDays',
        message: 'a rollout of encryption, but encryption is none here: set encryption: e2ee, or remove rampDays',
        line: 5,
        column: 32,
      },
    ]);
    // Zero is the default, and says nothing: allowed.
    expect(parseScenario(withSurfaces('  profilePhotos: { encryption: none, fromDay: 0, rampDays: 0 }\n'), 'x.yaml').ok).toBe(true);
  });

  it('refuses days that are not whole or negative', () => {
    const ps = problemsOf(withSurfaces('  directMessages: { encryption: e2ee, fromDay: 0.5, rampDays: -1 }\n'));
    expect(ps.map((p) => [p.path, p.message])).toEqual([
      ['surfaces.directMessages.fromDay', 'must be a whole number, got 0.5'],
      ['surfaces.directMessages.rampDays', 'must be at least 0, got -1'],
    ]);
  });
});

describe('burnInDays', () => {
  it('must be less than durationDays, named with its line', () => {
    for (const days of [2, 3]) {
      expect(problemsOf(`seed: 1\ndurationDays: 2\nburnInDays: ${days}\npopulation: {adults: 30, minors: 10}\n`)).toEqual([
        { path: 'burnInDays', message: expect.stringMatching(/must be less than durationDays/), line: 3, column: 1 },
      ]);
    }
    const ok = parseScenario(`${valid}burnInDays: 1\n`, 'x.yaml');
    expect(ok.ok && ok.scenario.burnInDays).toBe(1);
  });
});

describe('fields of earlier versions', () => {
  it('names what replaced referral, with its line', () => {
    expect(problemsOf(`${valid}referral:\n  investigationRate: 0.03\n`)).toEqual([
      { path: 'referral', message: expect.stringMatching(/^referral was replaced by police: .*police\.capacityPerDay/), line: 4, column: 1 },
    ]);
  });
});

describe('platforms', () => {
  const withPlatforms = (list: string) => `${valid}platforms:\n${list}`;

  it('takes each platform’s own blocks, and the top-level ones where it has none', () => {
    const r = parseScenario(
      withPlatforms('  - name: social\n  - name: chat\n    members: 0.4\n    surfaces: { directMessages: { encryption: e2ee } }\n'),
      'x.yaml',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.scenario.platforms?.map((p) => [p.name, p.members, p.offenderShare, p.surfaces?.directMessages.encryption])).toEqual([
      ['social', 1, 1, undefined],
      ['chat', 0.4, 1, 'e2ee'],
    ]);
  });

  it('refuses two platforms of one name, and a rollout in a platform’s surfaces that starts after the run, naming line and field', () => {
    expect(problemsOf(withPlatforms('  - name: a\n  - name: a\n    surfaces:\n      directMessages: { encryption: e2ee, fromDay: 5 }\n'))).toEqual([
      { path: 'platforms[1].name', message: 'a names an earlier platform too; each platform needs a name of its own', line: 6, column: 5 },
      {
        path: 'platforms[1].surfaces.directMessages.fromDay',
        message: 'the rollout would start on day 5, when the run of 2 days is over: must be less than durationDays (2)',
        line: 8,
        column: 43,
      },
    ]);
  });

  it('refuses a platform that sets the shared hash bank or what users do, pointing at the top level', () => {
    const problems = problemsOf(
      withPlatforms('  - name: a\n    detection:\n      hashBank: { size: 10 }\n      userReports: { probability: 0.5, franking: false }\n  - name: b\n'),
    );
    expect(problems.map((p) => [p.path, p.line])).toEqual([
      ['platforms[0].detection.hashBank', 7],
      ['platforms[0].detection.userReports.probability', 8],
    ]);
    expect(problems[0]?.message).toMatch(/same hash bank: set it in the top-level detection block only/);
    expect(problems[1]?.message).toMatch(/describes what users do, the same on every platform/);
  });

  it('accepts a platform that repeats the top-level values, as a run of one platform stores it', () => {
    const r = parseScenario(
      withPlatforms('  - name: a\n    detection:\n      hashBank: { size: 2000 }\n      imageClassifier: { enabled: false }\n  - name: b\n'),
      'x.yaml',
    );
    expect(r.ok ? r.scenario.platforms?.[0]?.detection?.imageClassifier.enabled : r.problems).toBe(false);
  });

  it('refuses a platform name that is not a plain word', () => {
    expect(problemsOf(withPlatforms('  - name: "two words"\n'))).toEqual([expect.objectContaining({ path: 'platforms[0].name', line: 5 })]);
  });
});
