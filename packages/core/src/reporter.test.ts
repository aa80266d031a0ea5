import { describe, expect, it } from 'vitest';
import type { Scenario } from './scenario';
import { testScenario } from './testing';
import { applyReporter, detectedEntry, detectedMessage, detectedRoute, initialReporterState, type ReporterContext, type ReporterState } from './reporter';
import { scanBatch, scannerContext } from './scanner';
import { encodeContent } from './content';
import { bankEntry, randomHash } from './hash';
import { commit, countersign, newFrankingKey, newPlatformKey } from './franking';
import { VoucherClient, VoucherServer, encodeShare, encodeVoucher } from './css';
import { Random } from './random';
import { ROUTES, type Route } from './routes';
import type { MetadataRule } from './metadata/rules';
import { DAY, type Detection, type Message, type MetadataResult, type ScanCounts, type ScanResult, type UserReport, type VoucherMatch } from './types';

function scenario(
  review: Record<string, unknown> = {},
  durationDays = 5,
  detection: Record<string, unknown> = {},
  more: Record<string, unknown> = {},
): Scenario {
  return testScenario(
    {
      seed: 1,
      durationDays,
      population: { adults: 40, minors: 10 },
      traffic: { popularImages: 10 },
      detection: { hashBank: { size: 100 } },
      review: { confirmThreshold: 0.5, metadataMinRules: 2, metadataMinStrength: 2 },
    },
    { detection, review, ...more },
  );
}

const platformKey = newPlatformKey();
const context = (s: Scenario): ReporterContext => ({ scenario: s, platformKey });

const noCounts: ScanCounts = { messages: 0, encrypted: 0, scanned: 0, unscannable: 0, deadLettered: 0, vouchers: 0, vouchersMatched: 0 };

/**
 * A detection. Event ids default to a stand-in that increases with time, as stream ids
 * do; messageId defaults to the event (-1 is what a block- or report-triggered metadata
 * detection carries).
 */
function det(route: Route, account: number, t: number, evidence: number, event = Math.floor(t), rule?: MetadataRule): Detection {
  const d: Detection = { route, account, t, messageId: event, event, evidence };
  if (route === 'metadata') d.rule = rule ?? 'unconnectedMinors';
  return d;
}

type Item = Detection | UserReport | VoucherMatch;
const isReport = (i: Item): i is UserReport => 'reporter' in i;
const isVoucher = (i: Item): i is VoucherMatch => 'share' in i;
const isDetection = (i: Item): i is Detection => 'route' in i;

/**
 * Splits one batch's items into the scanner's and the metadata detector's outputs.
 * Detections of the userReport and clientSideScanning routes stand in for a verified
 * report and an opened voucher (the reporter makes those itself; it treats every
 * detection alike), so review logic can be tested on plain detections; they travel with
 * the scanner's.
 */
function outputs(seq: number, items: Item[], final = false, counts: ScanCounts = noCounts): [ScanResult, MetadataResult] {
  const ds = items.filter(isDetection);
  return [
    { run: 'r', seq, final, detections: ds.filter((d) => d.route !== 'metadata'), vouchers: items.filter(isVoucher), counts },
    { run: 'r', seq, final, detections: ds.filter((d) => d.route === 'metadata'), reports: items.filter(isReport) },
  ];
}

/** Applies the items as batches (already cut), the last one final; returns the state and the detected message ids. */
function applyAll(s: Scenario, batches: Item[][]): { state: ReporterState; detected: number[] } {
  const state = initialReporterState(s);
  const detected: number[] = [];
  batches.forEach((items, i) => {
    detected.push(...applyReporter(context(s), state, ...outputs(i, items, i === batches.length - 1)));
  });
  return { state, detected };
}
const apply = (s: Scenario, batches: Item[][]) => applyAll(s, batches).state;
/** The detected messages, without the flag records. */
const messagesOf = (detected: number[]) => detected.filter((x) => x >= 0).map(detectedMessage);

/** A genuine franked user report of message `messageId` from `sender` to `reporter`. */
function genuineReport(
  o: { id: number; messageId: number; t: number; reporter: number; sender: number; sentAt: number; look?: number },
  key: Uint8Array = platformKey,
): UserReport {
  const content = encodeContent({ media: 'text', score: 0.9, look: o.look ?? 0.9 });
  const frankingKey = newFrankingKey();
  const commitment = commit(frankingKey, content);
  const tag = countersign(key, commitment, { messageId: o.messageId, sender: o.sender, recipient: o.reporter, t: o.sentAt });
  return {
    id: o.id,
    messageId: o.messageId,
    t: o.t,
    reporter: o.reporter,
    reported: o.sender,
    recipient: o.reporter,
    sentAt: o.sentAt,
    surface: 'dm',
    content,
    frankingKey,
    commitment,
    tag,
  };
}

/** A report without franking: content only, as a platform without franking receives it. */
function unfrankedReport(o: { id: number; messageId: number; t: number; reporter: number; reported: number; look?: number }): UserReport {
  const empty = new Uint8Array(0);
  return {
    ...o,
    recipient: o.reporter,
    sentAt: o.t - 60,
    surface: 'dm',
    content: encodeContent({ media: 'image', hash: randomHash(Random.derive(o.id, 'report')), quality: 90, score: 0.9, look: o.look ?? 0.9 }),
    frankingKey: empty,
    commitment: empty,
    tag: empty,
  };
}

