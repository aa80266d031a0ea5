import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LIMITS, formatProblem, parseScenario, validateScenario, type Problem, type Scenario } from './scenario';

const minimal = { seed: 1, durationDays: 2, population: { adults: 30, minors: 10 } };

function ok(data: unknown, file = 'test.yaml'): Scenario {
  const r = validateScenario(data, file);
  if (!r.ok) throw new Error(`expected a valid scenario, got ${JSON.stringify(r.problems)}`);
  return r.scenario;
}

function problems(r: ReturnType<typeof validateScenario>): Problem[] {
  if (r.ok) throw new Error('expected problems, got a valid scenario');
  return r.problems;
}

describe('validateScenario: defaults', () => {
  it('fills every default into a minimal document', () => {
    const s = ok(minimal);
    expect(s.seed).toBe(1);
    expect(s.durationDays).toBe(2);
    expect(s.name).toBe('test');
    expect(s.detection.matchDistance).toBe(31);
    expect(s.detection.hashBank).toEqual({ size: 2000, perturbationBits: 8, editedBeyondMatchShare: 0.05 });
    expect(s.detection.metadata.unconnectedMinors).toEqual({ minMinors: 5, windowHours: 72 });
    expect(s.detection.userReports).toEqual({ probability: 0.03, meanDelayHours: 6 });
    expect(s.surfaces.directMessages.encryption).toBe('none');
    expect(s.surfaces.publicPosts.encryption).toBe('none');
    expect(s.population.offenders.sharers.count).toBe(0);
    expect(s.population.offenders.groomers.count).toBe(0);
    expect(s.population.offenders.groomers.conversationDays).toBe(6);
    expect(s.traffic.messagesPerUserPerDay).toBe(8);
    expect(s.traffic.contactsPerUser).toBe(20);
    expect(s.content.abusive).toEqual({ mean: 0.8, sd: 0.12 });
    expect(s.content.benign).toEqual({ mean: 0.1, sd: 0.1 });
    expect(s.review).toEqual({ capacityPerDay: 20, confirmThreshold: 0.5, metadataMinMinors: 5 });
  });

  it('keeps given values and fills siblings of a partly given object', () => {
    const s = ok({
      ...minimal,
      surfaces: { directMessages: { encryption: 'e2ee' } },
      detection: { hashBank: { size: 10 } },
      population: { ...minimal.population, offenders: { groomers: { count: 2 } } },
    });
    expect(s.surfaces.directMessages.encryption).toBe('e2ee');
    expect(s.surfaces.publicPosts.encryption).toBe('none');
    expect(s.detection.hashBank.size).toBe(10);
    expect(s.detection.hashBank.perturbationBits).toBe(8);
    expect(s.detection.matchDistance).toBe(31);
    expect(s.population.offenders.groomers).toMatchObject({ count: 2, abusiveShare: 0.2 });
    expect(s.population.offenders.sharers.count).toBe(0);
  });

  it('does not modify its input', () => {
    const input = structuredClone(minimal);
    ok(input);
    expect(input).toEqual(minimal);
  });
});

describe('validateScenario: name', () => {
  it.each([
    ['test.yaml', 'test'],
    ['scenarios/plain-text.yml', 'plain-text'],
    ['/abs/dir/e2ee.json', 'e2ee'],
    ['C:\\work\\scenarios\\win.YAML', 'win'],
    ['noext', 'noext'],
    ['archive.tar.yaml', 'archive.tar'],
  ])('defaults to the base name of %s', (file, name) => {
    expect(ok(minimal, file).name).toBe(name);
  });

  it('keeps an explicit name', () => {
    expect(ok({ ...minimal, name: 'mine' }, 'other.yaml').name).toBe('mine');
  });
});

