import { describe, expect, it } from 'vitest';
import type { Scenario } from './scenario';
import { testScenario } from './testing';
import { applyReporter, initialReporterState, type ReporterState } from './reporter';
import { buildResult, type LedgerView, type Timing } from './result';
import { encodeContent } from './content';
import { commit, countersign, newFrankingKey, newPlatformKey } from './franking';
import { DAY, type Detection, type ScanCounts, type UserReport } from './types';
import { ROUTES, type Route } from './routes';
import type { MetadataRule } from './metadata/rules';

function scenario(over: { capacityPerDay?: number; durationDays?: number; investigationRate?: number; seed?: number } = {}): Scenario {
  return testScenario({
    seed: over.seed ?? 99,
    name: 'unit',
    durationDays: over.durationDays ?? 3,
    population: { adults: 40, minors: 10 },
    review: { capacityPerDay: over.capacityPerDay ?? 20, metadataMinRules: 2, metadataMinStrength: 2 },
    referral: { investigationRate: over.investigationRate ?? 0.03 },
  });
}

const platformKey = newPlatformKey();

function det(route: Route, account: number, t: number, evidence: number, messageId: number, rule?: MetadataRule): Detection {
  const d: Detection = { route, account, t, messageId, event: Math.floor(t), evidence };
  if (rule) d.rule = rule;
  return d;
}

/** A genuine franked report by account 30 of message `messageId`, sent by `sender`. */
function report(id: number, messageId: number, t: number, sender: number, look = 0.9): UserReport {
  const content = encodeContent({ media: 'image', hash: new Uint8Array(32).fill(messageId & 0xff), quality: 80, score: 0.7, look });
  const frankingKey = newFrankingKey();
  const commitment = commit(frankingKey, content);
  const sentAt = t - 600;
  const tag = countersign(platformKey, commitment, { messageId, sender, recipient: 30, t: sentAt });
  return { id, messageId, t, reporter: 30, reported: sender, recipient: 30, sentAt, surface: 'dm', content, frankingKey, commitment, tag };
}

const counts: ScanCounts = { messages: 100, encrypted: 30, scanned: 70, unscannable: 30, deadLettered: 0, vouchers: 0, vouchersMatched: 0 };

/** Runs the reporter over one batch. */
function run(s: Scenario, ds: Detection[], reports: UserReport[] = [], final = true): { state: ReporterState; detected: number[] } {
  const state = initialReporterState(s);
  const detected = applyReporter(
    { scenario: s, platformKey },
    state,
    { run: 'r', seq: 0, final, detections: ds.filter((d) => d.route !== 'metadata'), vouchers: [], counts },
    { run: 'r', seq: 0, final, detections: ds.filter((d) => d.route === 'metadata'), reports },
  );
  return { state, detected };
}

function ledger(over: Partial<LedgerView> = {}): LedgerView {
  return {
    offenders: { sharer: [1, 4], producer: [5], groomer: [2] },
    mentors: [7],
    viralSharers: [],
    offenderReturns: 0,
    abusiveMessages: { knownImage: 4, newImage: 2, grooming: 3 },
    abusiveIds: { knownImage: [100, 101, 102, 103], newImage: [200, 201], grooming: [300, 301, 302] },
    abusiveEncrypted: 6,
    firstAbuse: [
      [1, 50],
      [2, 250],
      [4, 10],
      [5, 60],
    ],
    messages: 100,
    encrypted: 30,
    userReports: 1,
    forgedReports: 1,
    blocks: 5,
    protections: {
      refusedRequests: 11,
      restrictedMessages: 3,
      refusedAbusive: 4,
      restrictedAccounts: 1,
      restrictedInnocent: 1,
      prompted: 6,
      promptedReports: 2,
      promptedBlocks: 1,
    },
    privacy: { readableInnocentMessages: 40, innocentUsersExposed: 12, innocentUsers: 44 },
    ...over,
  };
}

const timing: Timing = { transport: 'embedded', wallSeconds: 0.5, messagesPerSecond: 200 };

