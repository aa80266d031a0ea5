import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../scenario';
import { testScenario } from '../testing';
import { LargeMap } from '../tables';
import { applyMetadata, metadataKeys, type AccountWindows, type MetadataState } from '.';
import { encodeContent } from '../content';
import { Random } from '../random';
import { DAY, HOUR, type Block, type Detection, type Envelope, type EnvelopeBatch, type UserReport } from '../types';
import type { MetadataRule } from './rules';
import type { SlidingWindow } from './window';

/** Thresholds and windows, all different so a mix-up shows. */
const RULES = {
  unconnectedMinors: { minMinors: 3, windowHours: 10 },
  newAccountBurst: { maxAccountAgeDays: 14, minMessages: 4, windowHours: 6 },
  imagesToMinors: { minImages: 5, windowHours: 8 },
  blocksAndReports: { minAccounts: 2, windowHours: 12 },
};

function scenario(metadata: Record<string, unknown> = {}): Scenario {
  return testScenario(
    { seed: 5, durationDays: 10, population: { adults: 50, minors: 50 }, detection: { metadata: structuredClone(RULES) } },
    { detection: { metadata } },
  );
}

const s = scenario();
/** Event ids come from one counter, in the order events are made: tests make them in stream order. */
let nextId = 0;

/** A text DM from an old adult account to an unconnected minor, unless overridden. */
function dm(t: number, sender: number, recipient: number, over: Partial<Envelope> = {}): Envelope {
  return {
    id: nextId++,
    t,
    surface: 'dm',
    sender,
    recipient,
    media: 'text',
    size: 60,
    encrypted: true,
    senderMinor: false,
    recipientMinor: true,
    connected: false,
    senderAccountAgeDays: 500,
    ...over,
  };
}

function report(t: number, reporter: number, reported: number, messageId = 0): UserReport {
  return {
    id: nextId++,
    messageId,
    t,
    reporter,
    reported,
    recipient: reporter,
    sentAt: Math.max(0, t - 60),
    surface: 'dm',
    content: encodeContent({ media: 'text', score: 0.9, look: 0.9 }),
    frankingKey: new Uint8Array(0),
    commitment: new Uint8Array(0),
    tag: new Uint8Array(0),
  };
}

function block(t: number, blocker: number, blocked: number): Block {
  return { id: nextId++, t, blocker, blocked };
}

type Event = Envelope | UserReport | Block;
const isReport = (e: Event): e is UserReport => 'reporter' in e;
const isBlock = (e: Event): e is Block => 'blocker' in e;
const isEnvelope = (e: Event): e is Envelope => 'sender' in e;

function batch(events: Event[], seq = 0, final = false): EnvelopeBatch {
  return {
    run: 'r',
    seq,
    final,
    envelopes: events.filter(isEnvelope),
    reports: events.filter(isReport),
    blocks: events.filter(isBlock),
  };
}

function run(events: Event[], sc: Scenario = s): Detection[] {
  return applyMetadata(sc, new Map(), batch(events)).detections;
}

const h = (x: number) => x * HOUR;

interface RuleCase {
  rule: MetadataRule;
  threshold: number;
  window: number;
  /** The i-th distinct qualifying event for `account` at time t. */
  event: (i: number, t: number, account: number) => Event;
}

const CASES: RuleCase[] = [
  {
    rule: 'unconnectedMinors',
    threshold: RULES.unconnectedMinors.minMinors,
    window: RULES.unconnectedMinors.windowHours,
    event: (i, t, a) => dm(t, a, 100 + (i % 1000)),
  },
  {
    rule: 'newAccountBurst',
    threshold: RULES.newAccountBurst.minMessages,
    window: RULES.newAccountBurst.windowHours,
    // Messages to a connected adult: only the burst rule sees them.
    event: (_i, t, a) => dm(t, a, 10, { senderAccountAgeDays: 2, recipientMinor: false, connected: true }),
  },
  {
    rule: 'imagesToMinors',
    threshold: RULES.imagesToMinors.minImages,
    window: RULES.imagesToMinors.windowHours,
    // Always the same minor: images count, not minors, and the minors rule stays quiet.
    event: (_i, t, a) => dm(t, a, 100, { media: 'image' }),
  },
  {
    rule: 'blocksAndReports',
    threshold: RULES.blocksAndReports.minAccounts,
    window: RULES.blocksAndReports.windowHours,
    event: (i, t, a) => (i % 2 === 0 ? block(t, 200 + i, a) : report(t, 200 + i, a)),
  },
];