describe('validateScenario: problems', () => {
  it('reports every problem at once, with dotted paths', () => {
    const ps = problems(
      validateScenario(
        {
          durationDays: 'three',
          population: { adults: -1, minors: 5, pets: 2, offenders: { sharers: { count: 1.5 } } },
          detection: { matchDistance: 300 },
          surfaces: { directMessages: { encryption: 'rot13' } },
          colour: 'blue',
        },
        'x.yaml',
      ),
    );
    const byPath = new Map(ps.map((p) => [p.path, p.message]));
    expect([...byPath.keys()].sort()).toEqual(
      [
        'seed',
        'durationDays',
        'population.adults',
        'population.pets',
        'population.offenders.sharers.count',
        'detection.matchDistance',
        'surfaces.directMessages.encryption',
        'colour',
      ].sort(),
    );
    expect(byPath.get('seed')).toMatch(/missing/);
    expect(byPath.get('durationDays')).toMatch(/the text "three"/);
    expect(byPath.get('population.adults')).toMatch(/at least 1.*-1/);
    expect(byPath.get('population.pets')).toMatch(/unknown field "pets".*adults, minors, offenders/);
    expect(byPath.get('population.offenders.sharers.count')).toMatch(/whole number.*1\.5/);
    expect(byPath.get('detection.matchDistance')).toMatch(/at most 256.*300/);
    expect(byPath.get('surfaces.directMessages.encryption')).toMatch(/"none", "e2ee".*rot13/);
    expect(byPath.get('colour')).toMatch(/unknown field "colour"/);
    // No positions without a YAML document.
    for (const p of ps) expect(p.line).toBeUndefined();
  });

  it('reports problems in non-object input without throwing', () => {
    for (const data of [null, 42, 'text', [1, 2], undefined]) {
      const ps = problems(validateScenario(data, 'x.yaml'));
      expect(ps.length).toBeGreaterThan(0);
    }
  });

  it('refuses more offenders than adults', () => {
    const ps = problems(
      validateScenario(
        { ...minimal, population: { adults: 5, minors: 30, offenders: { sharers: { count: 3 }, groomers: { count: 3 } } } },
        'x.yaml',
      ),
    );
    expect(ps).toHaveLength(1);
    expect(ps[0]?.path).toBe('population.offenders');
    expect(ps[0]?.message).toMatch(/6 offenders.*5 adults/);
    // Exactly as many offenders as adults is allowed.
    ok({ ...minimal, population: { adults: 6, minors: 30, offenders: { sharers: { count: 3 }, groomers: { count: 3 } } } });
  });

  it('refuses at least as many contacts per user as there are users', () => {
    const ps = problems(validateScenario({ ...minimal, traffic: { contactsPerUser: 40 } }, 'x.yaml'));
    expect(ps.map((p) => p.path)).toEqual(['traffic.contactsPerUser']);
    ok({ ...minimal, traffic: { contactsPerUser: 39 } });
  });

  it('refuses more users in all than fit in one run', () => {
    const ps = problems(
      validateScenario({ ...minimal, population: { adults: LIMITS.users, minors: 1 } }, 'x.yaml'),
    );
    expect(ps.map((p) => p.path)).toContain('population');
  });
});

