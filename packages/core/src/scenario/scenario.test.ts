import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LIMITS, formatProblem, parseScenario, validateScenario, type Problem, type Scenario } from '.';

const scenarioFile = (name: string) => fileURLToPath(new URL(`../../../../scenarios/${name}.yaml`, import.meta.url));

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

/** Every default, as the schema documents it: the model's figures live in the schema alone. */
const DEFAULTS = {
  population: {
    communitySize: 150,
    accountAgeDays: 700,
    offenders: {
      sharers: {
        count: 0,
        abusiveImagesPerDay: 2,
        ringShare: 0.9,
        publicActivityShare: 0.25,
        publicShare: 0.9,
        accountLifetimeDays: 60,
        returnShare: 0.5,
        returnDelayDays: 2,
      },
      producers: {
        count: 0,
        abusiveImagesPerDay: 0.5,
        ringShare: 0.9,
        publicActivityShare: 0.25,
        publicShare: 0.9,
        accountLifetimeDays: 60,
        returnShare: 0.5,
        returnDelayDays: 2,
      },
      groomers: {
        count: 0,
        newTargetsPerDay: 1.2,
        messagesPerTargetPerDay: 3,
        conversationDays: 6,
        escalation: { startShare: 0.02, endShare: 0.3 },
        imageShare: 0.15,
        accountLifetimeDays: 60,
        returnShare: 0.5,
        returnDelayDays: 2,
      },
    },
    lookalikes: {
      mentors: { count: 0, minorsEach: 25, messagesPerDay: 4, connectedShare: 0.5, imageShare: 0.2 },
      viralSharers: { perMillionPerDay: 0, viralImages: 6, publicShare: 0.2 },
    },
  },
  traffic: {
    messagesPerUserPerDay: 8,
    mediaShare: 0.3,
    publicPostShare: 0.15,
    profilePhotoChangesPerMonth: 0.5,
    contactsPerUser: 20,
    communityShare: 0.8,
    sameAgeGroupShare: 0.85,
    unconnectedShare: 0.02,
    popularImageShare: 0.05,
    popularImages: 2000,
    blocksPerUserPerMonth: 0.05,
  },
  surfaces: {
    directMessages: { encryption: 'none', fromDay: 0, rampDays: 0 },
    publicPosts: { encryption: 'none', fromDay: 0, rampDays: 0 },
    profilePhotos: { encryption: 'none', fromDay: 0, rampDays: 0 },
  },
  content: {
    images: {
      abusive: { score: { mean: 0.56, sd: 0.2 }, look: { mean: 0.85, sd: 0.12 } },
      benign: { score: { mean: 0.2, sd: 0.1 }, look: { mean: 0.1, sd: 0.1 } },
      borderlineShare: 0.0005,
      lowQualityShare: 0.05,
    },
    text: {
      grooming: { score: { mean: 0.6, sd: 0.2 }, look: { mean: 0.8, sd: 0.15 } },
      benign: { score: { mean: 0.2, sd: 0.1 }, look: { mean: 0.1, sd: 0.1 } },
      borderlineShare: 0.0005,
    },
  },
  detection: {
    hashBank: { size: 2000, perturbationBits: 8, editedBeyondMatchShare: 0.05, wronglyListedShare: 0.0001 },
    hashMatching: { enabled: true, surfaces: ['dm', 'public', 'profile'], matchDistance: 31, minQuality: 50 },
    imageClassifier: { enabled: true, surfaces: ['dm', 'public', 'profile'], threshold: 0.51 },
    textClassifier: { enabled: true, surfaces: ['dm', 'public', 'profile'], threshold: 0.51 },
    metadata: {
      enabled: true,
      unconnectedMinors: { enabled: true, minMinors: 5, windowHours: 72 },
      newAccountBurst: { enabled: true, maxAccountAgeDays: 14, minMessages: 40, windowHours: 48 },
      imagesToMinors: { enabled: true, minImages: 6, windowHours: 72 },
      blocksAndReports: { enabled: true, minAccounts: 3, windowHours: 168 },
    },
    userReports: { enabled: true, probability: 0.03, blockProbability: 0.1, meanDelayHours: 6, franking: true, forgedPerDay: 0.5 },
    clientSideScanning: { enabled: false, surfaces: ['dm'], threshold: 30 },
  },
  protections: {
    teenDmLimit: { enabled: false, fromDay: 0, requestAcceptShare: 0.1 },
    safetyPrompts: { enabled: false, reportProbability: 0.06, blockProbability: 0.2 },
    restrictions: { enabled: false, minBlocks: 2 },
  },
  displacement: { toEncrypted: 0 },
  enforcement: { banReported: true, delayDays: 1 },
  review: {
    capacityPerDay: 20,
    confirmThreshold: 0.5,
    metadataMinRules: 2,
    metadataMinStrength: 2,
    priority: ['hashMatch', 'clientSideScanning', 'userReport', 'imageClassifier', 'textClassifier', 'metadata'],
  },
  reporting: { incidentWindowDays: 7, bundleViral: true, bundleWindowDays: 30 },
  police: { triage: { offenderRelevant: 0.9, innocentRelevant: 0.05 }, capacityPerDay: 0.7, arrestRate: 0.5 },
  burnInDays: 0,
};