function expected(c: RuleCase, e: Event, account: number, evidence: number): Detection {
  return {
    route: 'metadata',
    rule: c.rule,
    account,
    t: e.t,
    messageId: isEnvelope(e) ? e.id : -1,
    event: e.id,
    evidence,
  };
}

describe.each(CASES)('applyMetadata: the $rule rule (threshold $threshold, window $window h)', (c) => {
  const A = 7;

  it('fires at its threshold, once, at the event that completes it, with evidence count / threshold', () => {
    const events = Array.from({ length: c.threshold }, (_, i) => c.event(i, h(1 + 0.25 * i), A));
    const last = events.at(-1) as Event;
    expect(run(events)).toEqual([expected(c, last, A, 1)]);
    // One more within the window does not repeat it.
    expect(run([...events, c.event(c.threshold, h(1 + 0.25 * c.threshold), A)])).toEqual([expected(c, last, A, 1)]);
  });

  it('does not fire one below its threshold', () => {
    expect(run(Array.from({ length: c.threshold - 1 }, (_, i) => c.event(i, h(1 + 0.25 * i), A)))).toEqual([]);
  });

  it('counts only what falls within the window (inclusive at its start)', () => {
    const W = h(c.window);
    const early = (t0: number) => Array.from({ length: c.threshold - 1 }, (_, i) => c.event(i, t0, A));
    // The first events fall one second out of the window of the last: no detection.
    expect(run([...early(h(1)), c.event(c.threshold, h(1) + W + 1, A)])).toEqual([]);
    // Spread over two windows, never T in one.
    expect(run(Array.from({ length: c.threshold }, (_, i) => c.event(i, h(1) + i * (W / (c.threshold - 1) + 1), A)))).toEqual([]);
    // One second inside, and exactly at the window's start: it fires.
    for (const gap of [W - 1, W]) {
      const events = [...early(h(1)), c.event(c.threshold, h(1) + gap, A)];
      expect(run(events)).toEqual([expected(c, events.at(-1) as Event, A, 1)]);
    }
  });

  it('fires at most once per window, and again once a window has passed since it fired', () => {
    const W = h(c.window);
    const T = c.threshold;
    let i = 0;
    const events: Event[] = [];
    for (let k = 0; k < T; k++) events.push(c.event(i++, h(1) + k, A));
    const t0 = h(1) + T - 1;
    // T more within the window after firing: no repeat.
    for (let k = 1; k <= T; k++) events.push(c.event(i++, t0 + (k * W) / (T + 1), A));
    const quiet = run(events);
    expect(quiet).toEqual([expected(c, events[T - 1] as Event, A, 1)]);
    // One second before a window has passed: still quiet.
    expect(run([...events, c.event(i, t0 + W - 1, A)])).toEqual(quiet);
    // Exactly a window later: fires again. In its window: the event that fired, the T
    // after it and this one.
    const again = c.event(i + 1, t0 + W, A);
    const ds = run([...events, again]);
    expect(ds).toEqual([expected(c, events[T - 1] as Event, A, 1), expected(c, again, A, (T + 2) / T)]);
    expect(ds[1]!.t - ds[0]!.t).toBeGreaterThanOrEqual(W);
  });

  it('keeps accounts apart', () => {
    const events: Event[] = [];
    for (let i = 0; i < c.threshold - 1; i++) events.push(c.event(i, h(1 + 0.1 * i), 7), c.event(i, h(1.05 + 0.1 * i), 8));
    expect(run(events)).toEqual([]);
  });

  it('is silent when the rule, or the whole metadata detector, is off', () => {
    const events = Array.from({ length: c.threshold + 2 }, (_, i) => c.event(i, h(1 + 0.25 * i), A));
    expect(run(events).length).toBeGreaterThan(0);
    const ruleOff = scenario({ [c.rule]: { enabled: false } });
    expect(run(events, ruleOff)).toEqual([]);
    const allOff = scenario({ enabled: false });
    const r = applyMetadata(allOff, new Map(), batch(events));
    expect(r.detections).toEqual([]);
    expect(metadataKeys(allOff, batch(events))).toEqual([]);
    // User reports are still passed on to the reporter.
    expect(r.reports).toEqual(batch(events).reports);
  });
});

