import { describe, expect, it } from 'vitest';
import { ROUTES, type Route, type RunResult, type Scenario } from '@blindspot/core';
import { mergeData, testScenario } from '@blindspot/core/testing';
import { accountSlots } from '@blindspot/core/scenario';
import { decodeMessages, newPlatformKey, type Message } from '@blindspot/core';
import { WorldGenerator, newClientSecret } from '@blindspot/core/world';
import { DEFAULT_BATCH_SIZE, runEmbedded, runEmbeddedParallel } from './embedded';
import { SealPool } from './seal-pool';

type Encryption = 'none' | 'e2ee';
type Json = Record<string, unknown>;

function scenario(dm: Encryption, extra: Json = {}): Scenario {
  const base: Json = {
    name: 'small',
    seed: 4242,
    durationDays: 4,
    population: {
      adults: 300,
      minors: 100,
      offenders: {
        sharers: { count: 12, abusiveImagesPerDay: 3, publicActivityShare: 0.6 },
        producers: { count: 4, abusiveImagesPerDay: 2, publicActivityShare: 0.5 },
        groomers: { count: 4, newTargetsPerDay: 3 },
      },
      lookalikes: { mentors: { count: 3, minorsEach: 20 } },
    },
    traffic: { messagesPerUserPerDay: 4, contactsPerUser: 10 },
    surfaces: { directMessages: { encryption: dm }, publicPosts: { encryption: 'none' } },
    // Benign text that classifiers sometimes score high and reviewers sometimes confirm,
    // so the text classifier has reports to make when DMs (where grooming happens) are encrypted.
    content: { text: { borderlineShare: 0.05, benign: { look: { mean: 0.4, sd: 0.15 } } } },
    detection: {
      hashBank: { size: 300 },
      metadata: { unconnectedMinors: { minMinors: 3, windowHours: 48 } },
      userReports: { probability: 0.3, meanDelayHours: 3, forgedPerDay: 3 },
    },
    review: { capacityPerDay: 6 },
    // These tests compare one world under different settings; a report's closing of its
    // account would make the worlds differ, so this platform closes none (closings have
    // tests of their own, below).
    enforcement: { banReported: false },
  };
  return testScenario(base, extra);
}

