/**
 * The memory bound: estimateMemory against measured peaks, and memoryProblem's
 * refusals, which must name what takes the memory and the fields to reduce.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testScenario } from '../testing';
import { accountSlots } from './pairs';
import {
  LIMITS,
  contactPairs,
  scenarioSchema,
  estimateMemory,
  formatBytes,
  memoryProblem,
  parseScenario,
  readableShare,
  validateScenario,
  type Scenario,
} from '.';

const MB = 2 ** 20;
const GB = 2 ** 30;

function scenario(data: Record<string, unknown>): Scenario {
  return testScenario({ seed: 1, durationDays: 1 }, data);
}

const shipped = (name: string): Scenario => {
  const file = fileURLToPath(new URL(`../../../../scenarios/${name}.yaml`, import.meta.url));
  const r = parseScenario(readFileSync(file, 'utf8'), file);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
};

/** A population-sized scenario with few messages, as the calibration runs were. */
const people = (adults: number, minors: number, contactsPerUser: number, more: Record<string, unknown> = {}, messagesPerUserPerDay = 0.05) =>
  scenario({ population: { adults, minors }, traffic: { messagesPerUserPerDay, contactsPerUser }, ...more });

/** The shipped e2ee scenario with `accounts` accounts (its share of minors) over one day. */
const e2eeAt = (accounts: number): Scenario => {
  const s = shipped('e2ee');
  return { ...s, durationDays: 1, population: { ...s.population, adults: accounts * 0.8, minors: accounts * 0.2 } };
};

