import { describe, expect, it } from 'vitest';
import { validateScenario, type Scenario } from './scenario';
import { applyMetadata, metadataKeys, type MetadataState } from './metadata';
import { encodeContent, quantizeLook } from './content';
import { randomHash } from './hash';
import { Random } from './random';
import { HOUR, type Detection, type Envelope, type EnvelopeBatch, type UserReport } from './types';

const K = 3;
const W = 10; // hours

function scenario(): Scenario {
  const r = validateScenario(
    {
      seed: 5,
      durationDays: 10,
      population: { adults: 50, minors: 50 },
      detection: { metadata: { unconnectedMinors: { minMinors: K, windowHours: W } } },
    },
    'test.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

const s = scenario();
let nextId = 0;

/** A DM from an adult to an unconnected minor, unless overridden. */
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
    ...over,
  };
}

function batch(envelopes: Envelope[], reports: UserReport[] = [], seq = 0, final = false): EnvelopeBatch {
  return { run: 'r', seq, final, envelopes, reports };
}

function run(envelopes: Envelope[]): Detection[] {
  return applyMetadata(s, new Map(), batch(envelopes)).detections;
}

const h = (x: number) => x * HOUR;

describe('applyMetadata: the unconnected-minors rule', () => {
  it('fires when an adult messages K distinct unconnected minors within W hours', () => {
    const third = dm(h(3), 7, 102);
    const ds = run([dm(h(1), 7, 100), dm(h(2), 7, 101), third]);
    // Placed at the message that completed the pattern.
    expect(ds).toEqual([{ route: 'metadata', account: 7, t: h(3), messageId: third.id, evidence: 3 }]);
  });

  it('does not fire with K-1 distinct minors, however many messages', () => {
    const envs: Envelope[] = [];
    for (let i = 0; i < 30; i++) envs.push(dm(h(0.1 * i), 7, 100 + (i % (K - 1))));
    expect(run(envs)).toEqual([]);
  });

  it('does not fire when the K minors are spread over more than the window', () => {
    expect(run([dm(h(0), 7, 100), dm(h(5), 7, 101), dm(h(W) + 1, 7, 102)])).toEqual([]);
    expect(run([dm(h(0), 7, 100), dm(h(W + 1), 7, 101), dm(h(2 * W + 2), 7, 102)])).toEqual([]);
  });

  it('fires when the K minors fall just inside the window', () => {
    const ds = run([dm(h(0), 7, 100), dm(h(5), 7, 101), dm(h(W) - 1, 7, 102)]);
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ account: 7, t: h(W) - 1, evidence: 3 });
  });

  it('ignores minors the adult is connected to', () => {
    expect(run([dm(h(1), 7, 100), dm(h(2), 7, 101, { connected: true }), dm(h(3), 7, 102)])).toEqual([]);
    expect(run([dm(h(1), 7, 100, { connected: true }), dm(h(2), 7, 101, { connected: true }), dm(h(3), 7, 102, { connected: true })])).toEqual([]);
  });

  it('ignores minor senders, adult recipients and public posts', () => {
    expect(run([0, 1, 2, 3].map((i) => dm(h(i), 70, 100 + i, { senderMinor: true })))).toEqual([]);
    expect(run([0, 1, 2, 3].map((i) => dm(h(i), 7, 10 + i, { recipientMinor: false })))).toEqual([]);
    expect(
      run([0, 1, 2, 3].map((i) => dm(h(i), 7, 100 + i, { surface: 'public' }))),
    ).toEqual([]);
  });

  it('ignores the payload side entirely: encrypted and plaintext envelopes count alike', () => {
    const ds = run([dm(h(1), 7, 100, { encrypted: false }), dm(h(2), 7, 101, { encrypted: true }), dm(h(3), 7, 102, { media: 'image' })]);
    expect(ds).toHaveLength(1);
  });

  it('keeps senders apart', () => {
    // Two adults each reach two minors: neither reaches K.
    expect(run([dm(h(1), 7, 100), dm(h(2), 8, 101), dm(h(3), 7, 102), dm(h(4), 8, 103)])).toEqual([]);
  });

  it('fires at most once per window, and again once a window has passed', () => {
    const envs: Envelope[] = [];
    // 8 distinct minors within 4 hours: one detection, at the K-th.
    for (let i = 0; i < 8; i++) envs.push(dm(h(0.5 * i), 7, 100 + i));
    // Still in contact over the next hours: no repeat while less than W since firing.
    for (let i = 0; i < 7; i++) envs.push(dm(h(4 + i), 7, 100 + i)); // up to 9 hours after firing
    // More than W hours after firing, still K minors in the window: fires again.
    envs.push(dm(h(1) + h(W) + 1, 7, 120));
    const ds = run(envs);
    expect(ds.map((d) => [d.t, d.evidence])).toEqual([
      [h(1), 3],
      [h(1) + h(W) + 1, expect.any(Number)],
    ]);
    expect(ds[1]!.evidence).toBeGreaterThanOrEqual(K);
    // Any two detections of the same sender are at least a window apart.
    for (let i = 1; i < ds.length; i++) expect(ds[i]!.t - ds[i - 1]!.t).toBeGreaterThanOrEqual(h(W));
  });

  it('counts distinct minors in the window as evidence', () => {
    const envs = [dm(h(1), 7, 100), dm(h(1.1), 7, 100), dm(h(1.2), 7, 101), dm(h(1.3), 7, 101), dm(h(1.4), 7, 102)];
    expect(run(envs)).toEqual([{ route: 'metadata', account: 7, t: h(1.4), messageId: envs[4]!.id, evidence: 3 }]);
  });

  it('keeps state between batches: the result does not depend on where the stream is cut', () => {
    const rng = Random.derive(3, 'metadata-stream');
    const envs: Envelope[] = [];
    let t = 0;
    for (let i = 0; i < 2000; i++) {
      t += 1 + rng.exponential(h(0.3)); // strictly increasing whole seconds
      envs.push(
        dm(Math.round(t), rng.int(6), 100 + rng.int(40), {
          connected: rng.chance(0.2),
          senderMinor: rng.chance(0.1),
        }),
      );
    }
    const whole = applyMetadata(s, new Map(), batch(envs)).detections;
    expect(whole.length).toBeGreaterThan(5);
    for (const size of [1, 3, 17, 500]) {
      const state: MetadataState = new Map();
      const pieces: Detection[] = [];
      for (let i = 0; i < envs.length; i += size) {
        pieces.push(...applyMetadata(s, state, batch(envs.slice(i, i + size), [], i / size)).detections);
      }
      expect(pieces).toEqual(whole);
    }
    // And every detection is justified: at least K distinct qualifying minors in the W hours before it.
    for (const d of whole) {
      const minors = new Set(
        envs
          .filter((e) => e.sender === d.account && !e.senderMinor && !e.connected && e.t <= d.t && e.t >= d.t - h(W))
          .map((e) => e.recipient),
      );
      expect(minors.size).toBe(d.evidence);
      expect(d.evidence).toBeGreaterThanOrEqual(K);
    }
  });
});