describe('applyReporter: review capacity', () => {
  it('with capacity 1, three flags on day 0 are filed on days 0, 1 and 2, oldest first', () => {
    const s = scenario({ capacityPerDay: 1 });
    const state = apply(s, [[det('hashMatch', 1, 100, 0.9), det('hashMatch', 2, 200, 0.9), det('hashMatch', 3, 300, 0.9)]]);
    expect(state.perDay).toEqual([1, 1, 1, 0, 0]);
    expect(state.flagsPerDay).toEqual([3, 0, 0, 0, 0]);
    expect(state.tips['1']).toMatchObject({ account: 1, routes: ['hashMatch'], filedAt: 1 * DAY, firstDetection: 100 });
    expect(state.tips['2']).toMatchObject({ filedAt: 2 * DAY, firstDetection: 200 });
    expect(state.tips['3']).toMatchObject({ filedAt: 3 * DAY, firstDetection: 300 });
    expect(state.review).toEqual({ flags: 3, reviewed: 3, confirmed: 3, rejected: 0 });
    expect(state.backlog).toEqual([]);
    expect(state.flags).toEqual({});
    expect(state.done).toBe(true);
    expect(state.day).toBe(5);
  });

  it('never reviews more than the capacity in a day', () => {
    const rng = Random.derive(1, 'capacity');
    for (const capacity of [0, 1, 2, 5]) {
      const s = scenario({ capacityPerDay: capacity }, 6);
      const ds = Array.from({ length: 40 }, (_, i) => det('hashMatch', i, rng.next() * 6 * DAY, 0.9))
        .sort((a, b) => a.t - b.t)
        .map((d, i) => ({ ...d, event: i, messageId: i }));
      const state = apply(s, [ds]);
      for (const n of state.perDay) expect(n).toBeLessThanOrEqual(capacity);
      expect(state.review.reviewed).toBeLessThanOrEqual(capacity * 6);
      expect(state.review.reviewed + state.backlog.length).toBe(state.review.flags);
      expect(state.review.flags).toBe(40);
      expect(state.flagsPerDay.reduce((a, b) => a + b, 0)).toBe(40);
      if (capacity === 0) expect(state.review.reviewed).toBe(0);
    }
  });

  it('reviews a day only once it is over: a later detection closes earlier days', () => {
    const s = scenario({ capacityPerDay: 1 });
    const state = initialReporterState(s);
    const day0 = [det('hashMatch', 1, 100, 0.9), det('hashMatch', 2, 200, 0.9), det('hashMatch', 3, 300, 0.9)];
    applyReporter(context(s), state, ...outputs(0, day0));
    expect(state.review.reviewed).toBe(0);
    expect(state.day).toBe(0);
    applyReporter(context(s), state, ...outputs(1, [det('imageClassifier', 9, 2 * DAY + 5, 0.9)]));
    expect(state.day).toBe(2);
    expect(Object.keys(state.tips).sort()).toEqual(['1', '2']);
    expect(state.backlog).toEqual(['3:hashMatch', '9:imageClassifier']);
    applyReporter(context(s), state, ...outputs(2, [], true));
    expect(state.perDay).toEqual([1, 1, 1, 1, 0]);
    expect(state.tips['9']?.filedAt).toBe(4 * DAY);
  });

  it('counts the backlog left at the end', () => {
    const s = scenario({ capacityPerDay: 1 }, 2);
    const state = apply(s, [[1, 2, 3, 4, 5].map((a) => det('hashMatch', a, a * 60, 0.9))]);
    expect(state.review).toEqual({ flags: 5, reviewed: 2, confirmed: 2, rejected: 0 });
    expect(state.backlog).toEqual(['3:hashMatch', '4:hashMatch', '5:hashMatch']);
    expect(Object.keys(state.flags).sort()).toEqual(['3:hashMatch', '4:hashMatch', '5:hashMatch']);
    expect(state.perDay).toEqual([1, 1]);
  });
});

describe('applyReporter: review order', () => {
  // Day 0: a metadata flag (oldest), a user report, a classifier hit, a hash match and a
  // client-side-scanning hit (newest). Capacity 1: one a day, so the order shows.
  const day0 = [
    det('metadata', 1, 10, 3),
    det('userReport', 2, 20, 0.9),
    det('textClassifier', 6, 25, 0.9),
    det('hashMatch', 3, 30, 0.9),
    det('clientSideScanning', 4, 40, 0.9),
  ];
  const filingOrder = (state: ReporterState) =>
    Object.values(state.tips)
      .sort((a, b) => a.filedAt - b.filedAt)
      .map((t) => t.account);

  it("reviews by the scenario's route priority first, whatever the age", () => {
    // Default: hashMatch, clientSideScanning, userReport, imageClassifier, textClassifier, metadata.
    const s = scenario({ capacityPerDay: 1 }, 6);
    expect(filingOrder(apply(s, [day0]))).toEqual([3, 4, 2, 6, 1]);
  });

  it('puts routes left out of the priority list last, oldest first among them', () => {
    const s = scenario({ capacityPerDay: 1, priority: ['clientSideScanning', 'textClassifier'] }, 6);
    expect(filingOrder(apply(s, [day0]))).toEqual([4, 6, 1, 2, 3]);
  });

  it('reviews oldest first within a route, and a more urgent newcomer goes ahead of an older flag', () => {
    const s = scenario({ capacityPerDay: 1 }, 4);
    const state = apply(s, [
      [det('textClassifier', 1, 10, 0.9), det('textClassifier', 2, 20, 0.9), det('textClassifier', 3, 5 + DAY, 0.9), det('hashMatch', 4, 10 + DAY, 0.9)],
    ]);
    // Day 0: account 1. Day 1: the hash match raised that day beats account 2's older flag.
    expect(filingOrder(state)).toEqual([1, 4, 2, 3]);
  });
});

