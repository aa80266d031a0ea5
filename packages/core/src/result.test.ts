import { describe, expect, it } from 'vitest';
import type { Scenario } from './scenario';
import { testScenario } from './testing';
import { applyReporter, detectedMessage, initialReporterState, type ReporterState } from './reporter';
import { buildResult, perMonth, type LedgerView, type Timing } from './result';
import { encodeContent } from './content';
import { commit, countersign, newFrankingKey, newPlatformKey } from './franking';
import { DAY, type Detection, type ScanCounts, type UserReport } from './types';
import { ROUTES, type Route } from './routes';
import type { MetadataRule } from './metadata/rules';

interface Over {
  capacityPerDay?: number;
  durationDays?: number;
  seed?: number;
  burnInDays?: number;
  police?: Record<string, unknown>;
  reporting?: Record<string, unknown>;
}

function scenario(over: Over = {}): Scenario {
  return testScenario(
    {
      seed: over.seed ?? 99,
      name: 'unit',
      durationDays: over.durationDays ?? 3,
      burnInDays: over.burnInDays ?? 0,
      population: { adults: 40, minors: 10 },
      review: { capacityPerDay: over.capacityPerDay ?? 20, metadataMinRules: 2, metadataMinStrength: 2 },
    },
    { police: over.police ?? {}, reporting: over.reporting ?? {} },
  );
}