describe('applyMetadata: user reports', () => {
  it('passes each report through as a userReport detection with the content\'s look as evidence', () => {
    const rng = Random.derive(4, 'reports');
    const reports: UserReport[] = [
      { messageId: 11, t: 500.5, reporter: 60, reported: 3, surface: 'dm', content: encodeContent({ media: 'text', look: 0.83 }) },
      {
        messageId: 12,
        t: 600,
        reporter: 61,
        reported: 4,
        surface: 'public',
        content: encodeContent({ media: 'image', hash: randomHash(rng), look: 0.31 }),
      },
    ];
    const r = applyMetadata(s, new Map(), batch([], reports, 3, true));
    expect(r).toEqual({
      run: 'r',
      seq: 3,
      final: true,
      detections: [
        { route: 'userReport', account: 3, t: 500.5, messageId: 11, evidence: quantizeLook(0.83) },
        { route: 'userReport', account: 4, t: 600, messageId: 12, evidence: quantizeLook(0.31) },
      ],
    });
  });

  it('gives an unreadable report zero evidence rather than failing', () => {
    const r = applyMetadata(
      s,
      new Map(),
      batch([], [{ messageId: 1, t: 1, reporter: 60, reported: 3, surface: 'dm', content: Uint8Array.of(7, 7) }]),
    );
    expect(r.detections).toEqual([{ route: 'userReport', account: 3, t: 1, messageId: 1, evidence: 0 }]);
  });

  it('reports do not feed the pattern rule', () => {
    const reports: UserReport[] = [100, 101, 102].map((m, i) => ({
      messageId: i,
      t: h(i),
      reporter: m,
      reported: 7,
      surface: 'dm',
      content: encodeContent({ media: 'text', look: 0.9 }),
    }));
    const r = applyMetadata(s, new Map(), batch([], reports));
    expect(r.detections.every((d) => d.route === 'userReport')).toBe(true);
  });
});

describe('metadataKeys', () => {
  it('lists exactly the senders of qualifying envelopes, ascending and once each', () => {
    const envs = [
      dm(1, 9, 100),
      dm(2, 3, 101),
      dm(3, 9, 102),
      dm(4, 5, 103, { connected: true }),
      dm(5, 6, 104, { senderMinor: true }),
      dm(6, 8, 10, { recipientMinor: false }),
      dm(7, 4, -1, { surface: 'public', recipientMinor: false }),
      dm(8, 12, 105),
    ];
    expect(metadataKeys(batch(envs))).toEqual([3, 9, 12]);
    expect(metadataKeys(batch([]))).toEqual([]);
  });

  it('names every sender whose state applyMetadata touches', () => {
    const rng = Random.derive(6, 'keys');
    const envs = Array.from({ length: 300 }, (_, i) =>
      dm(i, rng.int(20), 100 + rng.int(30), {
        connected: rng.chance(0.3),
        senderMinor: rng.chance(0.3),
        recipientMinor: rng.chance(0.7),
        surface: rng.chance(0.1) ? 'public' : 'dm',
      }),
    );
    const b = batch(envs);
    const state: MetadataState = new Map();
    applyMetadata(s, state, b);
    expect(metadataKeys(b)).toEqual([...state.keys()].sort((x, y) => x - y));
  });
});