describe('applyReporter: flags, review and reports to police', () => {
  it('raises one flag per (account, route), aggregating later detections into it', () => {
    const s = scenario({ capacityPerDay: 20 });
    const state = apply(s, [
      [
        det('hashMatch', 1, 100, 0.9),
        det('hashMatch', 1, 200, 0.7),
        det('imageClassifier', 1, 250, 0.8),
        det('metadata', 1, 400, 6),
        det('hashMatch', 1, DAY + 5, 0.95),
        det('imageClassifier', 1, 2 * DAY, 0.6),
        det('hashMatch', 1, 3 * DAY + 5, 0.95),
        det('hashMatch', 2, 3 * DAY + 6, 0.95),
      ],
    ]);
    expect(state.review).toEqual({ flags: 4, reviewed: 4, confirmed: 4, rejected: 0 });
    expect(state.flagsPerDay).toEqual([3, 0, 0, 1, 0]);
    expect(Object.keys(state.confirmed).sort()).toEqual(['1:hashMatch', '1:imageClassifier', '1:metadata', '2:hashMatch']);
    expect(state.detections).toEqual({ hashMatch: 5, imageClassifier: 2, textClassifier: 0, metadata: 1, userReport: 0, clientSideScanning: 0 });
    // One report to police per account: account 1's three confirmed routes are one tip.
    expect(state.perDay).toEqual([1, 0, 0, 1, 0]);
    expect(state.tips['1']).toMatchObject({
      account: 1,
      routes: ['hashMatch', 'imageClassifier', 'metadata'],
      filedAt: DAY,
      firstDetection: 100,
      evidence: { hashMatch: 4, imageClassifier: 2, metadata: 1 },
    });
    expect(state.reviewed).toEqual({ '1': true, '2': true });
  });

  it('rejects a content flag whose evidence is below confirmThreshold, and confirms one at it', () => {
    const s = scenario({ capacityPerDay: 20, confirmThreshold: 0.5 });
    const state = apply(s, [
      [det('hashMatch', 1, 10, 0.49), det('userReport', 2, 20, 0.5), det('textClassifier', 3, 30, 0.1), det('clientSideScanning', 4, 40, 0.51)],
    ]);
    expect(Object.keys(state.tips).sort()).toEqual(['2', '4']);
    expect(Object.keys(state.confirmed).sort()).toEqual(['2:userReport', '4:clientSideScanning']);
    expect(state.review).toEqual({ flags: 4, reviewed: 4, confirmed: 2, rejected: 2 });
    // Rejected accounts were still looked at.
    expect(Object.keys(state.reviewed).sort()).toEqual(['1', '2', '3', '4']);
  });

  it('judges a flag on the strongest evidence seen before its review; later evidence raises a new flag', () => {
    const s = scenario({ capacityPerDay: 20 });
    const state = apply(s, [[det('hashMatch', 1, 10, 0.2), det('hashMatch', 1, 20, 0.9), det('hashMatch', 1, 30, 0.1)]]);
    expect(Object.keys(state.tips)).toEqual(['1']);
    expect(state.tips['1']?.evidence).toEqual({ hashMatch: 3 });
    // Evidence arriving after the review day does not rescue a rejected flag retroactively.
    const late = apply(s, [[det('hashMatch', 2, 10, 0.2), det('hashMatch', 2, DAY + 10, 0.9)]]);
    expect(late.review).toEqual({ flags: 2, reviewed: 2, confirmed: 1, rejected: 1 });
    expect(late.tips['2']).toMatchObject({ filedAt: 2 * DAY, firstDetection: DAY + 10, evidence: { hashMatch: 1 } });
  });

  it('raises no new flag for a confirmed (account, route): later detections add to the report', () => {
    const s = scenario({ capacityPerDay: 20 });
    const state = apply(s, [[det('hashMatch', 1, 10, 0.9), det('hashMatch', 1, DAY + 10, 0.9), det('hashMatch', 1, 2 * DAY + 10, 0.2)]]);
    expect(state.review.flags).toBe(1);
    expect(state.tips['1']).toMatchObject({ filedAt: DAY, evidence: { hashMatch: 3 }, lastDetection: 2 * DAY + 10 });
  });

  it('records the last detection behind a report, including those gathered before it was filed', () => {
    // Reporter.ts documents Tip.lastDetection as the last detection behind the report;
    // two hash matches (t = 100 and t = 200) are both behind account 1's report.
    const s = scenario({ capacityPerDay: 20 });
    const state = apply(s, [[det('hashMatch', 1, 100, 0.9), det('hashMatch', 1, 200, 0.9)]]);
    expect(state.tips['1']).toMatchObject({ firstDetection: 100, evidence: { hashMatch: 2 } });
    expect(state.tips['1']?.lastDetection).toBe(200);
  });

  it('confirms a metadata flag on at least metadataMinRules rules, or one rule at metadataMinStrength', () => {
    const s = scenario({ capacityPerDay: 20, metadataMinRules: 2, metadataMinStrength: 2 });
    const state = apply(s, [
      [
        det('metadata', 1, 10, 1, 10, 'unconnectedMinors'), // one rule, weak: rejected
        det('metadata', 2, 20, 1, 20, 'unconnectedMinors'),
        det('metadata', 2, 30, 1, 30, 'imagesToMinors'), // two rules: confirmed
        det('metadata', 3, 40, 2, 40, 'newAccountBurst'), // one rule at the strength: confirmed
        det('metadata', 4, 50, 1.99, 50, 'blocksAndReports'), // just below: rejected
        det('metadata', 5, 60, 1, 60, 'unconnectedMinors'),
        det('metadata', 5, 70, 1.5, 70, 'unconnectedMinors'), // the same rule twice is one rule: rejected
      ],
    ]);
    expect(Object.keys(state.confirmed).sort()).toEqual(['2:metadata', '3:metadata']);
    expect(state.review).toEqual({ flags: 5, reviewed: 5, confirmed: 2, rejected: 3 });
    expect(state.patterns).toEqual({
      '1': ['unconnectedMinors'],
      '2': ['unconnectedMinors', 'imagesToMinors'],
      '3': ['newAccountBurst'],
      '4': ['blocksAndReports'],
      '5': ['unconnectedMinors'],
    });
    // With metadataMinRules 1, any rule that fired is enough.
    const lenient = apply(scenario({ capacityPerDay: 20, metadataMinRules: 1, metadataMinStrength: 1000 }), [
      [det('metadata', 1, 10, 1, 10, 'unconnectedMinors')],
    ]);
    expect(Object.keys(lenient.confirmed)).toEqual(['1:metadata']);
  });

  it('lets a rule that fires after the flag, before review, count towards it', () => {
    const s = scenario({ capacityPerDay: 20 });
    const state = apply(s, [[det('metadata', 1, 10, 1, 10, 'unconnectedMinors'), det('metadata', 1, 3000, 1, 3000, 'imagesToMinors')]]);
    expect(state.review.flags).toBe(1);
    expect(Object.keys(state.confirmed)).toEqual(['1:metadata']);
  });

  it("sums the scanner's message and voucher counts, dead-lettered messages included in the total", () => {
    const s = scenario();
    const state = initialReporterState(s);
    applyReporter(
      context(s),
      state,
      ...outputs(0, [], false, { ...noCounts, messages: 10, encrypted: 4, scanned: 6, unscannable: 4, vouchers: 3, vouchersMatched: 1 }),
    );
    applyReporter(
      context(s),
      state,
      ...outputs(1, [], true, { ...noCounts, messages: 5, encrypted: 1, scanned: 3, unscannable: 2, deadLettered: 7, vouchers: 2 }),
    );
    expect(state.messages).toEqual({ total: 22, encrypted: 5, scanned: 9, unscannable: 6, deadLettered: 7 });
    expect(state.vouchers).toEqual({ received: 5, matched: 1, opened: 0, accountsOpened: 0 });
  });

  it('refuses a batch after the final one, and mismatched scanner/metadata batches', () => {
    const s = scenario();
    const state = initialReporterState(s);
    const [scan0] = outputs(0, []);
    const [, meta1] = outputs(1, []);
    expect(() => applyReporter(context(s), state, scan0, meta1)).toThrow(/paired/);
    applyReporter(context(s), state, ...outputs(0, [], true));
    expect(() => applyReporter(context(s), state, ...outputs(1, [], true))).toThrow(/after the final/);
  });

  it('returns the messages that content routes, accepted reports and opened vouchers detected; never metadata', () => {
    const s = scenario({}, 5, { userReports: { franking: true } });
    const { detected } = applyAll(s, [
      [
        det('hashMatch', 1, 100, 0.9, 100),
        det('imageClassifier', 1, 100, 0.9, 100),
        det('textClassifier', 2, 110, 0.2, 110),
        { ...det('metadata', 3, 120, 5, 120), messageId: 120 },
        { ...det('metadata', 3, 130, 5, 130), messageId: -1 },
        genuineReport({ id: 140, messageId: 90, t: 140, reporter: 30, sender: 4, sentAt: 90 }),
        { ...genuineReport({ id: 150, messageId: 91, t: 150, reporter: 30, sender: 5, sentAt: 91 }), reported: 6 },
      ],
    ]);
    // Message 100 twice (two routes), 110, and the verified report's message 90.
    expect(messagesOf(detected)).toEqual([100, 100, 110, 90]);
    // Each entry names the route that detected the message.
    expect(detected.filter((x) => x >= 0).map(detectedRoute)).toEqual(['hashMatch', 'imageClassifier', 'textClassifier', 'userReport']);
    expect(detected.filter((x) => x >= 0)).toEqual([
      detectedEntry(100, 'hashMatch'),
      detectedEntry(100, 'imageClassifier'),
      detectedEntry(110, 'textClassifier'),
      detectedEntry(90, 'userReport'),
    ]);
  });
});