describe('applyMetadata: what each rule counts', () => {
  it('unconnectedMinors counts distinct minors, not messages', () => {
    const events = [dm(h(1), 7, 100), dm(h(1.1), 7, 100), dm(h(1.2), 7, 101), dm(h(1.3), 7, 101), dm(h(1.4), 7, 100)];
    expect(run(events)).toEqual([]);
    const third = dm(h(1.5), 7, 102);
    expect(run([...events, third])).toEqual([
      { route: 'metadata', rule: 'unconnectedMinors', account: 7, t: h(1.5), messageId: third.id, event: third.id, evidence: 1 },
    ]);
  });

  it('unconnectedMinors and imagesToMinors ignore connected minors, minor senders, adult recipients and public posts', () => {
    const variants: Partial<Envelope>[] = [
      { connected: true },
      { senderMinor: true },
      { recipientMinor: false },
      { surface: 'public', recipient: -1, recipientMinor: false },
      { surface: 'profile', recipient: -1, recipientMinor: false },
    ];
    for (const over of variants) {
      const events = Array.from({ length: 8 }, (_, i) => dm(h(1 + 0.1 * i), 7, 100 + i, { media: 'image', ...over }));
      expect(run(events), JSON.stringify(over)).toEqual([]);
    }
  });

  it('unconnectedMinors ignores the payload side: encrypted or not, text or image', () => {
    const ds = run([dm(h(1), 7, 100, { encrypted: false }), dm(h(2), 7, 101, { encrypted: true }), dm(h(3), 7, 102, { media: 'image' })]);
    expect(ds.map((d) => d.rule)).toEqual(['unconnectedMinors']);
  });

  it('imagesToMinors counts images only, to any unconnected minors', () => {
    const texts = Array.from({ length: 10 }, (_, i) => dm(h(1 + 0.01 * i), 7, 100));
    const images = Array.from({ length: RULES.imagesToMinors.minImages }, (_, i) => dm(h(2 + 0.01 * i), 7, 100, { media: 'image' }));
    const ds = run([...texts, ...images]);
    expect(ds.map((d) => [d.rule, d.messageId])).toEqual([['imagesToMinors', images.at(-1)!.id]]);
  });

  it('newAccountBurst counts every message of an account younger than maxAccountAgeDays, whatever the recipient', () => {
    const young = (t: number, over: Partial<Envelope>) => dm(t, 7, 10, { senderAccountAgeDays: 13.99, recipientMinor: false, connected: true, ...over });
    const events = [
      young(h(1), { surface: 'public', recipient: -1, connected: false }),
      young(h(1.1), { surface: 'profile', recipient: -1, connected: false, media: 'image' }),
      young(h(1.2), { senderMinor: true }),
      young(h(1.3), {}),
    ];
    expect(run(events).map((d) => [d.rule, d.messageId])).toEqual([['newAccountBurst', events[3]!.id]]);
    // At maxAccountAgeDays the account is no longer new: nothing counts.
    const old = [0, 1, 2, 3, 4, 5].map((i) => dm(h(1 + 0.1 * i), 7, 10, { senderAccountAgeDays: 14, recipientMinor: false, connected: true }));
    expect(run(old)).toEqual([]);
  });

  it('newAccountBurst stops counting once the account has aged past the limit', () => {
    const events = [
      ...[0, 1, 2].map((i) => dm(h(1 + 0.1 * i), 7, 10, { senderAccountAgeDays: 13.9, recipientMinor: false, connected: true })),
      dm(h(1.4), 7, 10, { senderAccountAgeDays: 14.01, recipientMinor: false, connected: true }),
    ];
    expect(run(events)).toEqual([]);
  });

  it('blocksAndReports counts distinct complainants: blocks and reports from one account count once', () => {
    const same = [block(h(1), 300, 7), report(h(1.1), 300, 7), block(h(1.2), 300, 7), report(h(1.3), 300, 7)];
    expect(run(same)).toEqual([]);
    const second = report(h(1.4), 301, 7, 55);
    expect(run([...same, second])).toEqual([
      { route: 'metadata', rule: 'blocksAndReports', account: 7, t: h(1.4), messageId: -1, event: second.id, evidence: 1 },
    ]);
  });

  it('a single message can complete several rules; each fires once, in a fixed order', () => {
    // Account 7 is new and sends images to unconnected minors.
    const over = { media: 'image' as const, senderAccountAgeDays: 1 };
    const events = Array.from({ length: 5 }, (_, i) => dm(h(1 + 0.1 * i), 7, 100 + i, over));
    const ds = run(events);
    expect(ds.map((d) => [d.rule, d.messageId, d.evidence])).toEqual([
      ['unconnectedMinors', events[2]!.id, 1],
      ['newAccountBurst', events[3]!.id, 1],
      ['imagesToMinors', events[4]!.id, 1],
    ]);
    expect(ds.every((d) => d.account === 7 && d.route === 'metadata')).toBe(true);
  });
});