// Account 1: sharer, reported on three routes. Account 2: groomer, on text and metadata.
// Account 3: innocent (a wrongly listed image). Account 4: sharer, never detected.
// Account 5: producer, reported a day later. Account 6: innocent, flag rejected.
// Account 7: a mentor (look-alike) reported on two metadata rules.
const detections = [
  det('hashMatch', 1, 100, 0.9, 100),
  det('imageClassifier', 1, 110, 0.8, 101),
  det('metadata', 2, 300, 3, 290, 'unconnectedMinors'),
  det('textClassifier', 2, 310, 0.9, 300),
  det('hashMatch', 3, 400, 0.7, 999),
  det('metadata', 7, 500, 1, 480, 'unconnectedMinors'),
  det('metadata', 7, 510, 1, 505, 'imagesToMinors'),
  det('hashMatch', 6, 600, 0.1, 600),
  det('imageClassifier', 5, DAY + 100, 0.9, 200),
];
const genuine = report(150, 102, 150, 1);
const forged: UserReport = { ...report(160, 103, 160, 8), tag: new Uint8Array(32) };
const reports = [genuine, forged];

function result(over: Partial<LedgerView> = {}, s: Scenario = scenario()) {
  const { state, detected } = run(s, detections, reports);
  return { state, detected, r: buildResult(s, 'scenarios/x.yaml', state, detected, ledger(over), timing) };
}