describe('applyReporter: incidents', () => {
  const hash = (account: number, t: number, bankEntry?: number): Detection => {
    const d = det('hashMatch', account, t, 0.9);
    if (bankEntry !== undefined) d.bankEntry = bankEntry;
    return d;
  };
  const summary = (state: ReporterState) => state.incidents.map((i) => ({ n: i.n, filedAt: i.filedAt, routes: i.routes, evidence: i.evidence }));

  it("opens the first incident at the first confirmation; the window's detections join it, a confirmed route's later one opens the next", () => {
    const s = scenario({ capacityPerDay: 10 }, 20);
    const state = apply(s, [
      [hash(1, 100), hash(1, 3 * DAY + 5)],
      // The first window ends at 7 days + 100 s: this opens incident 2, filed at the end of its day.
      [hash(1, 7 * DAY + 200), hash(1, 7 * DAY + 300)],
      // Incident 2's window ends at 14 days + 200 s.
      [hash(1, 14 * DAY + 150), hash(1, 14 * DAY + 250)],
    ]);
    expect(summary(state)).toEqual([
      { n: 1, filedAt: DAY, routes: ['hashMatch'], evidence: { hashMatch: 2 } },
      { n: 2, filedAt: 8 * DAY, routes: ['hashMatch'], evidence: { hashMatch: 3 } },
      { n: 3, filedAt: 15 * DAY, routes: ['hashMatch'], evidence: { hashMatch: 1 } },
    ]);
    expect(state.incidentsPerDay.map((n, d) => [d, n]).filter(([, n]) => n)).toEqual([
      [0, 1],
      [7, 1],
      [14, 1],
    ]);
    // One account reported, once: the per-account report keeps all of its evidence.
    expect(Object.keys(state.tips)).toEqual(['1']);
    expect(state.tips['1']?.evidence).toEqual({ hashMatch: 6 });
    expect(state.review.reviewed).toBe(1);
  });

  it('reviews a route not yet confirmed for the account: it joins the open incident, or after the window opens the next at its review', () => {
    const s = scenario({ capacityPerDay: 10 }, 20);
    const state = apply(s, [[hash(1, 100), det('imageClassifier', 1, 2 * DAY, 0.9), det('textClassifier', 1, 9 * DAY + 10, 0.9)]]);
    expect(summary(state)).toEqual([
      { n: 1, filedAt: DAY, routes: ['hashMatch', 'imageClassifier'], evidence: { hashMatch: 1, imageClassifier: 1 } },
      { n: 2, filedAt: 10 * DAY, routes: ['textClassifier'], evidence: { textClassifier: 1 } },
    ]);
    expect(state.review.reviewed).toBe(3);
  });

  it("keeps an incident's bank entry only while all of its evidence matched that one entry", () => {
    const s = scenario({ capacityPerDay: 10 }, 20);
    const one = apply(s, [[hash(1, 100, 5), hash(1, 200, 5), hash(1, DAY + 100, 5)]]);
    expect(one.incidents.map((i) => i.bankEntry)).toEqual([5]);
    // Two entries behind the flag, or a second entry after filing, or a second route: none.
    const mixed = apply(s, [
      [hash(1, 100, 5), hash(1, 200, 6), hash(2, 300, 5), hash(2, DAY + 100, 6), hash(3, 400, 5), det('imageClassifier', 3, DAY + 200, 0.9)],
    ]);
    expect(mixed.incidents.map((i) => [i.account, i.bankEntry])).toEqual([
      [1, null],
      [2, null],
      [3, null],
    ]);
  });

  it('files at least as many incidents as accounts, each account first when it is first reported, numbered 1, 2, ...', () => {
    for (const window of [1, 2, 7]) {
      const s = scenario({ capacityPerDay: 4 }, 12, {}, { reporting: { incidentWindowDays: window } });
      const rng = Random.derive(window, 'incidents');
      const ds: Detection[] = [];
      for (let event = 0; event < 600; event++)
        ds.push(
          det((['hashMatch', 'imageClassifier', 'textClassifier'] as const)[rng.int(3)] as Route, rng.int(30), event * 1700, 0.4 + rng.next() * 0.6, event),
        );
      const state = apply(s, [ds]);
      const accounts = Object.keys(state.tips).length;
      expect(accounts).toBeGreaterThan(10);
      expect(state.incidents.length).toBeGreaterThanOrEqual(accounts);
      if (window === 1) expect(state.incidents.length).toBeGreaterThan(accounts);
      expect(state.incidentsPerDay.reduce((a, x) => a + x, 0)).toBe(state.incidents.length);
      for (const [account, tip] of Object.entries(state.tips)) {
        const mine = state.incidents.filter((i) => i.account === Number(account));
        expect(mine.map((i) => i.n)).toEqual(mine.map((_, k) => k + 1));
        expect(mine[0]?.filedAt).toBe(tip.filedAt);
      }
    }
  });
});

