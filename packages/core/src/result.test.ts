import { describe, expect, it } from 'vitest';
import { validateScenario, type Scenario } from './scenario';
import { applyReporter, initialReporterState, type ReporterState } from './reporter';
import { buildResult, type LedgerView, type Timing } from './result';
import { type Detection, type MetadataResult, type Route, type ScanCounts, type ScanResult } from './types';

function scenario(capacityPerDay = 20, durationDays = 3): Scenario {
  const r = validateScenario(
    { seed: 99, name: 'unit', durationDays, population: { adults: 40, minors: 10 }, review: { capacityPerDay } },
    'test.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

function det(route: Route, account: number, t: number, evidence: number): Detection {
  return { route, account, t, messageId: route === 'metadata' ? -1 : Math.floor(t), evidence };
}

const counts: ScanCounts = { messages: 100, encrypted: 30, scanned: 70, unscannable: 30, deadLettered: 0 };

function run(s: Scenario, ds: Detection[], final = true): ReporterState {
  const state = initialReporterState(s);
  const sorted = [...ds].sort((a, b) => a.t - b.t);
  const scan: ScanResult = { run: 'r', seq: 0, final, detections: sorted.filter((d) => d.route === 'hashMatch'), counts };
  const meta: MetadataResult = { run: 'r', seq: 0, final, detections: sorted.filter((d) => d.route !== 'hashMatch') };
  applyReporter(s, state, scan, meta);
  return state;
}

function ledger(over: Partial<LedgerView> = {}): LedgerView {
  return {
    offenders: { sharer: [1, 4], groomer: [2] },
    abusiveMessages: { knownImage: 12, grooming: 5 },
    abusiveEncrypted: 6,
    messages: 100,
    encrypted: 30,
    userReports: 1,
    ...over,
  };
}

const timing: Timing = { transport: 'embedded', wallSeconds: 0.5, messagesPerSecond: 200 };

// Account 1: sharer, reported on two routes. Account 2: groomer. Account 3: innocent.
// Account 4: sharer, never reported. Account 6: innocent, flag rejected.
const detections = [
  det('hashMatch', 1, 100, 0.9),
  det('userReport', 1, 200, 0.8),
  det('metadata', 2, 300, 7),
  det('hashMatch', 3, 400, 0.7),
  det('hashMatch', 6, 500, 0.1),
];

describe('buildResult', () => {
  it('joins filed reports with the ledger: true and false positives, by route', () => {
    const s = scenario();
    const r = buildResult(s, 'scenarios/x.yaml', run(s, detections), ledger(), timing);
    expect(r.reports.total).toBe(4);
    expect(r.reports.truePositive).toBe(3);
    expect(r.reports.falsePositive).toBe(1);
    expect(r.reports.byRoute).toEqual({ hashMatch: 2, metadata: 1, userReport: 1 });
    expect(r.reports.falsePositiveByRoute).toEqual({ hashMatch: 1, metadata: 0, userReport: 0 });
    expect(r.reports.perDay).toEqual([4, 0, 0]);
  });

  it('counts distinct offender accounts as reported, by kind, and innocents separately', () => {
    const s = scenario();
    const r = buildResult(s, 'x.yaml', run(s, detections), ledger(), timing);
    expect(r.offenders).toEqual({
      total: 3,
      reported: 2,
      byKind: { sharer: { total: 2, reported: 1 }, groomer: { total: 1, reported: 1 } },
    });
    expect(r.innocentReported).toBe(1);
  });

  it('is internally consistent', () => {
    const s = scenario();
    const r = buildResult(s, 'x.yaml', run(s, detections), ledger(), timing);
    const sum = (o: Record<Route, number>) => o.hashMatch + o.metadata + o.userReport;
    expect(r.reports.total).toBe(r.reports.truePositive + r.reports.falsePositive);
    expect(sum(r.reports.byRoute)).toBe(r.reports.total);
    expect(sum(r.reports.falsePositiveByRoute)).toBe(r.reports.falsePositive);
    expect(r.reports.perDay.reduce((a, b) => a + b, 0)).toBe(r.reports.total);
    expect(r.review.confirmed).toBe(r.reports.total);
    expect(r.review.confirmed + r.review.rejected).toBe(r.review.reviewed);
    expect(r.review.reviewed + r.review.backlogAtEnd).toBe(r.review.flags);
    expect(sum(r.detections)).toBe(detections.length);
  });

  it('carries scenario, messages, abuse, review and timing through', () => {
    const s = scenario(2, 2);
    const state = run(s, detections);
    const r = buildResult(s, 'scenarios/x.yaml', state, ledger(), timing);
    expect(r.scenario).toEqual({ name: 'unit', file: 'scenarios/x.yaml', seed: 99 });
    expect(r.messages).toEqual({ total: 100, encrypted: 30, scanned: 70, unscannable: 30, deadLettered: 0 });
    expect(r.abuse).toEqual({ knownImage: 12, grooming: 5, encrypted: 6 });
    // Capacity 2 over 2 days: four of the five flags are reviewed (all confirmed), the
    // rejected-to-be one (evidence 0.1) is last in line and never reached.
    expect(r.review).toEqual({ capacityPerDay: 2, flags: 5, reviewed: 4, confirmed: 4, rejected: 0, backlogAtEnd: 1 });
    expect(r.reports.perDay).toEqual([2, 2]);
    expect(r.timing).toEqual(timing);
    expect(r.warnings).toEqual([]);
  });

  it('counts the backlog at the end', () => {
    const s = scenario(1, 2);
    const many = Array.from({ length: 6 }, (_, i) => det('hashMatch', 10 + i, 60 * (i + 1), 0.9));
    const r = buildResult(s, 'x.yaml', run(s, many), ledger({ userReports: 0 }), timing);
    expect(r.review.backlogAtEnd).toBe(4);
    expect(r.review.reviewed).toBe(2);
    expect(r.reports.perDay).toEqual([1, 1]);
    expect(r.innocentReported).toBe(2);
    expect(r.reports.falsePositive).toBe(2);
  });

  it('warns when the stream and the ledger disagree, or the run never finished', () => {
    const s = scenario();
    const state = run(s, detections);
    expect(buildResult(s, 'x.yaml', state, ledger({ messages: 101 }), timing).warnings).toEqual([
      expect.stringMatching(/101 messages generated but 100/),
    ]);
    expect(buildResult(s, 'x.yaml', state, ledger({ encrypted: 29 }), timing).warnings).toEqual([
      expect.stringMatching(/29 messages encrypted.*30/),
    ]);
    expect(buildResult(s, 'x.yaml', state, ledger({ userReports: 3 }), timing).warnings).toEqual([
      expect.stringMatching(/3 user reports made but 1/),
    ]);
    const unfinished = run(s, detections, false);
    expect(buildResult(s, 'x.yaml', unfinished, ledger(), timing).warnings).toEqual([expect.stringMatching(/never applied/)]);
    // The ledger's message count is the total, so lost messages show.
    expect(buildResult(s, 'x.yaml', state, ledger({ messages: 101 }), timing).messages.total).toBe(101);
  });

  it('serializes to JSON and back unchanged', () => {
    const s = scenario();
    const r = buildResult(s, 'x.yaml', run(s, detections), ledger(), timing);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('does not alias the reporter state', () => {
    const s = scenario();
    const state = run(s, detections);
    const r = buildResult(s, 'x.yaml', state, ledger(), timing);
    r.reports.perDay[0] = 99;
    r.detections.hashMatch = 99;
    expect(state.perDay[0]).toBe(4);
    expect(state.detections.hashMatch).toBe(3);
  });

  it('reports nothing and warns about nothing for an empty, finished run', () => {
    const s = scenario();
    const state = initialReporterState(s);
    applyReporter(
      s,
      state,
      { run: 'r', seq: 0, final: true, detections: [], counts: { messages: 0, encrypted: 0, scanned: 0, unscannable: 0, deadLettered: 0 } },
      { run: 'r', seq: 0, final: true, detections: [] },
    );
    const r = buildResult(s, 'x.yaml', state, ledger({ messages: 0, encrypted: 0, userReports: 0 }), timing);
    expect(r.warnings).toEqual([]);
    expect(r.reports.total).toBe(0);
    expect(r.offenders.reported).toBe(0);
    expect(r.reports.perDay).toEqual([0, 0, 0]);
  });
});