describe('applyMetadata: stream order and batching', () => {
  it('applies a batch in event-id order, not in the order of its lists', () => {
    // Complaints against account 7, interleaved: block 0, report 1, block 2, report 3. The
    // second distinct complainant completes the rule: event 1, the first report.
    const b0 = block(h(1), 300, 7);
    const r1 = report(h(1.1), 301, 7);
    const b2 = block(h(1.2), 302, 7);
    const r3 = report(h(1.3), 303, 7);
    const ds = applyMetadata(s, new Map(), { run: 'r', seq: 0, final: false, envelopes: [], reports: [r3, r1], blocks: [b2, b0] }).detections;
    expect(ds.map((d) => d.event)).toEqual([r1.id]);
  });

  it('passes user reports through unchanged for the reporter to verify', () => {
    const reports = [report(500.5, 60, 3, 11), report(600, 61, 4, 12)];
    const b = batch(reports, 3, true);
    const r = applyMetadata(s, new Map(), b);
    expect(r).toEqual({ run: 'r', seq: 3, final: true, detections: [], reports });
  });

  /** A random stream of envelopes, reports and blocks in stream order. */
  function randomStream(seed: number, n: number): Event[] {
    const rng = Random.derive(seed, 'metadata-stream');
    const events: Event[] = [];
    let t = 0;
    for (let i = 0; i < n; i++) {
      t += 1 + Math.round(rng.exponential(h(0.1)));
      const sender = rng.int(8);
      const roll = rng.next();
      if (roll < 0.08) events.push(block(t, 200 + rng.int(12), rng.int(8)));
      else if (roll < 0.14) events.push(report(t, 200 + rng.int(12), rng.int(8)));
      else {
        const pub = rng.chance(0.1);
        events.push(
          dm(t, sender, pub ? -1 : 100 + rng.int(40), {
            surface: pub ? 'public' : 'dm',
            media: rng.chance(0.4) ? 'image' : 'text',
            connected: !pub && rng.chance(0.3),
            senderMinor: rng.chance(0.1),
            recipientMinor: !pub && rng.chance(0.8),
            // Accounts 0..2 start young and age with the stream.
            senderAccountAgeDays: (sender < 3 ? 10 : 400) + t / DAY,
          }),
        );
      }
    }
    return events;
  }

  /**
   * The rules computed from scratch: for each event, the whole window is recounted from
   * the stream, rather than kept incrementally as the detector does.
   */
  function reference(sc: Scenario, events: Event[]): Detection[] {
    const m = sc.detection.metadata;
    const records = new Map<string, Array<{ t: number; who: number }>>();
    const fired = new Map<string, number>();
    const out: Detection[] = [];
    const add = (rule: MetadataRule, account: number, t: number, who: number, threshold: number, windowHours: number, ev: Event, distinctCount: boolean) => {
      const key = `${rule}:${account}`;
      const list = records.get(key) ?? [];
      list.push({ t, who });
      records.set(key, list);
      const inWindow = list.filter((r) => r.t >= t - h(windowHours));
      const count = distinctCount ? new Set(inWindow.map((r) => r.who)).size : inWindow.length;
      const last = fired.get(key);
      if (count >= threshold && (last === undefined || t - last >= h(windowHours))) {
        fired.set(key, t);
        out.push({ route: 'metadata', rule, account, t, messageId: isEnvelope(ev) ? ev.id : -1, event: ev.id, evidence: count / threshold });
      }
    };
    for (const ev of events) {
      if (isEnvelope(ev)) {
        const toMinor = ev.surface === 'dm' && !ev.senderMinor && ev.recipientMinor && !ev.connected;
        if (toMinor && m.unconnectedMinors.enabled) {
          add('unconnectedMinors', ev.sender, ev.t, ev.recipient, m.unconnectedMinors.minMinors, m.unconnectedMinors.windowHours, ev, true);
        }
        // In registry order, the order in which one event's detections are listed.
        if (m.newAccountBurst.enabled && ev.senderAccountAgeDays < m.newAccountBurst.maxAccountAgeDays) {
          add('newAccountBurst', ev.sender, ev.t, 0, m.newAccountBurst.minMessages, m.newAccountBurst.windowHours, ev, false);
        }
        if (toMinor && ev.media === 'image' && m.imagesToMinors.enabled) {
          add('imagesToMinors', ev.sender, ev.t, 0, m.imagesToMinors.minImages, m.imagesToMinors.windowHours, ev, false);
        }
      } else if (m.blocksAndReports.enabled) {
        const [account, from] = isReport(ev) ? [ev.reported, ev.reporter] : [ev.blocked, ev.blocker];
        add('blocksAndReports', account, ev.t, from, m.blocksAndReports.minAccounts, m.blocksAndReports.windowHours, ev, true);
      }
    }
    return out;
  }

  const stream = randomStream(3, 3000);
  const whole = run(stream);

  it('agrees with the rules recounted from scratch, and every rule fires repeatedly', () => {
    for (const rule of ['unconnectedMinors', 'newAccountBurst', 'imagesToMinors', 'blocksAndReports'] as const) {
      expect(whole.filter((d) => d.rule === rule).length, rule).toBeGreaterThan(3);
    }
    expect(whole).toEqual(reference(s, stream));
    const partly = scenario({ imagesToMinors: { enabled: false }, newAccountBurst: { enabled: false } });
    expect(run(stream, partly)).toEqual(reference(partly, stream));
  });

  it('agrees with the rules recounted from scratch on random streams, cut into random batches stored as JSON between them', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 800 }), fc.integer({ min: 1, max: 300 }), (seed, n, size) => {
        const events = randomStream(seed, n);
        let state: MetadataState = new Map();
        const pieces: Detection[] = [];
        for (let i = 0; i < events.length; i += size) {
          state = new Map(JSON.parse(JSON.stringify([...state])) as Array<[number, ReturnType<MetadataState['get']> & object]>);
          pieces.push(...applyMetadata(s, state, batch(events.slice(i, i + size), i / size)).detections);
        }
        expect(pieces).toEqual(reference(s, events));
      }),
      { numRuns: 60 },
    );
  });

  it('keeps state between batches: the result does not depend on where the stream is cut', () => {
    for (const size of [1, 3, 17, 500]) {
      const state: MetadataState = new Map();
      const pieces: Detection[] = [];
      const reports: UserReport[] = [];
      for (let i = 0; i < stream.length; i += size) {
        const r = applyMetadata(s, state, batch(stream.slice(i, i + size), i / size));
        pieces.push(...r.detections);
        reports.push(...r.reports);
      }
      expect(pieces).toEqual(whole);
      expect(reports).toEqual(stream.filter(isReport));
    }
  });

  it('keeps a plain-data state: a JSON round trip of each account between batches changes nothing', () => {
    let state: MetadataState = new Map();
    const pieces: Detection[] = [];
    for (let i = 0; i < stream.length; i += 250) {
      state = new Map(JSON.parse(JSON.stringify([...state])) as Array<[number, ReturnType<MetadataState['get']> & object]>);
      pieces.push(...applyMetadata(s, state, batch(stream.slice(i, i + 250), i / 250)).detections);
    }
    expect(pieces).toEqual(whole);
  });

  it('forgets what falls out of a window: each holds only the window before its latest entry, and keeps little else', () => {
    const state = new Map<number, AccountWindows>();
    applyMetadata(s, state, batch(stream));
    const within = (w: SlidingWindow | undefined, windowHours: number) => {
      if (!w) return 0;
      const stride = w.keys ? 2 : 1;
      const times = w.entries.slice(w.head).filter((_, i) => i % stride === 0);
      for (const t of times) expect(t).toBeGreaterThanOrEqual((times.at(-1) as number) - h(windowHours));
      // What has left the window is dropped before it outnumbers what is in it.
      expect(w.head).toBeLessThanOrEqual(times.length * stride);
      if (w.keys) expect(w.distinct).toBe(new Set(w.entries.slice(w.head).filter((_, i) => i % 2 === 1)).size);
      return times.length;
    };
    let kept = 0;
    for (const w of state.values()) {
      kept += within(w.windows.unconnectedMinors, RULES.unconnectedMinors.windowHours);
      kept += within(w.windows.newAccountBurst, RULES.newAccountBurst.windowHours);
      kept += within(w.windows.imagesToMinors, RULES.imagesToMinors.windowHours);
      kept += within(w.windows.blocksAndReports, RULES.blocksAndReports.windowHours);
    }
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(stream.length / 4);
  });
});