describe('applyReporter: user reports and franking', () => {
  const sent = { messageId: 40, reporter: 30, sender: 7, sentAt: 3000 };

  it('accepts a genuine franked report and rejects forged or altered ones', () => {
    const s = scenario({ capacityPerDay: 20 }, 5, { userReports: { franking: true } });
    const genuine = genuineReport({ id: 50, t: 3600, ...sent, look: 0.8 });
    const fk = newFrankingKey();
    const forgedContent = encodeContent({ media: 'text', score: 1, look: 1 });
    const forged: UserReport = {
      ...genuine,
      id: 51,
      reported: 8,
      content: forgedContent,
      frankingKey: fk,
      commitment: commit(fk, forgedContent),
      tag: Random.derive(1, 'tag').fill(new Uint8Array(32)),
    };
    const altered: UserReport = { ...genuine, id: 52, content: encodeContent({ media: 'text', score: 1, look: 1 }) };
    const misattributed: UserReport = { ...genuine, id: 53, reported: 9 };
    const otherPlatform = genuineReport({ id: 54, t: 3700, ...sent, sender: 10 }, newPlatformKey());
    const { state, detected } = applyAll(s, [[genuine, forged, altered, misattributed, otherPlatform]]);
    expect(state.userReports).toEqual({ received: 5, accepted: 1, rejected: 4 });
    expect(state.detections.userReport).toBe(1);
    expect(messagesOf(detected)).toEqual([40]);
    expect(Object.keys(state.confirmed)).toEqual(['7:userReport']);
    expect(state.tips['7']).toMatchObject({ routes: ['userReport'], firstDetection: 3600, evidence: { userReport: 1 } });
    // No flag at all for the accounts the rejected reports named.
    expect(state.review.flags).toBe(1);
  });

  it('gives an accepted report the look of its content as evidence', () => {
    const s = scenario({ capacityPerDay: 20, confirmThreshold: 0.5 }, 5, { userReports: { franking: true } });
    const state = apply(s, [[genuineReport({ id: 50, t: 3600, ...sent, look: 0.3 })]]);
    expect(state.userReports.accepted).toBe(1);
    // Look 0.3 < 0.5: a reviewer rejects the report.
    expect(state.review).toEqual({ flags: 1, reviewed: 1, confirmed: 0, rejected: 1 });
  });

  it('accepts every report, forged ones included, when the platform does not frank', () => {
    const s = scenario({ capacityPerDay: 20 }, 5, { userReports: { franking: false } });
    const reports = [
      unfrankedReport({ id: 60, messageId: 12, t: 100, reporter: 31, reported: 7 }),
      unfrankedReport({ id: 61, messageId: 5, t: 200, reporter: 32, reported: 8, look: 0.95 }),
      { ...unfrankedReport({ id: 62, messageId: 6, t: 300, reporter: 33, reported: 9 }), content: Uint8Array.of(7, 7) },
    ];
    const { state, detected } = applyAll(s, [reports]);
    expect(state.userReports).toEqual({ received: 3, accepted: 3, rejected: 0 });
    expect(messagesOf(detected)).toEqual([12, 5, 6]);
    // The unreadable report has no evidence: rejected at review.
    expect(Object.keys(state.confirmed).sort()).toEqual(['7:userReport', '8:userReport']);
    expect(state.review.rejected).toBe(1);
    // The same forged report is rejected once franking is on.
    const franked = apply(scenario({ capacityPerDay: 20 }, 5, { userReports: { franking: true } }), [reports]);
    expect(franked.userReports).toEqual({ received: 3, accepted: 0, rejected: 3 });
  });
});