describe('buildResult', () => {
  it('joins reports to police with the ledger: true and false positives, by route, first route and abuse type', () => {
    const { r } = result();
    expect(r.reports.total).toBe(5);
    expect(r.reports.truePositive).toBe(3);
    expect(r.reports.falsePositive).toBe(2);
    expect(r.reports.perDay).toEqual([4, 1, 0]);
    expect(r.reports.byRoute).toEqual({ hashMatch: 2, imageClassifier: 2, textClassifier: 1, metadata: 2, userReport: 1, clientSideScanning: 0 });
    // Account 1's hash match is reviewed before its user report and classifier hit (route priority).
    expect(r.reports.byFirstRoute).toEqual({ hashMatch: 2, imageClassifier: 1, textClassifier: 1, metadata: 1, userReport: 0, clientSideScanning: 0 });
    expect(r.reports.falsePositiveByRoute).toEqual({ hashMatch: 1, imageClassifier: 0, textClassifier: 0, metadata: 1, userReport: 0, clientSideScanning: 0 });
    expect(r.reports.byAbuseType).toEqual({ knownImage: 1, newImage: 1, grooming: 1, none: 2 });
    expect(r.reports.routeReports).toEqual({ hashMatch: 2, imageClassifier: 2, textClassifier: 1, metadata: 2, userReport: 1, clientSideScanning: 0 });
  });

  it('counts offenders by kind, innocent accounts and look-alikes', () => {
    const { r } = result();
    expect(r.offenders).toEqual({
      total: 4,
      reported: 3,
      returns: 0,
      byKind: { sharer: { total: 2, reported: 1 }, producer: { total: 1, reported: 1 }, groomer: { total: 1, reported: 1 } },
    });
    expect(r.innocentReported).toBe(2);
    expect(r.lookalikesReported).toBe(1);
    expect(r.viralSharersReported).toBe(0);
  });

  it('measures recall per abuse type from the detected messages, null where there was no abuse of a type', () => {
    const { r, detected } = result();
    // Known images 100, 101 (content routes) and 102 (the verified report); new image 200; grooming 300.
    expect([...new Set(detected)].sort((a, b) => a - b)).toEqual([100, 101, 102, 200, 300, 600, 999]);
    expect(r.recall).toEqual({ knownImage: 0.75, newImage: 0.5, grooming: 0.3333 });
    const none = result({
      abusiveMessages: { knownImage: 4, newImage: 0, grooming: 3 },
      abusiveIds: { knownImage: [100, 101, 102, 103], newImage: [], grooming: [300, 301, 302] },
    });
    expect(none.r.recall.newImage).toBeNull();
  });

  it("measures the time from an offender's first abuse to the report (nearest-rank median and 90th percentile)", () => {
    const { r, state } = result();
    const delays = [
      [1, 50],
      [2, 250],
      [5, 60],
    ]
      .map(([a, start]) => ((state.tips[String(a)]?.filedAt as number) - (start as number)) / 3600)
      .sort((x, y) => x - y);
    expect(state.tips['5']?.filedAt).toBe(2 * DAY);
    expect(r.timeToReport).toEqual({
      reported: 3,
      medianHours: Math.round(delays[1]! * 10) / 10,
      p90Hours: Math.round(delays[2]! * 10) / 10,
    });
    expect(r.timeToReport.medianHours).toBe(24);
    expect(r.timeToReport.p90Hours).toBe(48);
    const nobody = buildResult(scenario(), 'x.yaml', run(scenario(), []).state, [], ledger({ userReports: 0, forgedReports: 0 }), timing);
    expect(nobody.timeToReport).toEqual({ reported: 0, medianHours: null, p90Hours: null });
  });

  it('takes the nearest-rank median and 90th percentile over many reported offenders', () => {
    // Ten sharers, all abusing at t = 0, reported one a day (capacity 1): 24, 48, ..., 240 hours.
    const s = scenario({ capacityPerDay: 1, durationDays: 10 });
    const sharers = Array.from({ length: 10 }, (_, i) => 10 + i);
    const ds = sharers.map((a, i) => det('hashMatch', a, 10 + i, 0.9, i));
    const l = ledger({ offenders: { sharer: sharers, producer: [], groomer: [] }, firstAbuse: sharers.map((a) => [a, 0]), userReports: 0, forgedReports: 0 });
    const r = buildResult(s, 'x.yaml', run(s, ds).state, [], l, timing);
    expect(r.timeToReport).toEqual({ reported: 10, medianHours: 120, p90Hours: 216 });
  });

  it("carries the protections' counts through, as a copy", () => {
    const { state, detected } = run(scenario(), detections, reports);
    const l = ledger();
    const r = buildResult(scenario(), 'scenarios/x.yaml', state, detected, l, timing);
    expect(r.protections).toEqual({
      refusedRequests: 11,
      restrictedMessages: 3,
      refusedAbusive: 4,
      restrictedAccounts: 1,
      restrictedInnocent: 1,
      prompted: 6,
      promptedReports: 2,
      promptedBlocks: 1,
    });
    expect(r.protections).not.toBe(l.protections);
  });

  it('carries user reports, client-side scanning, privacy and review through', () => {
    const { state, detected } = run(scenario(), detections, reports);
    state.css = {
      '1': { shares: [], inners: [], messages: [], open: true },
      '3': { shares: [], inners: [], messages: [], open: true },
      '8': { shares: ['x'], inners: ['y'], messages: [1], open: false },
    };
    state.vouchers = { received: 40, matched: 9, opened: 7, accountsOpened: 2 };
    const r = buildResult(scenario(), 'scenarios/x.yaml', state, detected, ledger(), timing);
    expect(r.userReports).toEqual({ made: 1, forged: 1, received: 2, accepted: 1, rejected: 1 });
    expect(r.clientSideScanning).toEqual({ vouchers: 40, matched: 9, opened: 7, accountsOpened: 2, innocentAccountsOpened: 1 });
    // Reviewed: 1, 2, 3, 5, 6, 7; innocent among them: 3, 6 and the mentor 7.
    expect(r.privacy).toEqual({ readableInnocentMessages: 40, innocentUsersExposed: 12, innocentUsers: 44, innocentAccountsReviewed: 3 });
    expect(r.review).toEqual({ capacityPerDay: 20, flags: 9, flagsPerDay: [8, 1, 0], reviewed: 9, confirmed: 8, rejected: 1, backlogAtEnd: 0 });
    expect(r.detections).toEqual({ hashMatch: 3, imageClassifier: 2, textClassifier: 1, metadata: 3, userReport: 1, clientSideScanning: 0 });
    expect(r.abuse).toEqual({ knownImage: 4, newImage: 2, grooming: 3, encrypted: 6 });
    expect(r.messages).toEqual({ total: 100, encrypted: 30, scanned: 70, unscannable: 30, deadLettered: 0 });
    expect(r.scenario).toEqual({ name: 'unit', file: 'scenarios/x.yaml', seed: 99 });
    expect(r.timing).toEqual(timing);
    expect(r.warnings).toEqual([]);
  });

  it('is internally consistent', () => {
    const { r } = result();
    const sum = (o: Record<Route, number>) => ROUTES.reduce((a, k) => a + o[k], 0);
    expect(r.reports.total).toBe(r.reports.truePositive + r.reports.falsePositive);
    expect(sum(r.reports.byFirstRoute)).toBe(r.reports.total);
    expect(sum(r.reports.byRoute)).toBeGreaterThanOrEqual(r.reports.total);
    expect(sum(r.reports.routeReports)).toBe(r.review.confirmed);
    for (const route of ROUTES) {
      expect(r.reports.falsePositiveByRoute[route]).toBeLessThanOrEqual(r.reports.byRoute[route]);
      expect(r.reports.byFirstRoute[route]).toBeLessThanOrEqual(r.reports.byRoute[route]);
    }
    const b = r.reports.byAbuseType;
    expect(b.knownImage + b.newImage + b.grooming).toBe(r.reports.truePositive);
    expect(b.none).toBe(r.reports.falsePositive);
    expect(r.offenders.reported).toBe(r.reports.truePositive);
    expect(Object.values(r.offenders.byKind).reduce((a, k) => a + k.reported, 0)).toBe(r.offenders.reported);
    expect(r.innocentReported).toBe(r.reports.falsePositive);
    expect(r.lookalikesReported).toBeLessThanOrEqual(r.innocentReported);
    expect(r.reports.perDay.reduce((a, x) => a + x, 0)).toBe(r.reports.total);
    expect(r.review.flagsPerDay.reduce((a, x) => a + x, 0)).toBe(r.review.flags);
    expect(r.review.confirmed + r.review.rejected).toBe(r.review.reviewed);
    expect(r.review.reviewed + r.review.backlogAtEnd).toBe(r.review.flags);
    expect(r.referrals.referred).toBe(r.reports.total);
    expect(r.referrals.offendersInvestigated).toBeLessThanOrEqual(r.referrals.investigated);
  });

  it('counts the backlog at the end', () => {
    const s = scenario({ capacityPerDay: 1, durationDays: 2 });
    const many = Array.from({ length: 6 }, (_, i) => det('hashMatch', 10 + i, 60 * (i + 1), 0.9, i));
    const r = buildResult(s, 'x.yaml', run(s, many).state, [], ledger({ userReports: 0, forgedReports: 0 }), timing);
    expect(r.review.backlogAtEnd).toBe(4);
    expect(r.review.reviewed).toBe(2);
    expect(r.reports.perDay).toEqual([1, 1]);
    expect(r.innocentReported).toBe(2);
    expect(r.reports.falsePositive).toBe(2);
  });
});