function withoutTiming(r: RunResult): Omit<RunResult, 'timing'> {
  const { timing: _timing, ...rest } = r;
  return rest;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

const plainScenario = scenario('none');
const e2eeScenario = scenario('e2ee');
/** E2EE DMs with client-side scanning at a small threshold and ample review: every route has work. */
const allRoutes: Json = { detection: { clientSideScanning: { enabled: true, threshold: 3 } }, review: { capacityPerDay: 100_000 } };
const cssScenario = scenario('e2ee', allRoutes);
/** DMs encrypted from day 1, reaching every account by day 3. */
const rolloutScenario = scenario('e2ee', { surfaces: { directMessages: { encryption: 'e2ee', fromDay: 1, rampDays: 2 } } });
const plain = runEmbedded(plainScenario, { file: 'scenarios/small.yaml' });
const e2ee = runEmbedded(e2eeScenario, { file: 'scenarios/small-e2ee.yaml' });
const css = runEmbedded(cssScenario, { file: 'scenarios/small-css.yaml' });

describe('runEmbedded', () => {
  it('runs a small scenario to a sound result', () => {
    for (const r of [plain, e2ee, css]) expect(r.warnings).toEqual([]);
    expect(plain.scenario).toEqual({ name: 'small', file: 'scenarios/small.yaml', seed: 4242 });
    expect(plain.timing.transport).toBe('embedded');
    expect(plain.timing.wallSeconds).toBeGreaterThanOrEqual(0);
    expect(plain.messages.total).toBeGreaterThan(3000);
    expect(plain.messages.scanned + plain.messages.unscannable).toBe(plain.messages.total);
    // Every server-side route has something to do, so the comparisons below are not vacuous.
    for (const route of ['hashMatch', 'imageClassifier', 'textClassifier', 'metadata', 'userReport'] as const) {
      expect(plain.detections[route], route).toBeGreaterThan(0);
    }
    expect(plain.detections.clientSideScanning).toBe(0);
    expect(plain.reports.total).toBeGreaterThan(0);
    expect(plain.reports.perDay).toHaveLength(4);
    expect(sum(plain.reports.perDay)).toBe(plain.reports.total);
    for (const n of plain.reports.perDay) expect(n).toBeLessThanOrEqual(plainScenario.review.capacityPerDay);
    expect(plain.review.flagsPerDay).toHaveLength(4);
    expect(sum(plain.review.flagsPerDay)).toBe(plain.review.flags);
    expect(plain.review.reviewed).toBeLessThanOrEqual(4 * plainScenario.review.capacityPerDay);
    // The offenders open at the start (12, 4 and 4), and the accounts offenders opened during the run.
    const k = plain.offenders.byKind;
    expect(plain.offenders.total).toBe(k.sharer.total + k.producer.total + k.groomer.total);
    expect([k.sharer.total, k.producer.total, k.groomer.total].map((n, i) => n >= [12, 4, 4][i]!)).toEqual([true, true, true]);
    expect(plain.offenders.total).toBeLessThan(30);
    expect(plain.offenders.reported).toBeLessThanOrEqual(plain.offenders.total);
    // Every innocent account open at some time of the run: the 400 open ones and those that joined.
    const slots = accountSlots(plainScenario);
    expect(plain.privacy.innocentUsers).toBeGreaterThanOrEqual(400 - 20);
    expect(plain.privacy.innocentUsers).toBeLessThanOrEqual(slots.users - slots.offenderReserve);
  });

  it('verifies every user report: genuine ones accepted, forged ones rejected', () => {
    for (const r of [plain, e2ee, css]) {
      expect(r.userReports.forged).toBeGreaterThan(0);
      expect(r.userReports.received).toBe(r.userReports.made + r.userReports.forged);
      expect(r.userReports.accepted).toBe(r.userReports.made);
      expect(r.userReports.rejected).toBe(r.userReports.forged);
      expect(r.detections.userReport).toBe(r.userReports.made);
      // Genuine reports are about offenders only.
      expect(r.reports.falsePositiveByRoute.userReport).toBe(0);
    }
  });

  it('accepts forged reports without franking, and they report innocent accounts', () => {
    // Ample review capacity, so that only the reports differ.
    const s = (franking: boolean) => scenario('none', { detection: { userReports: { franking, forgedPerDay: 20 } }, review: { capacityPerDay: 100_000 } });
    const on = runEmbedded(s(true), { file: 'x' });
    const off = runEmbedded(s(false), { file: 'x' });
    expect(off.warnings).toEqual([]);
    expect(off.userReports.rejected).toBe(0);
    expect(off.userReports.accepted).toBe(off.userReports.made + off.userReports.forged);
    expect(off.reports.falsePositiveByRoute.userReport).toBeGreaterThan(0);
    expect(on.userReports.accepted).toBe(on.userReports.made);
    expect(on.reports.falsePositiveByRoute.userReport).toBe(0);
  });

  it('gives the same result for every batch size', () => {
    for (const [s, expected] of [
      [plainScenario, plain],
      [e2eeScenario, e2ee],
      [cssScenario, css],
    ] as const) {
      for (const batchSize of [1, 7, 1000]) {
        const r = runEmbedded(s, { file: expected.scenario.file, batchSize });
        expect(r.warnings).toEqual([]);
        expect(withoutTiming(r)).toEqual(withoutTiming(expected));
      }
    }
  });

  it('is a function of the scenario: a second run gives the same result, another seed a different one', () => {
    // A fresh platform key and client secret each run: keys must not change the result.
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
    expect(DEFAULT_BATCH_SIZE).toBe(1000);
  });
});

describe('runEmbeddedParallel', () => {
  it('gives the same result as the one-thread runner on 1, 2 and 4 world threads', async () => {
    for (const [s, expected] of [
      [plainScenario, plain],
      [e2eeScenario, e2ee],
      [cssScenario, css],
      [rolloutScenario, runEmbedded(rolloutScenario, { file: 'scenarios/small-rollout.yaml', batchSize: 97 })],
    ] as const) {
      for (const threads of [1, 2, 4]) {
        const r = await runEmbeddedParallel(s, { file: expected.scenario.file, threads });
        expect(withoutTiming(r), `${expected.scenario.file}, ${threads} threads`).toEqual(withoutTiming(expected));
      }
    }
  });

  it('gives the same result on 1 and 2 world threads with the protections for minors on', async () => {
    // Blocks are counted, and requests answered, in the shard that plays the sender, so
    // no thread needs another's: the same messages are refused however shards are spread.
    const s = scenario('e2ee', {
      protections: {
        teenDmLimit: { enabled: true, fromDay: 1, requestAcceptShare: 0.2 },
        safetyPrompts: { enabled: true },
        restrictions: { enabled: true, minBlocks: 1 },
      },
    });
    const expected = runEmbedded(s, { file: 'scenarios/small-protected.yaml' });
    expect(expected.warnings).toEqual([]);
    const p = expected.protections;
    expect([p.refusedRequests, p.restrictedMessages, p.prompted].every((n) => n > 0)).toBe(true);
    for (const threads of [1, 2]) {
      const r = await runEmbeddedParallel(s, { file: expected.scenario.file, threads });
      expect(withoutTiming(r), `${threads} threads`).toEqual(withoutTiming(expected));
    }
  });

  it('reports progress in batch order, ending with the total', async () => {
    const calls: number[] = [];
    await runEmbeddedParallel(e2eeScenario, { file: 'x', threads: 2, onProgress: (messages) => calls.push(messages) });
    expect(calls.length).toBeGreaterThan(3);
    expect([...calls].sort((a, b) => a - b)).toEqual(calls);
    expect(calls.at(-1)).toBe(e2ee.messages.total);
  });
});

describe('runEmbedded: the platform closes the accounts it reports', () => {
  // Eight days with offenders who always come back soon: reports close accounts from day 2 on.
  const closing = scenario('none', {
    durationDays: 8,
    population: { offenders: { sharers: { returnShare: 1, returnDelayDays: 1 }, groomers: { returnShare: 1, returnDelayDays: 1 } } },
    review: { capacityPerDay: 40 },
    enforcement: { banReported: true, delayDays: 1 },
  });
  const keeping = testScenario(closing, { enforcement: { banReported: false } });
  const closed = runEmbedded(closing, { file: 'closing.yaml' });
  const kept = runEmbedded(keeping, { file: 'keeping.yaml' });

  it('closes reported accounts, offenders come back on new accounts, and closing nothing closes nothing', () => {
    expect(closed.warnings).toEqual([]);
    const e = closed.enforcement;
    expect(e.offendersClosed).toBeGreaterThan(5);
    expect(e.closed).toBe(e.offendersClosed + e.innocentClosed);
    // A closing takes effect two days after the review day, so reports of the last two days close nothing within the run.
    expect(e.closed).toBeLessThanOrEqual(closed.reports.total);
    expect(e.returnsAfterClosing).toBeGreaterThan(0);
    expect(e.returnsAfterClosing).toBeLessThanOrEqual(closed.offenders.returns);
    expect(kept.enforcement).toEqual({ closed: 0, offendersClosed: 0, innocentClosed: 0, returnsAfterClosing: 0 });
    // Coming back after closings, more offender accounts are open at some time of the run.
    expect(closed.offenders.total).toBeGreaterThan(kept.offenders.total);
    // The first two days are the same world: nothing closes before day 2.
    expect(closed.messages.perDay.slice(0, 2)).toEqual(kept.messages.perDay.slice(0, 2));
  });

  it('gives the same result whatever the batches and threads', async () => {
    expect(withoutTiming(runEmbedded(closing, { file: 'closing.yaml', batchSize: 137 }))).toEqual(withoutTiming(closed));
    for (const threads of [1, 3]) {
      const r = await runEmbeddedParallel(closing, { file: 'closing.yaml', threads });
      expect(withoutTiming(r), `${threads} threads`).toEqual(withoutTiming(closed));
    }
  });
});

describe('SealPool', () => {
  it('seals exactly the bytes the generator seals itself', async () => {
    const clientSecret = newClientSecret();
    const options = { run: 'r', batchSize: 400, platformKey: newPlatformKey(), clientSecret };
    const inline = [...new WorldGenerator(cssScenario, options).batches()];
    const pool = new SealPool(2, { clientSecret, franking: true });
    try {
      const sealed = await Promise.all([...new WorldGenerator(cssScenario, options).unsealedBatches()].map((b) => pool.seal(b.messages)));
      expect(sealed).toHaveLength(inline.length);
      for (let i = 0; i < inline.length; i++) {
        // Vouchers carry fresh randomness (synthetic ones are sealed under throwaway keys),
        // so of them only presence and length can agree; everything else byte for byte.
        const view = (m: Message) => ({ ...m, payload: [...m.payload], commitment: m.commitment && [...m.commitment], voucher: m.voucher?.length ?? null });
        const ours = decodeMessages(sealed[i]!).map(view);
        const theirs = inline[i]!.messages.map(view);
        expect(ours).toEqual(theirs);
      }
    } finally {
      await pool.close();
    }
  });

  it('fails loudly, not silently, when a thread cannot seal or the pool is used after closing', async () => {
    const clientSecret = newClientSecret();
    const batch = [...new WorldGenerator(e2eeScenario, { run: 'r', batchSize: 50, platformKey: newPlatformKey(), clientSecret }).unsealedBatches()][0]!;
    const pool = new SealPool(1, { clientSecret, franking: true });
    // A nonce counter past the six bytes of the nonce: the thread refuses it, and says why.
    const bad = batch.messages.map((m, i) => (i === 0 ? { ...m, envelope: { ...m.envelope, encrypted: true }, nonce: 2 ** 48 } : m));
    await expect(pool.seal(bad)).rejects.toThrow(/sealing failed: .*nonce counter/);
    await pool.close();
    await expect(pool.seal(batch.messages)).rejects.toThrow(/closed/);
  });
});

describe('runEmbedded: plaintext versus end-to-end encrypted DMs', () => {
  it('simulates the same world: same messages, same abuse, same offenders', () => {
    expect(e2ee.messages.total).toBe(plain.messages.total);
    for (const kind of ['knownImage', 'newImage', 'grooming'] as const) expect(e2ee.abuse[kind]).toBe(plain.abuse[kind]);
    expect(e2ee.offenders.total).toBe(plain.offenders.total);
    expect(e2ee.userReports.made).toBe(plain.userReports.made);
    expect(plain.abuse.encrypted).toBe(0);
    expect(e2ee.abuse.encrypted).toBeGreaterThan(0);
  });

  it('blinds the scanner: unscannable messages only under e2ee, and fewer content detections', () => {
    expect(plain.messages.unscannable).toBe(0);
    expect(plain.messages.encrypted).toBe(0);
    expect(e2ee.messages.unscannable).toBeGreaterThan(0);
    expect(e2ee.messages.encrypted).toBe(e2ee.messages.unscannable);
    expect(e2ee.messages.scanned).toBeLessThan(plain.messages.scanned);
    for (const route of ['hashMatch', 'imageClassifier', 'textClassifier'] as const) {
      expect(e2ee.detections[route], route).toBeLessThan(plain.detections[route]);
    }
    expect(e2ee.recall.knownImage!).toBeLessThan(plain.recall.knownImage!);
    expect(e2ee.recall.grooming!).toBeLessThan(plain.recall.grooming!);
  });

  it('leaves the metadata rules and user reports untouched', () => {
    // The metadata detector sees envelopes only, and recipients report plaintext.
    expect(e2ee.detections.metadata).toBe(plain.detections.metadata);
    expect(e2ee.detections.userReport).toBe(plain.detections.userReport);
    expect(e2ee.userReports).toEqual(plain.userReports);
  });

  it("takes DMs out of the platform's sight: no innocent private message is readable", () => {
    expect(plain.privacy.readableInnocentMessages).toBeGreaterThan(0);
    expect(e2ee.privacy.readableInnocentMessages).toBe(0);
    expect(e2ee.privacy.innocentUsersExposed).toBe(0);
    expect(e2ee.privacy.innocentUsers).toBe(plain.privacy.innocentUsers);
  });

  it('encrypts nothing but DMs: with every surface e2ee, nothing is scanned at all', () => {
    const all = runEmbedded(
      scenario('e2ee', { surfaces: { directMessages: { encryption: 'e2ee' }, publicPosts: { encryption: 'e2ee' }, profilePhotos: { encryption: 'e2ee' } } }),
      { file: 'x' },
    );
    expect(all.warnings).toEqual([]);
    expect(all.messages.scanned).toBe(0);
    expect(all.messages.unscannable).toBe(all.messages.total);
    for (const route of ['hashMatch', 'imageClassifier', 'textClassifier'] as const) {
      expect(all.detections[route]).toBe(0);
      expect(all.reports.byRoute[route]).toBe(0);
    }
    expect(all.detections.metadata).toBe(plain.detections.metadata);
    // Only recipients' reports can still find abuse.
    expect(all.recall.newImage!).toBeLessThanOrEqual(plain.recall.newImage!);
    expect(all.detections.userReport).toBe(plain.detections.userReport);
  });
});

describe('runEmbedded: encryption rolled out', () => {
  const rolled = runEmbedded(rolloutScenario, { file: 'scenarios/small-rollout.yaml' });

  it('is encrypted from its fromDay, rising over the ramp to every DM, in a sound result', () => {
    expect(rolled.warnings).toEqual([]);
    const enc = rolled.messages.encryptedPerDay;
    expect(enc).toHaveLength(4);
    expect(enc[0]).toBe(0);
    expect(enc[1]).toBeGreaterThan(0);
    expect(enc[2]).toBeGreaterThan(enc[1]!);
    // After the ramp, every DM: as many as with DMs encrypted from the start.
    expect(enc[3]).toBe(e2ee.messages.encryptedPerDay[3]);
    expect(enc[2]).toBeLessThan(e2ee.messages.encryptedPerDay[2]!);
    expect(sum(enc)).toBe(rolled.messages.encrypted);
    // The same messages as without encryption, day by day.
    expect(rolled.messages.perDay).toEqual(plain.messages.perDay);
    expect(sum(plain.messages.perDay)).toBe(plain.messages.total);
    expect(plain.messages.encryptedPerDay).toEqual([0, 0, 0, 0]);
  });

  it('leaves readable what was sent before the rollout: privacy and detection between plaintext and e2ee', () => {
    const readable = (r: RunResult) => r.privacy.readableInnocentMessages;
    expect(readable(rolled)).toBeGreaterThan(readable(e2ee));
    expect(readable(rolled)).toBeLessThan(readable(plain));
    // Before the rollout, the platform sees what it sees without encryption.
    expect(rolled.review.flagsPerDay[0]).toBe(plain.review.flagsPerDay[0]);
    expect(rolled.reports.perDay[0]).toBe(plain.reports.perDay[0]);
  });

  it('sums its per-day series into 30-day months', () => {
    for (const r of [plain, rolled]) {
      expect(r.reports.perMonth).toEqual([sum(r.reports.perDay)]);
      expect(r.review.flagsPerMonth).toEqual([sum(r.review.flagsPerDay)]);
      expect(r.messages.perMonth).toEqual([r.messages.total]);
      expect(r.messages.encryptedPerMonth).toEqual([r.messages.encrypted]);
    }
  });
});

describe('runEmbedded: client-side scanning', () => {
  it('finds known images in encrypted DMs once an account crosses the threshold', () => {
    expect(css.clientSideScanning.vouchers).toBeGreaterThan(0);
    expect(css.clientSideScanning.matched).toBeGreaterThan(0);
    expect(css.clientSideScanning.matched).toBeLessThanOrEqual(css.clientSideScanning.vouchers);
    expect(css.clientSideScanning.accountsOpened).toBeGreaterThan(0);
    expect(css.clientSideScanning.opened).toBe(css.detections.clientSideScanning);
    expect(css.clientSideScanning.opened).toBeLessThanOrEqual(css.clientSideScanning.matched);
    expect(css.clientSideScanning.innocentAccountsOpened).toBeLessThanOrEqual(css.clientSideScanning.accountsOpened);
    expect(css.recall.knownImage!).toBeGreaterThan(e2ee.recall.knownImage!);
    expect(e2ee.clientSideScanning).toEqual({ vouchers: 0, matched: 0, opened: 0, accountsOpened: 0, innocentAccountsOpened: 0 });
  });

  it('changes nothing else: the same world, and the same detections on every other route', () => {
    expect(css.messages).toEqual(e2ee.messages);
    expect(css.abuse).toEqual(e2ee.abuse);
    for (const route of ROUTES.filter((r) => r !== 'clientSideScanning')) expect(css.detections[route], route).toBe(e2ee.detections[route]);
  });
});

describe('runEmbedded: each detection route can be switched off alone', () => {
  const SWITCH: Record<Route, Json> = {
    hashMatch: { detection: { hashMatching: { enabled: false } } },
    imageClassifier: { detection: { imageClassifier: { enabled: false } } },
    textClassifier: { detection: { textClassifier: { enabled: false } } },
    metadata: { detection: { metadata: { enabled: false } } },
    userReport: { detection: { userReports: { enabled: false } } },
    clientSideScanning: { detection: { clientSideScanning: { enabled: false } } },
  };

  it('has every route detecting and reporting with all of them on (the premise)', () => {
    for (const route of ROUTES) {
      expect(css.detections[route], route).toBeGreaterThan(0);
      expect(css.reports.routeReports[route], route).toBeGreaterThan(0);
    }
    // Review capacity is ample: nothing waits, so routes cannot crowd each other out.
    expect(css.review.backlogAtEnd).toBe(0);
  });

  it.each(ROUTES)('%s: off, it detects and reports nothing, and every other route is unchanged', (route) => {
    const r = runEmbedded(scenario('e2ee', mergeData(allRoutes, SWITCH[route])), { file: 'x' });
    expect(r.warnings).toEqual([]);
    expect(r.detections[route]).toBe(0);
    expect(r.reports.routeReports[route]).toBe(0);
    const others = (x: RunResult) =>
      Object.fromEntries(ROUTES.filter((o) => o !== route).map((o) => [o, { detections: x.detections[o], routeReports: x.reports.routeReports[o] }]));
    expect(others(r)).toEqual(others(css));
  });
});

describe('runEmbedded: incidents, bundling and police', () => {
  // A bank of three entries and sharers who send few images: many incidents rest on one
  // match of one entry, so viral duplicates are there to bundle; a short incident window
  // and a burn-in day exercise the rest.
  const viral = testScenario({
    name: 'viral',
    seed: 4242,
    durationDays: 6,
    burnInDays: 1,
    population: { adults: 300, minors: 100, offenders: { sharers: { count: 12, abusiveImagesPerDay: 0.4, publicActivityShare: 0.6 } } },
    traffic: { messagesPerUserPerDay: 4, contactsPerUser: 10 },
    detection: { hashBank: { size: 3, wronglyListedShare: 0 }, imageClassifier: { enabled: false } },
    reporting: { incidentWindowDays: 1 },
    police: { capacityPerDay: 1 },
  });
  const r = runEmbedded(viral, { file: 'viral.yaml' });

  it('bundles incidents of one bank entry, counts incidents at least per account, and keeps police within capacity', () => {
    expect(r.warnings).toEqual([]);
    expect(r.cyberTips.bundled).toBeGreaterThan(0);
    expect(r.cyberTips.incidents).toBe(r.cyberTips.reports - r.cyberTips.bundled);
    expect(r.cyberTips.reports).toBeGreaterThanOrEqual(r.cyberTips.accounts);
    for (const e of r.cyberTips.list.filter((x) => x.bundled)) {
      expect(e.bankEntry).not.toBeNull();
      expect(Object.keys(e.evidence)).toEqual(['hashMatch']);
    }
    for (const n of r.police.investigationsPerDay) expect(n).toBeLessThanOrEqual(1);
    expect(r.police.investigations).toBeLessThanOrEqual(viral.durationDays - 1);
  });

  it('gives the same incidents and police for every batch size and thread count', async () => {
    for (const batchSize of [7, 250]) expect(withoutTiming(runEmbedded(viral, { file: 'viral.yaml', batchSize }))).toEqual(withoutTiming(r));
    expect(withoutTiming(await runEmbeddedParallel(viral, { file: 'viral.yaml', threads: 2 }))).toEqual(withoutTiming(r));
  });
});