describe('applyReporter: client-side scanning', () => {
  for (const T of [1, 3, 5]) {
    it(`T = ${T}: T − 1 matching vouchers open nothing; the T-th opens all T; later ones open at once`, () => {
      const s = scenario({ capacityPerDay: 100 }, 5, { clientSideScanning: { enabled: true, threshold: T }, hashBank: { size: 100 } });
      const scanner = scannerContext(s);
      const client = new VoucherClient(T);
      const rng = Random.derive(T, 'css-reporter');
      let id = 0;
      /** An encrypted image message from `account` with a voucher; `entry` is the bank entry it matches, or null. */
      const message = (account: number, entry: number | null, look: number): Message => {
        const e = id++;
        const evidence = encodeContent({ media: 'image', hash: randomHash(rng), quality: 90, score: 0.5, look });
        const match = entry === null ? null : bankEntry(scanner.bank, entry);
        return {
          envelope: {
            id: e,
            t: 1000 + e * 60,
            surface: 'dm',
            sender: account,
            recipient: 30,
            media: 'image',
            size: 1000,
            encrypted: true,
            senderMinor: false,
            recipientMinor: false,
            connected: true,
            senderAccountAgeDays: 100,
          },
          payload: rng.fill(new Uint8Array(90)),
          commitment: null,
          voucher: encodeVoucher(client.voucherFor(account, match, evidence)),
        };
      };
      const state = initialReporterState(s);
      const step = (seq: number, messages: Message[], final = false) => {
        const scan = scanBatch(scanner, { run: 'r', seq, final, messages });
        return applyReporter(context(s), state, scan, { run: 'r', seq, final, detections: [], reports: [] })
          .filter((x) => x >= 0)
          .map(detectedMessage);
      };

      // Account 21: T − 1 matches and synthetic vouchers; account 22: one match.
      const first = [
        ...Array.from({ length: T - 1 }, (_, i) => message(21, i, 0.6 + 0.01 * i)),
        message(21, null, 0.9),
        message(21, null, 0.9),
        message(22, 50, 0.9),
      ];
      const before = step(0, first);
      if (T > 1) {
        expect(before).toEqual([]);
        expect(state.detections.clientSideScanning).toBe(0);
        expect(state.vouchers).toEqual({ received: T + 2, matched: T, opened: 0, accountsOpened: 0 });
        expect(state.css['21']?.open).toBe(false);
        expect(state.css['21']?.shares).toHaveLength(T - 1);
      }

      // Persisted between batches as JSON, as a transport would.
      Object.assign(state, JSON.parse(JSON.stringify(state)) as ReporterState);
      const tth = message(21, 90, 0.7);
      const opened = step(1, [tth, message(21, null, 0.9)]);
      const matching21 = [...first.filter((m, i) => m.envelope.sender === 21 && i < T - 1), tth].map((m) => m.envelope.id);
      expect(opened).toEqual(matching21);
      expect(state.detections.clientSideScanning).toBe(T === 1 ? T + 1 : T);
      expect(state.vouchers.accountsOpened).toBe(T === 1 ? 2 : 1);
      expect(state.vouchers.opened).toBe(T === 1 ? T + 1 : T);
      expect(state.css['21']?.open).toBe(true);
      expect(state.css['22']?.open).toBe(T === 1);

      // One more match after opening opens at once; a synthetic one never does.
      const later = message(21, 7, 0.8);
      expect(step(2, [later, message(21, null, 0.95)], true)).toEqual([later.envelope.id]);
      expect(state.vouchers.opened).toBe(T === 1 ? T + 2 : T + 1);
      expect(state.vouchers.accountsOpened).toBe(T === 1 ? 2 : 1);
      // The opened evidence is judged like any content: account 21 reported by client-side scanning.
      expect(state.tips['21']).toMatchObject({ routes: ['clientSideScanning'], evidence: { clientSideScanning: T + 1 } });
      if (T > 1) expect(state.tips['22']).toBeUndefined();
    });
  }

  it("opens an account's vouchers at the voucher that crossed the threshold, with each message's own evidence", () => {
    const T = 3;
    const s = scenario({ capacityPerDay: 100, confirmThreshold: 0.5 }, 5, { clientSideScanning: { enabled: true, threshold: T } });
    const server = new VoucherServer(scannerContext(s).bank);
    const client = new VoucherClient(T);
    const bank = scannerContext(s).bank;
    const looks = [0.2, 0.4, 0.45];
    const matches: VoucherMatch[] = looks.map((look, i) => {
      const v = client.voucherFor(5, bankEntry(bank, i), encodeContent({ media: 'text', score: 0, look }));
      const share = server.open(v);
      if (!share) throw new Error('premise: a matching voucher opens');
      return { account: 5, t: 100 * (i + 1), messageId: 10 + i, event: 10 + i, share: encodeShare(share), inner: v.inner };
    });
    const { state, detected } = applyAll(s, [matches]);
    expect(messagesOf(detected)).toEqual([10, 11, 12]);
    expect(state.flags).toEqual({});
    // Every opened voucher is a detection at the crossing voucher's time; the best look (0.45) is below 0.5: rejected.
    expect(state.detections.clientSideScanning).toBe(3);
    expect(state.review).toEqual({ flags: 1, reviewed: 1, confirmed: 0, rejected: 1 });
    expect(state.flagsPerDay[0]).toBe(1);
  });
});