describe('parseScenario', () => {
  it('parses a valid document with the same result as validateScenario', () => {
    const text = 'seed: 1\ndurationDays: 2\npopulation:\n  adults: 30\n  minors: 10\n';
    const r = parseScenario(text, 'dir/test.yaml');
    expect(r).toEqual(validateScenario(minimal, 'test.yaml'));
  });

  it('gives line and column of each problem, in document order', () => {
    const text = [
      'name: broken', //              1
      'durationDays: 3', //           2
      'population:', //               3
      '  adults: -5', //              4
      '  minors: 10', //              5
      '  pets: 3', //                 6
      'traffic:', //                  7
      '  mediaShare: "lots"', //      8
      '',
    ].join('\n');
    const ps = problems(parseScenario(text, 'broken.yaml'));
    expect(ps.map((p) => [p.path, p.line, p.column])).toEqual([
      ['seed', 1, 1], // missing: points at the document
      ['population.adults', 4, 3],
      ['population.pets', 6, 3],
      ['traffic.mediaShare', 8, 3],
    ]);
    expect(ps[0]?.message).toMatch(/required field is missing/);
    expect(ps[1]?.message).toBe('must be at least 1, got -5');
    expect(ps[2]?.message).toMatch(/^unknown field "pets"/);
    expect(ps[3]?.message).toMatch(/^expected (a )?number, got the text "lots"$/);
  });

  it('points a missing nested field at its parent', () => {
    const text = 'seed: 1\ndurationDays: 2\npopulation:\n  minors: 10\n';
    const ps = problems(parseScenario(text, 'x.yaml'));
    expect(ps).toEqual([expect.objectContaining({ path: 'population.adults', line: 3, column: 1 })]);
  });

  it('gives the line of the offenders block when offenders outnumber adults', () => {
    const text = [
      'seed: 1',
      'durationDays: 2',
      'population:',
      '  adults: 5',
      '  minors: 30',
      '  offenders:',
      '    sharers: { count: 3 }',
      '    groomers: { count: 3 }',
      '',
    ].join('\n');
    const ps = problems(parseScenario(text, 'x.yaml'));
    expect(ps).toEqual([expect.objectContaining({ path: 'population.offenders', line: 6, column: 3 })]);
  });

  it('reports an empty file', () => {
    for (const text of ['', '# just a comment\n', '~\n']) {
      const ps = problems(parseScenario(text, 'x.yaml'));
      expect(ps).toHaveLength(1);
      expect(ps[0]?.message).toMatch(/empty/);
    }
  });

  it('reports invalid YAML as a problem with a line', () => {
    const text = 'seed: 1\ndurationDays: 2\npopulation: [1, 2\n';
    const ps = problems(parseScenario(text, 'x.yaml'));
    expect(ps.length).toBeGreaterThan(0);
    expect(ps[0]?.path).toBe('');
    expect(ps[0]?.message).toMatch(/^not valid YAML/);
    // The file's position must be given so an analyst can find the mistake (the list is
    // unterminated, so the parser notices at line 3 or at the end of the file, line 4).
    expect(ps[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
    expect([3, 4]).toContain(ps[0]?.line);
  });

  it('reports a duplicated key as invalid YAML on the duplicate line', () => {
    const ps = problems(parseScenario('seed: 1\ndurationDays: 2\nseed: 3\n', 'x.yaml'));
    expect(ps[0]?.message).toMatch(/^not valid YAML/);
    expect(ps[0]).toMatchObject({ line: 3, column: 1 });
  });

  it('accepts the shipped plaintext scenario', () => {
    const file = fileURLToPath(new URL('../../../scenarios/plaintext.yaml', import.meta.url));
    const r = parseScenario(readFileSync(file, 'utf8'), file);
    expect(r.ok ? [] : r.problems).toEqual([]);
    if (r.ok) expect(r.scenario.name).toBe('plaintext');
  });
});

describe('formatProblem', () => {
  it('formats file:line:col: path: message', () => {
    expect(formatProblem('s.yaml', { path: 'population.adults', message: 'must be at least 1, got -5', line: 4, column: 3 })).toBe(
      's.yaml:4:3: population.adults: must be at least 1, got -5',
    );
  });

  it('defaults the column to 1, drops the position without a line, and names the document for an empty path', () => {
    expect(formatProblem('s.yaml', { path: 'seed', message: 'm', line: 2 })).toBe('s.yaml:2:1: seed: m');
    expect(formatProblem('s.yaml', { path: 'seed', message: 'm' })).toBe('s.yaml: seed: m');
    expect(formatProblem('s.yaml', { path: '', message: 'empty' })).toBe('s.yaml: (document): empty');
  });

  it('formats every problem of a parsed file on one line each', () => {
    const ps = problems(parseScenario('durationDays: 0\npopulation:\n  adults: 1\n  minors: 1\n  extra: 1\n', 'f.yaml'));
    for (const p of ps) {
      const line = formatProblem('f.yaml', p);
      expect(line).not.toContain('\n');
      expect(line).toMatch(/^f\.yaml:\d+:\d+: [\w.]+: .+$/);
    }
  });
});
