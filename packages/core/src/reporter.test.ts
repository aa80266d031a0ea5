import { describe, expect, it } from 'vitest';
import { validateScenario, type Scenario } from './scenario';
import { applyReporter, initialReporterState, type ReporterState } from './reporter';
import { Random } from './random';
import { DAY, ROUTES, type Detection, type MetadataResult, type Route, type ScanCounts, type ScanResult } from './types';

function scenario(review: Record<string, number>, durationDays = 5): Scenario {
  const r = validateScenario(
    { seed: 1, durationDays, population: { adults: 40, minors: 10 }, review: { confirmThreshold: 0.5, metadataMinMinors: 5, ...review } },
    'test.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

const noCounts: ScanCounts = { messages: 0, encrypted: 0, scanned: 0, unscannable: 0, deadLettered: 0 };

/** A detection; messageId defaults to a stand-in that increases with time, as message ids do. */
function det(route: Route, account: number, t: number, evidence: number, messageId = Math.floor(t)): Detection {
  return { route, account, t, messageId, evidence };
}

/** Splits detections into the scanner's and the metadata detector's outputs for one batch. */
function outputs(seq: number, ds: Detection[], final = false, counts: ScanCounts = noCounts): [ScanResult, MetadataResult] {
  return [
    { run: 'r', seq, final, detections: ds.filter((d) => d.route === 'hashMatch'), counts },
    { run: 'r', seq, final, detections: ds.filter((d) => d.route !== 'hashMatch') },
  ];
}

/** Applies the detections as batches (already cut), the last one final. */
function apply(s: Scenario, batches: Detection[][]): ReporterState {
  const state = initialReporterState(s);
  batches.forEach((ds, i) => {
    const [scan, meta] = outputs(i, ds, i === batches.length - 1);
    applyReporter(s, state, scan, meta);
  });
  return state;
}

describe('applyReporter: review capacity', () => {
  it('with capacity 1, three flags on day 0 are filed on days 0, 1 and 2, oldest first', () => {
    const s = scenario({ capacityPerDay: 1 });
    const state = apply(s, [[det('hashMatch', 1, 100, 0.9), det('hashMatch', 2, 200, 0.9), det('hashMatch', 3, 300, 0.9)]]);
    expect(state.perDay).toEqual([1, 1, 1, 0, 0]);
    expect(state.filed['1:hashMatch']).toMatchObject({ account: 1, route: 'hashMatch', filedAt: 1 * DAY, firstDetection: 100 });
    expect(state.filed['2:hashMatch']).toMatchObject({ filedAt: 2 * DAY, firstDetection: 200 });
    expect(state.filed['3:hashMatch']).toMatchObject({ filedAt: 3 * DAY, firstDetection: 300 });
    expect(state.review).toEqual({ flags: 3, reviewed: 3, confirmed: 3, rejected: 0 });
    expect(state.backlog).toEqual([]);
    expect(state.done).toBe(true);
    expect(state.day).toBe(5);
  });

  it('never reviews more than the capacity in a day', () => {
    const rng = Random.derive(1, 'capacity');
    for (const capacity of [0, 1, 2, 5]) {
      const s = scenario({ capacityPerDay: capacity }, 6);
      const ds = Array.from({ length: 40 }, (_, i) => det('hashMatch', i, rng.next() * 6 * DAY, 0.9)).sort((a, b) => a.t - b.t);
      const state = apply(s, [ds]);
      for (const n of state.perDay) expect(n).toBeLessThanOrEqual(capacity);
      expect(state.review.reviewed).toBeLessThanOrEqual(capacity * 6);
      expect(state.review.reviewed + state.backlog.length).toBe(state.review.flags);
    }
  });

  it('reviews a day only once it is over: a later detection closes earlier days', () => {
    const s = scenario({ capacityPerDay: 1 });
    const state = initialReporterState(s);
    const day0 = [det('hashMatch', 1, 100, 0.9), det('hashMatch', 2, 200, 0.9), det('hashMatch', 3, 300, 0.9)];
    applyReporter(s, state, ...outputs(0, day0));
    expect(state.review.reviewed).toBe(0);
    expect(state.day).toBe(0);
    applyReporter(s, state, ...outputs(1, [det('userReport', 9, 2 * DAY + 5, 0.9)]));
    expect(state.day).toBe(2);
    expect(Object.keys(state.filed).sort()).toEqual(['1:hashMatch', '2:hashMatch']);
    expect(state.backlog).toEqual(['3:hashMatch', '9:userReport']);
    applyReporter(s, state, ...outputs(2, [], true));
    expect(state.perDay).toEqual([1, 1, 1, 1, 0]);
    expect(state.filed['9:userReport']?.filedAt).toBe(4 * DAY);
  });

  it('counts the backlog left at the end', () => {
    const s = scenario({ capacityPerDay: 1 }, 2);
    const state = apply(s, [[1, 2, 3, 4, 5].map((a) => det('hashMatch', a, a * 60, 0.9))]);
    expect(state.review).toEqual({ flags: 5, reviewed: 2, confirmed: 2, rejected: 0 });
    expect(state.backlog).toEqual(['3:hashMatch', '4:hashMatch', '5:hashMatch']);
    expect(state.perDay).toEqual([1, 1]);
  });
});

describe('applyReporter: flags and reports', () => {
  it('files at most one report per (account, route), aggregating later detections into it', () => {
    const s = scenario({ capacityPerDay: 20 });
    const state = apply(s, [
      [
        det('hashMatch', 1, 100, 0.9),
        det('hashMatch', 1, 200, 0.7),
        det('userReport', 1, 300, 0.8),
        det('metadata', 1, 400, 6),
        det('hashMatch', 1, DAY + 5, 0.95),
        det('hashMatch', 1, 3 * DAY + 5, 0.95),
        det('userReport', 1, 2 * DAY, 0.6),
      ].sort((a, b) => a.t - b.t),
    ]);
    expect(Object.keys(state.filed).sort()).toEqual(['1:hashMatch', '1:metadata', '1:userReport']);
    expect(state.filed['1:hashMatch']).toEqual({
      account: 1,
      route: 'hashMatch',
      filedAt: DAY,
      firstDetection: 100,
      detections: 4,
    });
    expect(state.filed['1:userReport']?.detections).toBe(2);
    expect(state.detections).toEqual({ hashMatch: 4, metadata: 1, userReport: 2 });
    expect(state.review.flags).toBe(3);
    expect(state.perDay).toEqual([3, 0, 0, 0, 0]);
  });

  it('rejects a flag whose evidence is below confirmThreshold, and confirms one at it', () => {
    const s = scenario({ capacityPerDay: 20, confirmThreshold: 0.5 });
    const state = apply(s, [[det('hashMatch', 1, 10, 0.49), det('userReport', 2, 20, 0.5), det('userReport', 3, 30, 0.1)]]);
    expect(Object.keys(state.filed)).toEqual(['2:userReport']);
    expect(state.review).toEqual({ flags: 3, reviewed: 3, confirmed: 1, rejected: 2 });
  });

  it('judges a flag on the strongest evidence seen before its review', () => {
    const s = scenario({ capacityPerDay: 20 });
    const state = apply(s, [[det('hashMatch', 1, 10, 0.2), det('hashMatch', 1, 20, 0.9), det('hashMatch', 1, 30, 0.1)]]);
    expect(Object.keys(state.filed)).toEqual(['1:hashMatch']);
    expect(state.filed['1:hashMatch']?.detections).toBe(3);
    // Evidence arriving after the review day does not rescue a rejected flag retroactively.
    const late = apply(s, [[det('hashMatch', 2, 10, 0.2), det('hashMatch', 2, DAY + 10, 0.9)]]);
    expect(late.review.rejected).toBe(1);
    expect(late.filed['2:hashMatch']?.filedAt).toBe(2 * DAY);
  });

  it('confirms a metadata flag on the number of minors, against metadataMinMinors', () => {
    const s = scenario({ capacityPerDay: 20, metadataMinMinors: 5, confirmThreshold: 0.5 });
    const state = apply(s, [[det('metadata', 1, 10, 4), det('metadata', 2, 20, 5), det('metadata', 3, 30, 12)]]);
    expect(Object.keys(state.filed).sort()).toEqual(['2:metadata', '3:metadata']);
    expect(state.review.rejected).toBe(1);
  });

  it('sums the scanner\'s message counts, dead-lettered messages included in the total', () => {
    const s = scenario({});
    const state = initialReporterState(s);
    applyReporter(s, state, ...outputs(0, [], false, { messages: 10, encrypted: 4, scanned: 6, unscannable: 4, deadLettered: 0 }));
    applyReporter(s, state, ...outputs(1, [], true, { messages: 5, encrypted: 1, scanned: 3, unscannable: 2, deadLettered: 7 }));
    expect(state.messages).toEqual({ total: 22, encrypted: 5, scanned: 9, unscannable: 6, deadLettered: 7 });
  });

  it('refuses a batch after the final one, and mismatched scanner/metadata batches', () => {
    const s = scenario({});
    const state = initialReporterState(s);
    const [scan0] = outputs(0, []);
    const [, meta1] = outputs(1, []);
    expect(() => applyReporter(s, state, scan0, meta1)).toThrow(/paired/);
    applyReporter(s, state, ...outputs(0, [], true));
    expect(() => applyReporter(s, state, ...outputs(1, [], true))).toThrow(/after the final/);
  });

  it('keeps a plain-JSON state: persisting it between batches changes nothing', () => {
    const s = scenario({ capacityPerDay: 2 });
    const rng = Random.derive(2, 'json');
    const ds = Array.from({ length: 60 }, () =>
      det(ROUTES[rng.int(3)] as Route, rng.int(15), rng.next() * 5 * DAY, rng.next() * 8),
    ).sort((a, b) => a.t - b.t);
    const direct = apply(s, [ds.slice(0, 20), ds.slice(20, 40), ds.slice(40)]);
    let state = initialReporterState(s);
    [ds.slice(0, 20), ds.slice(20, 40), ds.slice(40)].forEach((part, i) => {
      state = JSON.parse(JSON.stringify(state)) as ReporterState;
      applyReporter(s, state, ...outputs(i, part, i === 2));
    });
    expect(state).toEqual(direct);
  });
});

describe('applyReporter: independence from batching', () => {
  function randomStream(seed: number, n: number, days: number): Detection[] {
    const rng = Random.derive(seed, 'stream');
    // Distinct times (whole milliseconds, strictly increasing), as the stream orders them.
    let t = 0;
    const ds: Detection[] = [];
    for (let i = 0; i < n; i++) {
      t += 1 + Math.floor(rng.exponential((days * DAY * 1000) / n)) / 1000;
      if (t >= days * DAY) break;
      const route = ROUTES[rng.int(3)] as Route;
      ds.push(det(route, rng.int(25), t, route === 'metadata' ? 1 + rng.int(9) : rng.next(), i));
    }
    return ds;
  }

  it('gives the same state however the time-ordered stream is cut', () => {
    for (const seed of [1, 2, 3]) {
      const s = scenario({ capacityPerDay: 3 }, 6);
      const ds = randomStream(seed, 300, 6);
      const whole = apply(s, [ds]);
      expect(whole.review.flags).toBeGreaterThan(10);
      for (const size of [1, 4, 50]) {
        const parts: Detection[][] = [];
        for (let i = 0; i < ds.length; i += size) parts.push(ds.slice(i, i + size));
        expect(apply(s, parts)).toEqual(whole);
      }
    }
  });

  it('gives the same state for detections that share a time, however the stream is cut between them', () => {
    // Two messages sent in the same millisecond (the generator's time resolution), in
    // stream order: message 10 from account 5 completes a metadata pattern, message 11
    // from account 3 is a known image. The generator may end a batch between them.
    // With review capacity 1 only the first flag in the backlog is reviewed, so the
    // backlog order must not depend on where the batch boundary fell.
    const s = scenario({ capacityPerDay: 1 }, 1);
    const metadata = det('metadata', 5, 1000, 6, 10);
    const known = det('hashMatch', 3, 1000, 0.9, 11);
    const oneBatch = apply(s, [[metadata, known]]);
    const twoBatches = apply(s, [[metadata], [known]]);
    expect(Object.keys(twoBatches.filed)).toEqual(Object.keys(oneBatch.filed));
    expect(twoBatches).toEqual(oneBatch);
  });

  it('gives the same state for two metadata detections at the same time, however the stream is cut', () => {
    // Messages 20 (account 9) and 21 (account 2), same millisecond, each completing a pattern.
    const s = scenario({ capacityPerDay: 1 }, 1);
    const first = det('metadata', 9, 5000, 7, 20);
    const second = det('metadata', 2, 5000, 7, 21);
    expect(apply(s, [[first], [second]])).toEqual(apply(s, [[first, second]]));
  });

  it('puts a user report after messages of the same time, as the stream does, however it is cut', () => {
    // Stream: message 30 (account 4, known image) at t, then a report at the same t of an
    // older message 12 by account 8. Reports follow messages on equal times.
    const s = scenario({ capacityPerDay: 1 }, 1);
    const known = det('hashMatch', 4, 7000, 0.9, 30);
    const report = det('userReport', 8, 7000, 0.9, 12);
    const whole = apply(s, [[known, report]]);
    expect(apply(s, [[known], [report]])).toEqual(whole);
    expect(Object.keys(whole.filed)).toEqual(['4:hashMatch']);
  });

  it('orders detections of one message by route, however the stream is cut around it', () => {
    const s = scenario({ capacityPerDay: 1 }, 1);
    // Message 40 from account 6 is both a known image and completes a pattern; message
    // 41 at the same time from account 2 completes a pattern too.
    const a = det('metadata', 6, 9000, 9, 40);
    const b = det('hashMatch', 6, 9000, 0.9, 40);
    const c = det('metadata', 2, 9000, 9, 41);
    const whole = apply(s, [[a, b, c]]);
    expect(apply(s, [[b, a], [c]])).toEqual(whole);
    expect(Object.keys(whole.filed)).toEqual(['6:hashMatch']);
  });
});