describe('metadataKeys', () => {
  it('lists exactly the accounts whose state a batch touches, ascending and once each', () => {
    const events = [
      dm(1, 9, 100),
      dm(2, 3, 101),
      dm(3, 9, 102),
      dm(4, 5, 103, { connected: true }),
      dm(5, 6, 104, { senderMinor: true }),
      dm(6, 8, 10, { recipientMinor: false }),
      dm(7, 4, -1, { surface: 'public', recipientMinor: false }),
      dm(8, 11, -1, { surface: 'public', recipientMinor: false, senderAccountAgeDays: 3 }),
      dm(9, 12, 105),
      block(10, 30, 2),
      report(11, 31, 40),
    ];
    expect(metadataKeys(s, batch(events))).toEqual([2, 3, 9, 11, 12, 40]);
    expect(metadataKeys(s, batch([]))).toEqual([]);
    // Rules that are off touch nothing.
    const only = scenario({ blocksAndReports: { enabled: false }, newAccountBurst: { enabled: false } });
    expect(metadataKeys(only, batch(events))).toEqual([3, 9, 12]);
    const complaintsOnly = scenario({
      unconnectedMinors: { enabled: false },
      imagesToMinors: { enabled: false },
      newAccountBurst: { enabled: false },
    });
    expect(metadataKeys(complaintsOnly, batch(events))).toEqual([2, 40]);
  });

  it('names every account whose state applyMetadata creates', () => {
    for (const sc of [s, scenario({ imagesToMinors: { enabled: false } }), scenario({ blocksAndReports: { enabled: false } })]) {
      const b = batch(randomStream(6, 400));
      const state = new Map<number, AccountWindows>();
      applyMetadata(sc, state, b);
      expect(metadataKeys(sc, b)).toEqual([...state.keys()].sort((x, y) => x - y));
    }
  });

  it('keeps the same windows and fires the same detections in a LargeMap as in a Map', () => {
    const b = batch(randomStream(8, 600));
    const map = new Map<number, AccountWindows>();
    const large = new LargeMap<AccountWindows>();
    const fromMap = applyMetadata(s, map, b);
    expect(applyMetadata(s, large, b)).toEqual(fromMap);
    expect(fromMap.detections.length).toBeGreaterThan(0);
    expect(new Map(large)).toEqual(map);
  });

  /** Same as randomStream above, reachable from this block. */
  function randomStream(seed: number, n: number): Event[] {
    const rng = Random.derive(seed, 'keys');
    return Array.from({ length: n }, (_, i) => {
      const roll = rng.next();
      if (roll < 0.1) return block(i, 200 + rng.int(5), rng.int(30));
      if (roll < 0.2) return report(i, 200 + rng.int(5), rng.int(30));
      return dm(i, rng.int(20), 100 + rng.int(30), {
        connected: rng.chance(0.3),
        senderMinor: rng.chance(0.3),
        recipientMinor: rng.chance(0.7),
        surface: rng.chance(0.1) ? 'public' : 'dm',
        media: rng.chance(0.5) ? 'image' : 'text',
        senderAccountAgeDays: rng.chance(0.2) ? 3 : 300,
      });
    });
  }
});