describe('estimateMemory', () => {
  // Peak RSS measured with /usr/bin/time -v of `blindspot run <file> --json` on 2 shared
  // cores (one sealing thread), Node 20. The estimate may be somewhat high, never far low.
  const measured: [string, () => Scenario, number][] = [
    ['40 users', () => scenario({ population: { adults: 30, minors: 10 }, traffic: { messagesPerUserPerDay: 1, contactsPerUser: 5 } }), 157 * MB],
    ['e2ee.yaml (30 days, 1.1M messages)', () => shipped('e2ee'), 224 * MB],
    ['100k users, 1M contact pairs', () => people(80_000, 20_000, 20), 196 * MB],
    ['500k users, 5M contact pairs', () => people(400_000, 100_000, 20), 297 * MB],
    ['500k users, 1.25M pairs', () => people(400_000, 100_000, 5), 239 * MB],
    ['125k users, 5M pairs', () => people(100_000, 25_000, 80), 266 * MB],
    ['1M users, 10M pairs', () => people(800_000, 200_000, 20), 408 * MB],
    ['1.6M users, 16M pairs', () => people(1_280_000, 320_000, 20, {}, 0.02), 516 * MB],
    ['5M users, 7.5M pairs', () => people(4_000_000, 1_000_000, 3, {}, 0.01), 416 * MB],
    ['10M users, 100M pairs', () => people(8_000_000, 2_000_000, 20, {}, 0.01), 2058 * MB],
    ['bank of 2M', () => people(3_000, 1_000, 20, { detection: { hashBank: { size: 2_000_000 } } }), 885 * MB],
    [
      'bank of 2M, client-side scanning',
      () => people(3_000, 1_000, 20, { detection: { hashBank: { size: 2_000_000 }, clientSideScanning: { enabled: true } } }),
      1708 * MB,
    ],
    ['bank of 8M', () => people(3_000, 1_000, 20, { detection: { hashBank: { size: 8_000_000 } } }), 2880 * MB],
    [
      '10 days of 10.9M messages, 1M abusive',
      () =>
        scenario({
          durationDays: 10,
          population: { adults: 8_000, minors: 2_000, offenders: { sharers: { count: 1_000, abusiveImagesPerDay: 100 } } },
          traffic: { messagesPerUserPerDay: 100 },
          surfaces: { directMessages: { encryption: 'e2ee' } },
        }),
      462 * MB,
    ],
    [
      '200k users, 5 days, 8M messages',
      () => scenario({ durationDays: 5, population: { adults: 160_000, minors: 40_000, offenders: { sharers: { count: 200 }, groomers: { count: 50 } } } }),
      543 * MB,
    ],
    ['1M users, 1 day, 8M messages', () => scenario({ population: { adults: 800_000, minors: 200_000 } }), 1122 * MB],
    ['e2ee.yaml at 100k accounts, 1 day', () => e2eeAt(100_000), 381 * MB],
    ['e2ee.yaml at 1M accounts, 1 day', () => e2eeAt(1_000_000), 1167 * MB],
    ['e2ee.yaml at 10M accounts, 1 day (80M messages)', () => e2eeAt(10_000_000), 4992 * MB],
  ];

  it.each(measured)('is near the measured peak: %s', (_name, make, bytes) => {
    const estimate = estimateMemory(make(), { scanThreads: 1 }).bytes;
    expect(estimate).toBeGreaterThan(0.95 * bytes);
    expect(estimate).toBeLessThan(1.3 * bytes);
  });

  it('adds up its parts, and names them', () => {
    const e = estimateMemory(shipped('plaintext'));
    expect(Object.keys(e.parts)).toEqual(['runtime', 'population', 'hash bank', 'popular images', 'an hour of messages', 'message records']);
    expect(Object.values(e.parts).reduce((a, b) => a + b, 0)).toBeCloseTo(e.bytes, 0);
    expect(e.heapBytes).toBeGreaterThan(0);
    expect(e.heapBytes).toBeLessThan(e.bytes);
  });

  it('counts a hash bank and its token maps once per scanner, and an index per matcher that matches', () => {
    const s = people(3_000, 1_000, 20, { detection: { hashBank: { size: 1_000_000 }, clientSideScanning: { enabled: true } } });
    const bank = (threads: number, over: (s: Scenario) => void = () => {}) => {
      const t = structuredClone(s);
      over(t);
      return estimateMemory(t, { scanThreads: threads }).parts['hash bank'] as number;
    };
    // The world's copy and the clients' index, then per scanner a copy, a token map and,
    // for each scanning thread, an index (the world's own context scans only on one
    // thread), and for each thread past the first its clients' index too.
    const index = 1_000_000 * 16 * 16 + 17 * (2 ** 16 + 1) * 4;
    const perScanner = 1_000_000 * (32 + 90);
    expect(bank(3) - bank(1)).toBeCloseTo(2 * (perScanner + 2 * index), -3);
    expect(bank(1) - bank(0)).toBeCloseTo(perScanner, -3);
    // No index where nothing matches with one: hash matching off, or a distance past 2 bits per chunk.
    const noScanIndex = bank(1, (t) => (t.detection.hashMatching.enabled = false));
    expect(bank(1) - noScanIndex).toBeCloseTo(index, -3);
    expect(bank(1) - bank(1, (t) => (t.detection.hashMatching.matchDistance = 48))).toBeCloseTo(2 * index, -3);
    expect(estimateMemory(s, { scanThreads: 3 }).parts.runtime).toBeGreaterThan(estimateMemory(s, { scanThreads: 1 }).parts.runtime as number);
  });

  it('grows with what holds memory, and not with what streams through', () => {
    const base = shipped('plaintext');
    const bigger = (patch: (s: Scenario) => void) => {
      const s = structuredClone(base);
      patch(s);
      return estimateMemory(s).bytes;
    };
    const e = estimateMemory(base).bytes;
    expect(bigger((s) => (s.population.adults *= 10))).toBeGreaterThan(e);
    expect(bigger((s) => (s.traffic.contactsPerUser *= 4))).toBeGreaterThan(e);
    expect(bigger((s) => (s.detection.hashBank.size = 5_000_000))).toBeGreaterThan(e);
    expect(bigger((s) => (s.durationDays *= 100))).toBeGreaterThan(e);
    // Flagging every readable image keeps every detected id (and a flag per account and
    // route); encrypted DMs are not readable.
    const flagAll = bigger((s) => (s.detection.imageClassifier.threshold = 0));
    expect(flagAll).toBeGreaterThan(e + 8 * MB);
    expect(
      bigger((s) => {
        s.detection.imageClassifier.threshold = 0;
        s.surfaces.directMessages.encryption = 'e2ee';
      }),
    ).toBeLessThan(flagAll);
    // A rollout keeps readable, so flagged, what is sent before and during it.
    const rolledOut = bigger((s) => {
      s.detection.imageClassifier.threshold = 0;
      s.surfaces.directMessages = { encryption: 'e2ee', fromDay: 0, rampDays: s.durationDays };
    });
    expect(rolledOut).toBeLessThan(flagAll);
    expect(rolledOut).toBeGreaterThan(
      bigger((s) => {
        s.detection.imageClassifier.threshold = 0;
        s.surfaces.directMessages.encryption = 'e2ee';
      }),
    );
    // The seed changes which messages there are, not how many.
    expect(bigger((s) => (s.seed = 99))).toBe(e);
  });

  it('counts as readable the share of a surface sent before its rollout reached both accounts (a DM) or the sender', () => {
    const at = (directMessages: Scenario['surfaces']['directMessages'], durationDays = 30) =>
      readableShare({ durationDays, surfaces: { ...shipped('plaintext').surfaces, directMessages } }, 'dm');
    expect(at({ encryption: 'none', fromDay: 0, rampDays: 0 })).toBe(1);
    expect(at({ encryption: 'e2ee', fromDay: 0, rampDays: 0 })).toBe(0);
    expect(at({ encryption: 'e2ee', fromDay: 10, rampDays: 0 })).toBeCloseTo(1 / 3, 12);
    // A DM during the ramp is readable until both accounts switched: after x of it, 1 - x^2; 2/3 of the ramp on average.
    expect(at({ encryption: 'e2ee', fromDay: 10, rampDays: 10 })).toBeCloseTo((10 + (2 / 3) * 10) / 30, 12);
    // A ramp that runs past the run: only its first half is in it (x up to 1/2: 1/2 - 1/24 of the ramp).
    expect(at({ encryption: 'e2ee', fromDay: 10, rampDays: 40 })).toBeCloseTo((10 + 40 * (1 / 2 - 1 / 24)) / 30, 12);
    // A post needs only its author: 1 - x, half the ramp.
    const post = readableShare(
      { durationDays: 30, surfaces: { ...shipped('plaintext').surfaces, publicPosts: { encryption: 'e2ee', fromDay: 10, rampDays: 10 } } },
      'public',
    );
    expect(post).toBeCloseTo(15 / 30, 12);
  });

  it('never decreases when a count grows, and stays finite up to the limits', () => {
    fc.assert(
      fc.property(
        // Open accounts that, with those joining over the longest run at lifetimes of 100 years, stay within the limit.
        fc.integer({ min: 1, max: LIMITS.users / 2.5 }),
        fc.integer({ min: 0, max: LIMITS.users / 2.5 }),
        fc.integer({ min: 1, max: LIMITS.days }),
        fc.integer({ min: 1, max: LIMITS.bankSize }),
        fc.double({ min: 0, max: LIMITS.messagesPerUserPerDay, noNaN: true }),
        (adults, minors, days, size, messages) => {
          const s = scenario({
            durationDays: days,
            population: { adults, minors, accountAgeDays: 36_500 },
            traffic: { messagesPerUserPerDay: messages, contactsPerUser: 0 },
            detection: { hashBank: { size } },
          });
          const e = estimateMemory(s).bytes;
          expect(Number.isFinite(e)).toBe(true);
          const more = structuredClone(s);
          more.population.adults += 1;
          more.detection.hashBank.size += 1;
          more.durationDays += 1;
          expect(estimateMemory(more).bytes).toBeGreaterThanOrEqual(e);
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });
});

describe('memoryProblem', () => {
  it('passes what fits', () => {
    const s = shipped('plaintext');
    expect(memoryProblem(s, 8 * GB)).toBeNull();
    expect(memoryProblem(s, estimateMemory(s).bytes)).toBeNull();
  });

  it('names the parts that take the memory and the fields to reduce', () => {
    const s = people(6_000_000, 1_500_000, 20, { detection: { hashBank: { size: 10_000_000 } } });
    const p = memoryProblem(s, 3.8 * GB);
    expect(p?.path).toBe('detection.hashBank.size');
    expect(p?.message).toMatch(
      /^this scenario needs about \d+\.\d GB of memory \(hash bank \d+\.\d GB, population \d+\.\d GB\) but this machine has 3\.8 GB; reduce detection\.hashBank\.size, or population\.adults, population\.minors or traffic\.contactsPerUser$/,
    );
  });

  it('points at the population when it is the larger part', () => {
    // Ten million accounts with 20 contacts each, few messages: the contact rows and, while
    // they are built, the pair table.
    const p = memoryProblem(people(8_000_000, 2_000_000, 20), 2 * GB);
    expect(p?.path).toBe('population');
    expect(p?.message).toMatch(/\(population \d\.\d GB, runtime \d+ MB\)/);
    expect(p?.message).toContain('reduce population.adults, population.minors or traffic.contactsPerUser');
    expect(p?.message).not.toContain('hashBank');
  });

  it('says who set the limit and how to change it', () => {
    const p = memoryProblem(shipped('plaintext'), 100 * MB, { limitName: 'BLINDSPOT_MEMORY_LIMIT_MB allows', limitHint: ' (or set X)' });
    expect(p?.message).toMatch(/but BLINDSPOT_MEMORY_LIMIT_MB allows 100 MB; .*\(or set X\)$/);
  });

  it('says when nothing in the scenario can be reduced', () => {
    const tiny = scenario({ population: { adults: 30, minors: 10 }, traffic: { messagesPerUserPerDay: 0, contactsPerUser: 1 } });
    const p = memoryProblem(tiny, 10 * MB);
    expect(p?.path).toBe('');
    expect(p?.message).toMatch(/\(runtime \d+ MB\) but this machine has 10 MB; even the smallest scenario needs this much/);
  });

  it('counts runs at once', () => {
    const s = people(4_000_000, 1_000_000, 20);
    const one = estimateMemory(s, { scanThreads: 0 }).bytes;
    expect(memoryProblem(s, 1.5 * one, { scanThreads: 0 })).toBeNull();
    expect(memoryProblem(s, 1.5 * one, { scanThreads: 0, runsAtOnce: 2 })?.message).toMatch(/for 2 runs at once \(each population \d+(\.\d)? [MG]B/);
  });

  it('refuses a run whose hour of messages would not fit one thread’s JavaScript heap, however much memory there is', () => {
    // e2ee.yaml at ten million accounts: 3.3M messages an hour, held at once.
    const s = e2eeAt(10_000_000);
    const e = estimateMemory(s);
    expect(e.heapParts['an hour of messages']).toBeGreaterThan(2 * GB);
    // The population's typed arrays are not on the heap.
    expect(e.heapParts.population).toBeLessThan(MB);
    expect(memoryProblem(s, 64 * GB, { heapLimitBytes: 4 * GB })).toBeNull();
    const p = memoryProblem(s, 64 * GB, { heapLimitBytes: 1.5 * GB });
    expect(p?.path).toBe('traffic.messagesPerUserPerDay');
    expect(p?.message).toMatch(
      /needs about 2\.\d GB of JavaScript heap in one thread but Node allows 1\.5 GB; reduce traffic\.messagesPerUserPerDay or the population, .*NODE_OPTIONS=--max-old-space-size/,
    );
  });
});

describe('formatBytes', () => {
  it('writes sizes as an analyst reads them', () => {
    expect(formatBytes(1)).toBe('1 MB');
    expect(formatBytes(950 * MB)).toBe('950 MB');
    expect(formatBytes(9.6 * GB)).toBe('9.6 GB');
    expect(formatBytes(20 * 2 ** 40)).toBe('20 TB');
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe('more than any machine has');
  });
});

describe('contact pairs', () => {
  it('are refused past what the contact rows hold, before a run fails on them', () => {
    const data = { seed: 1, durationDays: 1, population: { adults: 8_000_000, minors: 2_000_000 }, traffic: { contactsPerUser: 201 } };
    const r = validateScenario(data, 'x.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems).toEqual([
        {
          path: 'traffic.contactsPerUser',
          message: `10000000 users with 201 contacts each make up to ${contactPairs({ ...scenarioSchema.parse(data), name: 'x' })} contact pairs; one run holds at most ${LIMITS.contactPairs}: reduce traffic.contactsPerUser or the population`,
        },
      ]);
    }
    // Twice the pairs index an Int32Array.
    expect(2 * LIMITS.contactPairs).toBeLessThan(2 ** 31);
    // Ten million accounts with 20 contacts: 100M pairs, six times what a Set held.
    const tenMillion = scenario({ population: { adults: 8_000_000, minors: 2_000_000 }, traffic: { contactsPerUser: 20 } });
    expect(contactPairs(tenMillion)).toBeLessThanOrEqual(LIMITS.contactPairs);
    expect(contactPairs(tenMillion)).toBeGreaterThan(2 ** 24);
  });

  it('count the offender networks and mentors’ classes too', () => {
    const s = scenario({
      population: {
        adults: 1_000,
        minors: 500,
        offenders: { sharers: { count: 10 }, producers: { count: 4 } },
        lookalikes: { mentors: { count: 3, minorsEach: 25 } },
      },
      traffic: { contactsPerUser: 10 },
    });
    // The contacts of every account slot (the open accounts, the joiners, the offenders' reserve), each image offender's network (the reserve's too), the classes.
    const slots = accountSlots(s);
    expect(slots.users).toBe(1_500 + Math.round(1_000 / 700) + Math.round(500 / 700) + slots.offenderReserve);
    expect(contactPairs(s)).toBe(Math.round((slots.users * 10) / 2) + 5 * (14 + slots.offenderReserve) + 3 * 25);
  });
});
