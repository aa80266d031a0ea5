import { describe, expect, it } from 'vitest';
import { validateScenario, type RunResult, type Scenario } from '@blindspot/core';
import { DEFAULT_BATCH_SIZE, runEmbedded } from './embedded';

type Encryption = 'none' | 'e2ee';

function scenario(dm: Encryption, extra: Record<string, unknown> = {}): Scenario {
  const r = validateScenario(
    {
      seed: 4242,
      durationDays: 4,
      population: {
        adults: 300,
        minors: 100,
        offenders: {
          sharers: { count: 10, abusiveImagesPerDay: 3 },
          groomers: { count: 4, newTargetsPerDay: 3, abusiveShare: 0.3 },
        },
      },
      traffic: { messagesPerUserPerDay: 4, contactsPerUser: 10 },
      surfaces: { directMessages: { encryption: dm }, publicPosts: { encryption: 'none' } },
      detection: {
        hashBank: { size: 500 },
        metadata: { unconnectedMinors: { minMinors: 3, windowHours: 48 } },
        userReports: { probability: 0.3, meanDelayHours: 3 },
      },
      review: { capacityPerDay: 6, metadataMinMinors: 3 },
      ...extra,
    },
    'small.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

function withoutTiming(r: RunResult): Omit<RunResult, 'timing'> {
  const { timing: _timing, ...rest } = r;
  return rest;
}

const plainScenario = scenario('none');
const e2eeScenario = scenario('e2ee');
const plain = runEmbedded(plainScenario, { file: 'scenarios/small.yaml' });
const e2ee = runEmbedded(e2eeScenario, { file: 'scenarios/small-e2ee.yaml' });

describe('runEmbedded', () => {
  it('runs a small scenario to a sound result', () => {
    expect(plain.warnings).toEqual([]);
    expect(e2ee.warnings).toEqual([]);
    expect(plain.scenario).toEqual({ name: 'small', file: 'scenarios/small.yaml', seed: 4242 });
    expect(plain.timing.transport).toBe('embedded');
    expect(plain.timing.wallSeconds).toBeGreaterThanOrEqual(0);
    expect(plain.messages.total).toBeGreaterThan(3000);
    expect(plain.messages.scanned + plain.messages.unscannable).toBe(plain.messages.total);
    // Every route has something to do, so the comparisons below are not vacuous.
    expect(plain.detections.hashMatch).toBeGreaterThan(0);
    expect(plain.detections.metadata).toBeGreaterThan(0);
    expect(plain.detections.userReport).toBeGreaterThan(0);
    expect(plain.reports.total).toBeGreaterThan(0);
    expect(plain.reports.perDay).toHaveLength(4);
    expect(plain.reports.perDay.reduce((a, b) => a + b, 0)).toBe(plain.reports.total);
    for (const n of plain.reports.perDay) expect(n).toBeLessThanOrEqual(plainScenario.review.capacityPerDay);
    expect(plain.offenders.total).toBe(14);
    expect(plain.offenders.reported).toBeLessThanOrEqual(plain.offenders.total);
  });

  it('gives the same result for every batch size', () => {
    for (const [s, expected] of [
      [plainScenario, plain],
      [e2eeScenario, e2ee],
    ] as const) {
      for (const batchSize of [1, 7, 1000]) {
        const r = runEmbedded(s, { file: expected.scenario.file, batchSize });
        expect(r.warnings).toEqual([]);
        expect(withoutTiming(r)).toEqual(withoutTiming(expected));
      }
    }
  });

  it('is a function of the scenario: a second run gives the same result, another seed a different one', () => {
    expect(withoutTiming(runEmbedded(plainScenario, { file: 'scenarios/small.yaml' }))).toEqual(withoutTiming(plain));
    const other = runEmbedded(scenario('none', { seed: 4243 }), { file: 'scenarios/small.yaml' });
    expect(withoutTiming(other)).not.toEqual(withoutTiming(plain));
  });

  it('reports progress after every batch, ending with the total', () => {
    const calls: Array<[number, number]> = [];
    runEmbedded(plainScenario, { file: 'x', batchSize: 500, onProgress: (messages, day) => calls.push([messages, day]) });
    expect(calls.length).toBeGreaterThan(1);
    for (let i = 1; i < calls.length; i++) {
      expect(calls[i]![0]).toBeGreaterThanOrEqual(calls[i - 1]![0]);
      expect(calls[i]![1]).toBeGreaterThanOrEqual(calls[i - 1]![1]);
    }
    expect(calls.at(-1)).toEqual([plain.messages.total, plainScenario.durationDays]);
    expect(DEFAULT_BATCH_SIZE).toBeGreaterThanOrEqual(1);
  });
});

describe('runEmbedded: plaintext versus end-to-end encrypted DMs', () => {
  it('simulates the same world: same messages, same abuse, same offenders', () => {
    expect(e2ee.messages.total).toBe(plain.messages.total);
    expect(e2ee.abuse.knownImage).toBe(plain.abuse.knownImage);
    expect(e2ee.abuse.grooming).toBe(plain.abuse.grooming);
    expect(e2ee.offenders.total).toBe(plain.offenders.total);
    expect(plain.abuse.encrypted).toBe(0);
    expect(e2ee.abuse.encrypted).toBeGreaterThan(0);
  });

  it('blinds the scanner: unscannable messages only under e2ee, and fewer hash matches', () => {
    expect(plain.messages.unscannable).toBe(0);
    expect(plain.messages.encrypted).toBe(0);
    expect(e2ee.messages.unscannable).toBeGreaterThan(0);
    expect(e2ee.messages.encrypted).toBe(e2ee.messages.unscannable);
    expect(e2ee.messages.scanned).toBeLessThan(plain.messages.scanned);
    expect(e2ee.detections.hashMatch).toBeLessThan(plain.detections.hashMatch);
    expect(e2ee.reports.byRoute.hashMatch).toBeLessThan(plain.reports.byRoute.hashMatch);
  });

  it('leaves the metadata rule and user reports untouched', () => {
    // The metadata detector sees envelopes only, and recipients report plaintext.
    expect(e2ee.detections.metadata).toBe(plain.detections.metadata);
    expect(e2ee.detections.userReport).toBe(plain.detections.userReport);
  });

  it('encrypts nothing but DMs: with every surface e2ee, nothing is scanned at all', () => {
    const all = runEmbedded(scenario('e2ee', { surfaces: { directMessages: { encryption: 'e2ee' }, publicPosts: { encryption: 'e2ee' } } }), {
      file: 'x',
    });
    expect(all.warnings).toEqual([]);
    expect(all.messages.scanned).toBe(0);
    expect(all.messages.unscannable).toBe(all.messages.total);
    expect(all.detections.hashMatch).toBe(0);
    expect(all.reports.byRoute.hashMatch).toBe(0);
    expect(all.detections.metadata).toBe(plain.detections.metadata);
  });
});