describe('validateScenario: defaults', () => {
  it('fills every default into a minimal document', () => {
    const s = ok(minimal);
    expect(s).toEqual({
      ...DEFAULTS,
      seed: 1,
      durationDays: 2,
      name: 'test',
      population: { adults: 30, minors: 10, ...DEFAULTS.population },
    });
    expect(s.description).toBeUndefined();
  });

  it('keeps given values and fills siblings of a partly given object', () => {
    const s = ok({
      ...minimal,
      surfaces: { directMessages: { encryption: 'e2ee' } },
      content: { images: { abusive: { score: { mean: 0.7 } } } },
      detection: {
        hashBank: { size: 10 },
        hashMatching: { surfaces: ['public'] },
        metadata: { imagesToMinors: { minImages: 2 } },
        clientSideScanning: { enabled: true },
      },
      population: { ...minimal.population, offenders: { groomers: { count: 2, escalation: { endShare: 0.5 } } } },
      review: { priority: ['metadata'] },
    });
    expect(s.surfaces.directMessages.encryption).toBe('e2ee');
    expect(s.surfaces.publicPosts.encryption).toBe('none');
    expect(s.surfaces.profilePhotos.encryption).toBe('none');
    expect(s.content.images.abusive).toEqual({ score: { mean: 0.7, sd: 0.2 }, look: { mean: 0.85, sd: 0.12 } });
    expect(s.content.images.benign).toEqual(DEFAULTS.content.images.benign);
    expect(s.detection.hashBank).toEqual({ ...DEFAULTS.detection.hashBank, size: 10 });
    expect(s.detection.hashMatching).toEqual({ ...DEFAULTS.detection.hashMatching, surfaces: ['public'] });
    expect(s.detection.metadata.imagesToMinors).toEqual({ enabled: true, minImages: 2, windowHours: 72 });
    expect(s.detection.metadata.unconnectedMinors).toEqual(DEFAULTS.detection.metadata.unconnectedMinors);
    expect(s.detection.clientSideScanning).toEqual({ enabled: true, surfaces: ['dm'], threshold: 30 });
    expect(s.population.offenders.groomers).toEqual({
      ...DEFAULTS.population.offenders.groomers,
      count: 2,
      escalation: { startShare: 0.02, endShare: 0.5 },
    });
    expect(s.population.offenders.sharers.count).toBe(0);
    // A list replaces the default list; it is not merged with it.
    expect(s.review.priority).toEqual(['metadata']);
  });

  it('accepts an empty list of surfaces (a route that runs nowhere)', () => {
    const s = ok({ ...minimal, detection: { imageClassifier: { surfaces: [] } } });
    expect(s.detection.imageClassifier.surfaces).toEqual([]);
    expect(s.detection.imageClassifier.enabled).toBe(true);
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
          population: { adults: -1, minors: 5, pets: 2, offenders: { sharers: { count: 1.5 }, thieves: { count: 1 } } },
          content: { images: { abusive: { score: { sd: -1 } } } },
          detection: {
            hashMatching: { matchDistance: 300 },
            imageClassifier: { surfaces: ['dm', 'email'] },
            clientSideScanning: { threshold: 0 },
            metadata: { newAccountBurst: { windowHours: 0 } },
          },
          surfaces: { directMessages: { encryption: 'rot13' } },
          review: { metadataMinRules: 5, priority: ['police'] },
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
        'population.offenders.thieves',
        'content.images.abusive.score.sd',
        'detection.hashMatching.matchDistance',
        'detection.imageClassifier.surfaces[1]',
        'detection.clientSideScanning.threshold',
        'detection.metadata.newAccountBurst.windowHours',
        'surfaces.directMessages.encryption',
        'review.metadataMinRules',
        'review.priority[0]',
        'colour',
      ].sort(),
    );
    expect(ps).toHaveLength(byPath.size);
    expect(byPath.get('seed')).toMatch(/missing/);
    expect(byPath.get('durationDays')).toMatch(/the text "three"/);
    expect(byPath.get('population.adults')).toMatch(/at least 1.*-1/);
    expect(byPath.get('population.pets')).toBe('unknown field "pets"; allowed here: adults, minors, communitySize, accountAgeDays, offenders, lookalikes');
    expect(byPath.get('population.offenders.thieves')).toBe('unknown field "thieves"; allowed here: sharers, producers, groomers');
    expect(byPath.get('population.offenders.sharers.count')).toMatch(/whole number.*1\.5/);
    expect(byPath.get('content.images.abusive.score.sd')).toMatch(/at least 0.*-1/);
    expect(byPath.get('detection.hashMatching.matchDistance')).toMatch(/at most 256.*300/);
    expect(byPath.get('detection.imageClassifier.surfaces[1]')).toMatch(/"dm", "public", "profile".*"email"/);
    expect(byPath.get('detection.clientSideScanning.threshold')).toMatch(/at least 1.*0/);
    expect(byPath.get('detection.metadata.newAccountBurst.windowHours')).toMatch(/greater than 0/);
    expect(byPath.get('surfaces.directMessages.encryption')).toMatch(/"none", "e2ee".*rot13/);
    expect(byPath.get('review.metadataMinRules')).toMatch(/at most 4.*5/);
    expect(byPath.get('review.priority[0]')).toMatch(/"hashMatch".*"police"/);
    expect(byPath.get('colour')).toMatch(/unknown field "colour"/);
    // No positions without a YAML document.
    for (const p of ps) expect(p.line).toBeUndefined();
  });

  it('refuses fields of the old schema rather than ignoring them', () => {
    // The old model had detection.matchDistance and review.metadataMinMinors; a scenario
    // written for it must be told, not silently run with defaults.
    const ps = problems(validateScenario({ ...minimal, detection: { matchDistance: 31 }, review: { metadataMinMinors: 5 } }, 'x.yaml'));
    expect(ps.map((p) => p.path).sort()).toEqual(['detection.matchDistance', 'review.metadataMinMinors']);
  });

  it('reports problems in non-object input without throwing', () => {
    for (const data of [null, 42, 'text', [1, 2], undefined]) {
      const ps = problems(validateScenario(data, 'x.yaml'));
      expect(ps.length).toBeGreaterThan(0);
    }
  });

  it('refuses more offenders and look-alikes than adults, counting every archetype', () => {
    const population = (adults: number) => ({
      adults,
      minors: 30,
      offenders: { sharers: { count: 3 }, producers: { count: 2 }, groomers: { count: 1 } },
      lookalikes: { mentors: { count: 2, minorsEach: 5 } },
    });
    const ps = problems(validateScenario({ ...minimal, population: population(7) }, 'x.yaml'));
    expect(ps).toHaveLength(1);
    expect(ps[0]?.path).toBe('population.offenders');
    expect(ps[0]?.message).toMatch(/^8 offenders and look-alikes but only 7 adults/);
    // Exactly as many as adults is allowed.
    ok({ ...minimal, population: population(8) });
  });

  it('refuses a mentor class larger than the minors, unless there are no mentors', () => {
    const mentors = (count: number, minorsEach: number) => ({
      ...minimal,
      population: { adults: 30, minors: 10, lookalikes: { mentors: { count, minorsEach } } },
    });
    const ps = problems(validateScenario(mentors(1, 11), 'x.yaml'));
    expect(ps).toEqual([{ path: 'population.lookalikes.mentors.minorsEach', message: 'a class of 11 minors, but the population has only 10' }]);
    ok(mentors(1, 10));
    ok(mentors(0, 11));
  });

  it('refuses at least as many contacts per user as there are users', () => {
    const ps = problems(validateScenario({ ...minimal, traffic: { contactsPerUser: 40 } }, 'x.yaml'));
    expect(ps.map((p) => p.path)).toEqual(['traffic.contactsPerUser']);
    ok({ ...minimal, traffic: { contactsPerUser: 39 } });
  });

  it('refuses more users in all than fit in one run', () => {
    const ps = problems(validateScenario({ ...minimal, population: { adults: LIMITS.users, minors: 1 } }, 'x.yaml'));
    expect(ps.map((p) => p.path)).toContain('population');
  });

  it('counts the accounts that join during the run against the limit, and says what to change', () => {
    // 15M open accounts fit, but over a year at a mean lifetime of 700 days half as many again join.
    const data = { ...minimal, durationDays: 365, population: { adults: 15_000_000, minors: 0 }, traffic: { contactsPerUser: 2 } };
    const ps = problems(validateScenario(data, 'x.yaml'));
    expect(ps.find((p) => p.path === 'population')?.message).toMatch(/15000000 open accounts, and 2\d{7} accounts in all .* shorten durationDays/);
    ok({ ...data, durationDays: 30 });
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

  it('reports a duplicated key on the duplicate line, naming the field and the first place', () => {
    const ps = problems(parseScenario('seed: 1\ndurationDays: 2\nseed: 3\n', 'x.yaml'));
    expect(ps).toEqual([{ path: 'seed', message: 'the field is given twice (first at line 1); give each field once', line: 3, column: 1 }]);
    const nested = problems(parseScenario('seed: 1\nreview:\n  capacityPerDay: 3\n  confirmThreshold: 0.5\n  capacityPerDay: 4\n', 'x.yaml'));
    expect(nested).toEqual([expect.objectContaining({ path: 'review.capacityPerDay', line: 5, column: 3 })]);
  });

  it('accepts the shipped plaintext scenario, which spells out every field', () => {
    const file = scenarioFile('plaintext');
    const text = readFileSync(file, 'utf8');
    const r = parseScenario(text, file);
    expect(r.ok ? [] : r.problems).toEqual([]);
    if (!r.ok) return;
    expect(r.scenario.name).toBe('plaintext');
    // Every field is in the file (nothing came from a default), so an analyst who copies
    // it sees every assumption; but a rollout's, which a surface that is not encrypted
    // refuses (e2ee-rollout.yaml spells them out).
    const noRollout = { fromDay: 0, rampDays: 0 };
    const written = parse(text) as Scenario;
    expect(r.scenario).toEqual({
      ...written,
      surfaces: {
        directMessages: { ...written.surfaces.directMessages, ...noRollout },
        publicPosts: { ...written.surfaces.publicPosts, ...noRollout },
        profilePhotos: { ...written.surfaces.profilePhotos, ...noRollout },
      },
    });
    expect(r.scenario.surfaces.directMessages.encryption).toBe('none');
  });

  it('accepts the shipped siblings, each a small documented edit of plaintext.yaml', () => {
    const read = (name: string): Scenario => {
      const file = scenarioFile(name);
      const r = parseScenario(readFileSync(file, 'utf8'), file);
      if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.problems)}`);
      expect(r.scenario.name).toBe(name);
      return r.scenario;
    };
    const strip = (s: Scenario) => ({ ...s, name: '', description: '' });
    const plaintext = strip(read('plaintext'));
    const e2ee = strip(read('e2ee'));
    expect(e2ee).toEqual({ ...plaintext, surfaces: { ...plaintext.surfaces, directMessages: { encryption: 'e2ee', fromDay: 0, rampDays: 0 } } });
    const rollout = strip(read('e2ee-rollout'));
    expect(rollout).toEqual({ ...plaintext, surfaces: { ...plaintext.surfaces, directMessages: { encryption: 'e2ee', fromDay: 10, rampDays: 10 } } });
    const css = strip(read('e2ee-client-side-scanning'));
    expect(css).toEqual({
      ...e2ee,
      detection: { ...e2ee.detection, clientSideScanning: { ...e2ee.detection.clientSideScanning, enabled: true } },
    });
    const meta = strip(read('e2ee-metadata'));
    expect({ ...meta, detection: { ...meta.detection, metadata: e2ee.detection.metadata }, review: e2ee.review }).toEqual(e2ee);
    expect(meta.review).toEqual({ ...e2ee.review, metadataMinRules: 1 });
    // Tightened: every rule fires on less evidence than in e2ee.yaml.
    const m = meta.detection.metadata;
    const base = e2ee.detection.metadata;
    expect(m.unconnectedMinors.minMinors).toBeLessThan(base.unconnectedMinors.minMinors);
    expect(m.newAccountBurst.minMessages).toBeLessThan(base.newAccountBurst.minMessages);
    expect(m.imagesToMinors.minImages).toBeLessThan(base.imagesToMinors.minImages);
    expect(m.blocksAndReports.minAccounts).toBeLessThan(base.blocksAndReports.minAccounts);
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