describe('buildResult: referrals', () => {
  it('refers every report; police investigate none at rate 0 and all at rate 1', () => {
    expect(result({}, scenario({ investigationRate: 0 })).r.referrals).toEqual({ referred: 5, investigated: 0, offendersInvestigated: 0 });
    expect(result({}, scenario({ investigationRate: 1 })).r.referrals).toEqual({ referred: 5, investigated: 5, offendersInvestigated: 3 });
  });

  it('draws per account: a higher rate investigates a superset, whatever order reports were filed in', () => {
    const accounts = Array.from({ length: 60 }, (_, i) => i);
    const ds = accounts.map((a) => det('hashMatch', a, 10 + a, 0.9, a));
    const investigatedAt = (rate: number, order: Detection[]) => {
      const s = scenario({ investigationRate: rate, capacityPerDay: 1000 });
      const sorted = order.map((d, i) => ({ ...d, t: 10 + i, event: i }));
      const r = buildResult(
        s,
        'x.yaml',
        run(s, sorted).state,
        [],
        ledger({ offenders: { sharer: accounts.slice(0, 30), producer: [], groomer: [] }, userReports: 0, forgedReports: 0 }),
        timing,
      );
      return r.referrals;
    };
    let last = { investigated: -1, offendersInvestigated: -1 };
    for (const rate of [0, 0.2, 0.5, 0.8, 1]) {
      const r = investigatedAt(rate, ds);
      expect(r.referred).toBe(60);
      expect(r.investigated).toBeGreaterThanOrEqual(last.investigated);
      expect(r.offendersInvestigated).toBeGreaterThanOrEqual(last.offendersInvestigated);
      // Filing the same accounts in reverse order draws the same.
      expect(investigatedAt(rate, [...ds].reverse())).toEqual(r);
      last = r;
    }
    // About half at rate 0.5 (binomial, 60 draws: well within 15..45).
    const half = investigatedAt(0.5, ds).investigated;
    expect(half).toBeGreaterThan(15);
    expect(half).toBeLessThan(45);
  });
});