/** Police who find every referral relevant and can open `capacityPerDay` investigations a day. */
const allRelevant = (capacityPerDay: number, arrestRate = 0.5) => ({ triage: { offenderRelevant: 1, innocentRelevant: 1 }, capacityPerDay, arrestRate });

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
    offenderReturnsAfterClosing: 0,
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
    messagesPerDay: [60, 40],
    encryptedPerDay: [10, 20],
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
    expect([...new Set(detected.filter((x) => x >= 0).map(detectedMessage))].sort((a, b) => a - b)).toEqual([100, 101, 102, 200, 300, 600, 999]);
    expect(r.recall).toEqual({ knownImage: 0.75, newImage: 0.5, grooming: 0.3333 });
    // Per route: what each route itself detected.
    const recall = Object.fromEntries(ROUTES.map((route) => [route, r.routes[route].recall]));
    expect(recall).toEqual({
      hashMatch: { knownImage: 0.25, newImage: 0, grooming: 0 },
      imageClassifier: { knownImage: 0.25, newImage: 0.5, grooming: 0 },
      textClassifier: { knownImage: 0, newImage: 0, grooming: 0.3333 },
      metadata: { knownImage: 0, newImage: 0, grooming: 0 },
      userReport: { knownImage: 0.25, newImage: 0, grooming: 0 },
      clientSideScanning: { knownImage: 0, newImage: 0, grooming: 0 },
    });
    const none = result({
      abusiveMessages: { knownImage: 4, newImage: 0, grooming: 3 },
      abusiveIds: { knownImage: [100, 101, 102, 103], newImage: [], grooming: [300, 301, 302] },
    });
    expect(none.r.recall.newImage).toBeNull();
  });

  it('measures precision per route before review: flags about an abusive message, or for patterns about an offender', () => {
    const { r } = result();
    const precision = Object.fromEntries(ROUTES.map((route) => [route, [r.routes[route].flags, r.routes[route].flagsAbusive, r.routes[route].precision]]));
    expect(precision).toEqual({
      // Accounts 1 (message 100, abusive), 3 (999) and 6 (600).
      hashMatch: [3, 1, 0.3333],
      imageClassifier: [2, 2, 1],
      textClassifier: [1, 1, 1],
      // The groomer (account 2) and the mentor (account 7).
      metadata: [2, 1, 0.5],
      userReport: [1, 1, 1],
      clientSideScanning: [0, 0, null],
    });
    expect(r.warnings).toEqual([]);
    // A flag is judged by the message of its strongest evidence.
    const s = scenario();
    const weakThenStrong = run(s, [det('imageClassifier', 9, 100, 0.2, 999), det('imageClassifier', 9, 200, 0.9, 101)]);
    const judged = buildResult(s, 'x.yaml', weakThenStrong.state, weakThenStrong.detected, ledger(), timing).routes.imageClassifier;
    expect([judged.flags, judged.flagsAbusive]).toEqual([1, 1]);
    const strongThenWeak = run(s, [det('imageClassifier', 9, 100, 0.9, 999), det('imageClassifier', 9, 200, 0.2, 101)]);
    expect(buildResult(s, 'x.yaml', strongThenWeak.state, strongThenWeak.detected, ledger(), timing).routes.imageClassifier.flagsAbusive).toBe(0);
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
    expect(r.review).toEqual({
      capacityPerDay: 20,
      flags: 9,
      flagsPerDay: [8, 1, 0],
      flagsPerMonth: [9],
      reviewed: 9,
      confirmed: 8,
      rejected: 1,
      backlogAtEnd: 0,
    });
    expect(r.detections).toEqual({ hashMatch: 3, imageClassifier: 2, textClassifier: 1, metadata: 3, userReport: 1, clientSideScanning: 0 });
    expect(r.abuse).toEqual({ knownImage: 4, newImage: 2, grooming: 3, encrypted: 6 });
    expect(r.messages).toEqual({
      total: 100,
      encrypted: 30,
      scanned: 70,
      unscannable: 30,
      deadLettered: 0,
      perDay: [60, 40, 0],
      encryptedPerDay: [10, 20, 0],
      perMonth: [100],
      encryptedPerMonth: [30],
    });
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

describe('buildResult: police', () => {
  const oneEach = (n: number, t = (a: number) => 10 + a) => Array.from({ length: n }, (_, a) => det('hashMatch', a, t(a), 0.9, a));
  const sharers = (accounts: number[]) => ledger({ offenders: { sharer: accounts, producer: [], groomer: [] }, userReports: 0, forgedReports: 0 });
  const build = (s: Scenario, ds: Detection[], l: LedgerView) => buildResult(s, 'x.yaml', run(s, ds).state, [], l, timing);

  it('refers every incident; no capacity investigates none, ample capacity every relevant account once', () => {
    const none = result({}, scenario({ police: { ...allRelevant(0) } })).r;
    expect(none.referrals).toEqual({ referred: 5, investigated: 0, offendersInvestigated: 0 });
    expect(none.police).toMatchObject({ referred: 5, relevant: 5, investigations: 0, arrests: 0, backlogAtEnd: 5 });
    const all = result({}, scenario({ police: allRelevant(100) })).r;
    expect(all.referrals).toEqual({ referred: 5, investigated: 5, offendersInvestigated: 3 });
    expect(all.police).toMatchObject({ investigations: 5, offendersInvestigated: 3, innocentInvestigated: 2, backlogAtEnd: 0 });
    // Filed at the end of day 1 (four) and day 2 (one): police open them the next day.
    expect(all.police.investigationsPerDay).toEqual([0, 4, 1]);
    expect(all.cyberTips.list.every((e) => e.relevant && e.investigated)).toBe(true);
    // Triage keeps innocent referrals out when it never finds them relevant.
    const triaged = result({}, scenario({ police: { ...allRelevant(100), triage: { offenderRelevant: 1, innocentRelevant: 0 } } })).r;
    expect(triaged.police).toMatchObject({ relevant: 3, investigations: 3, innocentInvestigated: 0 });
  });

  it('never opens more investigations a day than capacity; the backlog carries over, first filed first', () => {
    const accounts = Array.from({ length: 60 }, (_, a) => a);
    for (const capacity of [1, 2, 5]) {
      const r = build(scenario({ durationDays: 10, capacityPerDay: 1000, police: allRelevant(capacity) }), oneEach(60), sharers(accounts));
      for (const n of r.police.investigationsPerDay) expect(n).toBeLessThanOrEqual(capacity);
      // All 60 filed at the end of day 1; days 2..10 open `capacity` each.
      expect(r.police.investigationsPerDay).toEqual([0, ...new Array(9).fill(Math.min(capacity, 60 / 9))].map((x) => Math.floor(x)));
      expect(r.police.investigations).toBe(9 * capacity);
      expect(r.police.backlogAtEnd).toBe(60 - 9 * capacity);
      const investigated = r.cyberTips.list.filter((e) => e.investigated).map((e) => e.account);
      expect(investigated).toEqual(accounts.slice(0, 9 * capacity));
    }
    // A fractional capacity accrues: 0.5 a day opens one every other day.
    const half = build(scenario({ durationDays: 10, capacityPerDay: 1000, police: allRelevant(0.5) }), oneEach(60), sharers(accounts));
    expect(half.police.investigationsPerDay).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
  });

  it('opens one investigation per account; its later incidents join it', () => {
    // One account detected on days 1, 9 and 17: three incidents (7-day window), one investigation.
    const s = scenario({ durationDays: 20, police: allRelevant(5, 1) });
    const r = build(
      s,
      [0, 8, 16].map((d) => det('hashMatch', 1, d * DAY + 100, 0.9, d * 10)),
      sharers([1]),
    );
    expect(r.cyberTips.reports).toBe(3);
    expect(r.police.investigations).toBe(1);
    expect(r.police.arrests).toBe(1);
    expect(r.cyberTips.list.map((e) => [e.n, e.investigated, e.arrested])).toEqual([
      [1, true, true],
      [2, true, true],
      [3, true, true],
    ]);
  });

  it('arrests offenders at the arrest rate and innocent accounts never', () => {
    const accounts = Array.from({ length: 60 }, (_, a) => a);
    const arrests = (rate: number) => build(scenario({ capacityPerDay: 1000, police: allRelevant(100, rate) }), oneEach(60), sharers(accounts.slice(0, 30)));
    expect(arrests(0).police.arrests).toBe(0);
    const all = arrests(1);
    expect(all.police).toMatchObject({ investigations: 60, offendersInvestigated: 30, arrests: 30 });
    expect(all.cyberTips.list.filter((e) => e.arrested).every((e) => e.truth === 'sharer')).toBe(true);
    const half = arrests(0.5).police.arrests;
    expect(half).toBeGreaterThan(5);
    expect(half).toBeLessThan(25);
  });

  it('draws triage and arrests per account and incident, whatever order reports were filed in', () => {
    const accounts = Array.from({ length: 60 }, (_, a) => a);
    const police = { triage: { offenderRelevant: 0.5, innocentRelevant: 0.5 }, capacityPerDay: 100, arrestRate: 0.5 };
    const outcome = (order: Detection[]) => {
      const s = scenario({ capacityPerDay: 1000, police });
      const r = build(
        s,
        order.map((d, i) => ({ ...d, t: 10 + i, event: i })),
        sharers(accounts.slice(0, 30)),
      );
      return r.cyberTips.list.map((e) => [e.account, e.relevant, e.investigated, e.arrested]).sort((a, b) => (a[0] as number) - (b[0] as number));
    };
    const forward = outcome(oneEach(60));
    expect(outcome([...oneEach(60)].reverse())).toEqual(forward);
    const relevant = forward.filter((e) => e[1]).length;
    expect(relevant).toBeGreaterThan(15);
    expect(relevant).toBeLessThan(45);
  });
});

describe('buildResult: incidents and bundling', () => {
  const hash = (account: number, t: number, bankEntry: number): Detection => ({ ...det('hashMatch', account, t, 0.9, Math.floor(t)), bankEntry });
  const innocent = ledger({ offenders: { sharer: [], producer: [], groomer: [] }, userReports: 0, forgedReports: 0 });
  const build = (s: Scenario, ds: Detection[]) => buildResult(s, 'x.yaml', run(s, ds).state, [], innocent, timing);

  it('bundles incidents of only hash matches of one bank entry, filed within the bundle window', () => {
    const ds = [
      hash(1, 100, 7),
      hash(2, 200, 7),
      hash(3, DAY + 300, 7),
      hash(4, 400, 8),
      // Account 5's incident also holds a classifier's detection: never bundled.
      hash(5, 500, 7),
      det('imageClassifier', 5, 510, 0.9, 510),
      // Account 6's two matches are of different entries: not bundled either.
      hash(6, 600, 7),
      hash(6, 610, 9),
    ];
    const s = scenario({ durationDays: 3 });
    const r = build(s, ds);
    expect(r.cyberTips).toMatchObject({ reports: 6, incidents: 4, bundled: 2, accounts: 6 });
    expect(r.cyberTips.list.filter((e) => e.bundled).map((e) => e.account)).toEqual([2, 3]);
    expect(r.cyberTips.list.map((e) => e.bankEntry)).toEqual([7, 7, 8, null, null, 7]);
    // A bundle counts on the day its first report was filed.
    expect(r.cyberTips.reportsPerDay).toEqual([5, 1, 0]);
    expect(r.cyberTips.incidentsPerDay).toEqual([4, 0, 0]);
    const off = build(scenario({ durationDays: 3, reporting: { bundleViral: false } }), ds).cyberTips;
    expect(off).toMatchObject({ reports: 6, incidents: 6, bundled: 0 });
  });

  it('opens a new bundle once the window has passed', () => {
    const ds = [hash(1, 100, 7), hash(2, 2 * DAY + 100, 7), hash(3, 5 * DAY + 100, 7), hash(4, 6 * DAY + 100, 7)];
    const r = build(scenario({ durationDays: 8, reporting: { bundleWindowDays: 3 } }), ds);
    expect(r.cyberTips.list.map((e) => e.bundled)).toEqual([false, true, false, true]);
    expect(r.cyberTips.incidents).toBe(2);
  });
});

describe('buildResult: burn-in', () => {
  it('leaves what was filed in the burn-in days out of the headline counts, not out of the per-day series', () => {
    const whole = result({}, scenario({ police: allRelevant(100) })).r;
    const r = result({}, scenario({ burnInDays: 1, police: allRelevant(100) })).r;
    // Four accounts are reported at the end of day 1 (in the burn-in), account 5 at the end of day 2.
    expect(whole.reports.total).toBe(5);
    expect(r.reports.total).toBe(1);
    expect(r.reports.list.map((e) => e.account)).toEqual([5]);
    expect(r.offenders.reported).toBe(1);
    expect(r.innocentReported).toBe(0);
    expect(r.cyberTips).toMatchObject({ reports: 1, incidents: 1, accounts: 1 });
    expect(r.referrals.referred).toBe(1);
    // Investigations opened on day 2 (of the four burn-in reports) still count; day 1 had none.
    expect(r.police.investigations).toBe(5);
    expect(r.police.investigationsPerDay).toEqual(whole.police.investigationsPerDay);
    expect(r.reports.perDay).toEqual(whole.reports.perDay);
    expect(r.cyberTips.reportsPerDay).toEqual(whole.cyberTips.reportsPerDay);
    expect(r.cyberTips.list.map((e) => e.burnIn)).toEqual([true, true, true, true, false]);
    // Flags: those raised on day 1 are left out of the per-route counts.
    expect(r.routes.imageClassifier.flags).toBe(1);
    expect(r.routes.imageClassifier.flagsAbusive).toBe(1);
    expect(r.routes.hashMatch).toMatchObject({ flags: 0, flagsAbusive: 0, precision: null });
    expect(r.warnings).toEqual([]);
    expect(whole.routes.imageClassifier.flags).toBe(2);
    expect(r.review.flags).toBe(whole.review.flags);
  });

  it('counts investigations opened from day burnInDays on', () => {
    const accounts = Array.from({ length: 10 }, (_, a) => a);
    const ds = accounts.map((a) => det('hashMatch', a, 10 + a, 0.9, a));
    const l = ledger({ offenders: { sharer: accounts, producer: [], groomer: [] }, userReports: 0, forgedReports: 0 });
    const at = (burnInDays: number) => {
      const s = scenario({ durationDays: 6, burnInDays, capacityPerDay: 100, police: allRelevant(1, 1) });
      return buildResult(s, 'x.yaml', run(s, ds).state, [], l, timing).police;
    };
    expect(at(0)).toMatchObject({ investigations: 5, arrests: 5, investigationsPerDay: [0, 1, 1, 1, 1, 1] });
    expect(at(3)).toMatchObject({ investigations: 3, arrests: 3, investigationsPerDay: [0, 1, 1, 1, 1, 1] });
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

describe('perMonth', () => {
  it('sums a per-day series by 30-day months, a last shorter month holding the days left', () => {
    const days = Array.from({ length: 65 }, (_, d) => d + 1);
    const sumOf = (a: number, b: number) => days.slice(a, b).reduce((x, y) => x + y, 0);
    expect(perMonth(days)).toEqual([sumOf(0, 30), sumOf(30, 60), sumOf(60, 65)]);
    expect(perMonth(days.slice(0, 30))).toEqual([sumOf(0, 30)]);
    expect(perMonth([])).toEqual([]);
  });

  it('gives the document per-day message series of the run length from a ledger whose last days are missing', () => {
    const s = scenario();
    const { state, detected } = run(s, []);
    const r = buildResult(s, 'f.yaml', state, detected, ledger({ messagesPerDay: [60, 40], encryptedPerDay: [0, 30] }), timing);
    expect(r.messages.perDay).toEqual([60, 40, 0]);
    expect(r.messages.encryptedPerDay).toEqual([0, 30, 0]);
    expect(r.messages.perMonth).toEqual([100]);
    expect(r.messages.encryptedPerMonth).toEqual([30]);
    expect(r.reports.perMonth).toEqual([0]);
    expect(r.review.flagsPerMonth).toEqual([0]);
  });
});