describe('applyReporter: independence from batching', () => {
  /**
   * A random stream in stream order: per event id, a message's detections (content
   * routes, a metadata rule it completed, a voucher it carried) or a user report or a
   * block-triggered metadata detection. Times non-decreasing, often equal.
   */
  function randomStream(seed: number, n: number, days: number, s: Scenario): Item[] {
    const rng = Random.derive(seed, 'stream');
    const T = s.detection.clientSideScanning.threshold;
    const client = new VoucherClient(T);
    const bank = scannerContext(s).bank;
    const server = new VoucherServer(bank);
    const items: Item[] = [];
    let t = 0;
    for (let event = 0; event < n; event++) {
      // Whole milliseconds; a quarter of events share the previous one's time.
      if (!rng.chance(0.25)) t += Math.floor(rng.exponential((days * DAY * 1000) / n)) / 1000;
      if (t >= days * DAY) break;
      const account = rng.int(25);
      const roll = rng.next();
      if (roll < 0.15) {
        items.push(
          genuineReport({ id: event, messageId: rng.int(event + 1), t, reporter: 30, sender: account, sentAt: Math.max(0, t - 100), look: rng.next() }),
        );
      } else if (roll < 0.2) {
        items.push({ ...det('metadata', account, t, 1 + rng.next(), event, 'blocksAndReports'), messageId: -1 });
      } else {
        for (const route of ['hashMatch', 'imageClassifier', 'textClassifier'] as const) {
          if (rng.chance(0.3)) items.push(det(route, account, t, rng.next() * 0.7, event));
        }
        if (rng.chance(0.2))
          items.push(
            det('metadata', account, t, 0.5 + rng.next() * 2, event, (['unconnectedMinors', 'imagesToMinors', 'newAccountBurst'] as const)[rng.int(3)]),
          );
        if (rng.chance(0.2)) {
          const v = client.voucherFor(account % 5, bankEntry(bank, rng.int(bank.size)), encodeContent({ media: 'text', score: 0, look: rng.next() }));
          const share = server.open(v);
          if (!share) throw new Error('premise: a matching voucher opens');
          items.push({ account: account % 5, t, messageId: event, event, share: encodeShare(share), inner: v.inner });
        }
      }
    }
    return items;
  }

  const eventOf = (i: Item) => (isReport(i) ? i.id : i.event);
  /** Cuts the stream into batches of `size` events (never inside an event). */
  function cut(items: Item[], size: number): Item[][] {
    const batches: Item[][] = [];
    let current: Item[] = [];
    let events = 0;
    let last = -1;
    for (const item of items) {
      if (eventOf(item) !== last) {
        if (events === size) {
          batches.push(current);
          current = [];
          events = 0;
        }
        events++;
        last = eventOf(item);
      }
      current.push(item);
    }
    batches.push(current);
    return batches;
  }

  it('gives the same state and detected messages however the stream is cut, and whatever order the stages list things in', () => {
    for (const seed of [1, 2]) {
      const s = scenario({ capacityPerDay: 3 }, 6, { clientSideScanning: { enabled: true, threshold: 3 } });
      const stream = randomStream(seed, 400, 6, s);
      const whole = applyAll(s, [stream]);
      expect(whole.state.review.flags).toBeGreaterThan(20);
      expect(whole.state.review.rejected, JSON.stringify(whole.state.review)).toBeGreaterThan(0);
      expect(whole.state.backlog.length).toBeGreaterThan(0);
      expect(whole.state.vouchers.accountsOpened).toBeGreaterThan(0);
      expect(whole.state.userReports.accepted).toBeGreaterThan(10);
      for (const size of [1, 4, 50]) {
        expect(applyAll(s, cut(stream, size))).toEqual(whole);
      }
      // The scanner and the metadata detector may list their outputs in any order.
      const rng = Random.derive(seed, 'shuffle');
      expect(
        applyAll(
          s,
          cut(stream, 50).map((b) => rng.shuffle([...b])),
        ),
      ).toEqual(whole);
    }
  });

  it('cuts incidents the same however the stream is cut', () => {
    const s = scenario({ capacityPerDay: 3 }, 6, { clientSideScanning: { enabled: true, threshold: 3 } }, { reporting: { incidentWindowDays: 1 } });
    const stream = randomStream(4, 400, 6, s).map((i) => (isDetection(i) && i.route === 'hashMatch' ? { ...i, bankEntry: i.event % 3 } : i));
    const whole = applyAll(s, [stream]);
    expect(whole.state.incidents.length).toBeGreaterThan(Object.keys(whole.state.tips).length);
    for (const size of [1, 7, 50]) expect(applyAll(s, cut(stream, size))).toEqual(whole);
  });

  it('keeps a plain-JSON state: persisting it between batches changes nothing', () => {
    const s = scenario({ capacityPerDay: 2 }, 6, { clientSideScanning: { enabled: true, threshold: 3 } });
    const stream = randomStream(3, 300, 6, s);
    const batches = cut(stream, 40);
    const direct = applyAll(s, batches);
    let state = initialReporterState(s);
    const detected: number[] = [];
    batches.forEach((part, i) => {
      state = JSON.parse(JSON.stringify(state)) as ReporterState;
      detected.push(...applyReporter(context(s), state, ...outputs(i, part, i === batches.length - 1)));
    });
    expect({ state, detected }).toEqual(direct);
  });

  it('gives the same state for detections that share a time, however the stream is cut between them', () => {
    // Events 10 and 11 in the same millisecond: event 10 from account 5 completes a
    // metadata pattern, event 11 from account 3 is a known image. With review capacity 1
    // and no route priority only the first flag to arrive is reviewed, so the arrival
    // order must follow the stream, not the batch boundary or the stages' lists.
    const s = scenario({ capacityPerDay: 1, priority: [] }, 1);
    const metadata = det('metadata', 5, 1000, 6, 10);
    const known = det('hashMatch', 3, 1000, 0.9, 11);
    const oneBatch = apply(s, [[metadata, known]]);
    expect(apply(s, [[metadata], [known]])).toEqual(oneBatch);
    expect(apply(s, [[known, metadata]])).toEqual(oneBatch);
    expect(Object.keys(oneBatch.tips)).toEqual(['5']);
  });

  it('puts a user report after messages of the same time, as the stream does, however it is cut', () => {
    // Stream: message 30 (account 4, known image) at t, then report 31 at the same t of an
    // older message by account 8. No route priority: arrival order decides the review.
    const s = scenario({ capacityPerDay: 1, priority: [] }, 1);
    const known = det('hashMatch', 4, 7000, 0.9, 30);
    const report = genuineReport({ id: 31, messageId: 12, t: 7000, reporter: 30, sender: 8, sentAt: 6000 });
    const whole = apply(s, [[known, report]]);
    expect(apply(s, [[known], [report]])).toEqual(whole);
    expect(apply(s, [[report, known]])).toEqual(whole);
    expect(Object.keys(whole.tips)).toEqual(['4']);
    expect(whole.backlog).toEqual(['8:userReport']);
  });

  it('orders detections of one event by route, however the stream is cut around it', () => {
    const s = scenario({ capacityPerDay: 1, priority: [] }, 1);
    // Event 40 from account 6 is a known image that completes a pattern; event 41 at the
    // same time from account 2 completes a pattern too. With no priority, review is
    // oldest first, then in arrival order: the hash match of event 40 arrives first.
    const a = det('metadata', 6, 9000, 9, 40);
    const b = det('hashMatch', 6, 9000, 0.9, 40);
    const c = det('metadata', 2, 9000, 9, 41);
    const whole = apply(s, [[a, b, c]]);
    expect(apply(s, [[b, a], [c]])).toEqual(whole);
    expect(Object.keys(whole.tips)).toEqual(['6']);
    expect(whole.tips['6']?.routes).toEqual(['hashMatch']);
    expect(whole.backlog).toEqual(['6:metadata', '2:metadata']);
  });

  it('covers every route in the random stream (the premise of the tests above)', () => {
    const s = scenario({ capacityPerDay: 3 }, 6, { clientSideScanning: { enabled: true, threshold: 3 } });
    const { state } = applyAll(s, [randomStream(1, 400, 6, s)]);
    for (const route of ROUTES) expect(state.detections[route], route).toBeGreaterThan(0);
  });
});