describe('buildResult: warnings and serialization', () => {
  it('warns when the stream and the ledger disagree, or the run never finished', () => {
    const s = scenario();
    const { state, detected } = run(s, detections, reports);
    const warn = (over: Partial<LedgerView>) => buildResult(s, 'x.yaml', state, detected, ledger(over), timing).warnings;
    expect(warn({})).toEqual([]);
    expect(warn({ messages: 101 })).toEqual([expect.stringMatching(/101 messages generated but 100/)]);
    expect(warn({ encrypted: 29 })).toEqual([expect.stringMatching(/29 messages encrypted.*30/)]);
    expect(warn({ userReports: 3 })).toEqual([expect.stringMatching(/4 user reports made but 2 received/)]);
    expect(warn({ forgedReports: 0 })).toEqual([expect.stringMatching(/1 user reports made but 2 received/)]);
    const unfinished = run(s, detections, reports, false);
    expect(buildResult(s, 'x.yaml', unfinished.state, unfinished.detected, ledger(), timing).warnings).toEqual([expect.stringMatching(/never applied/)]);
    // The ledger's message count is the total, so lost messages show.
    expect(buildResult(s, 'x.yaml', state, detected, ledger({ messages: 101 }), timing).messages.total).toBe(101);
  });

  it('serializes to JSON and back unchanged', () => {
    const { r } = result();
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('does not alias the reporter state', () => {
    const { state, r } = result();
    r.reports.perDay[0] = 99;
    r.review.flagsPerDay[0] = 99;
    r.detections.hashMatch = 99;
    expect(state.perDay[0]).toBe(4);
    expect(state.flagsPerDay[0]).toBe(8);
    expect(state.detections.hashMatch).toBe(3);
  });

  it('reports nothing and warns about nothing for an empty, finished run', () => {
    const s = scenario();
    const empty = initialReporterState(s);
    applyReporter(
      { scenario: s, platformKey },
      empty,
      { run: 'r', seq: 0, final: true, detections: [], vouchers: [], counts: { ...counts, messages: 0, encrypted: 0, scanned: 0, unscannable: 0 } },
      { run: 'r', seq: 0, final: true, detections: [], reports: [] },
    );
    const e = buildResult(s, 'x.yaml', empty, [], ledger({ messages: 0, encrypted: 0, userReports: 0, forgedReports: 0 }), timing);
    expect(e.warnings).toEqual([]);
    expect(e.reports.total).toBe(0);
    expect(e.offenders.reported).toBe(0);
    expect(e.reports.perDay).toEqual([0, 0, 0]);
    expect(e.recall).toEqual({ knownImage: 0, newImage: 0, grooming: 0 });
    expect(e.timeToReport).toEqual({ reported: 0, medianHours: null, p90Hours: null });
  });
});
