import { describe, expect, it } from 'vitest';
import type { Scenario } from './scenario';
import { testScenario } from './testing';
import { scanBatch, scannerContext, type ScannerContext } from './scanner';
import { bankEntry, matchBank, perturb, platformBank, popularImages, randomHash } from './hash';
import { decodeContent, encodeContent, quantize } from './content';
import { VoucherClient, VoucherServer, decodeShare, encodeVoucher } from './css';
import { Random } from './random';
import type { Envelope, Message, ScanBatch } from './types';

function scenario(over: Record<string, unknown> = {}): Scenario {
  return testScenario(
    {
      seed: 31337,
      durationDays: 1,
      population: { adults: 30, minors: 10 },
      traffic: { popularImages: 50 },
      detection: { hashBank: { size: 300, wronglyListedShare: 0.01 } },
    },
    { detection: over },
  );
}

let nextId = 0;
function envelope(over: Partial<Envelope> = {}): Envelope {
  const id = nextId++;
  return {
    id,
    t: 100 + id,
    surface: 'dm',
    sender: 3,
    recipient: 4,
    media: 'image',
    size: 1000,
    encrypted: false,
    senderMinor: false,
    recipientMinor: false,
    connected: true,
    senderAccountAgeDays: 300,
    ...over,
  };
}

/** An image payload; by default a score no classifier flags, so hash tests see hash matches only. */
function image(hash: Uint8Array, over: { quality?: number; score?: number; look?: number } = {}): Uint8Array {
  return encodeContent({ media: 'image', hash, quality: over.quality ?? 80, score: over.score ?? 0, look: over.look ?? 0.9 });
}

function text(score: number, look = 0.5): Uint8Array {
  return encodeContent({ media: 'text', score, look });
}

function msg(payload: Uint8Array, over: Partial<Envelope> = {}, voucher: Uint8Array | null = null): Message {
  return { envelope: envelope(over), payload, commitment: null, voucher };
}

function batch(messages: Message[], seq = 4, final = false): ScanBatch {
  return { run: 'run-x', seq, final, messages };
}

const zeroCounts = { messages: 0, encrypted: 0, scanned: 0, unscannable: 0, deadLettered: 0, vouchers: 0, vouchersMatched: 0 };

const s = scenario();
const ctx = scannerContext(s);
const rng = Random.derive(1, 'scanner-test');
/**
 * Thresholds that are storable scores, so a score can sit exactly on one: the classifier
 * flags a score equal to its threshold, and not the storable score just below it.
 */
const IMAGE_TH = quantize(0.51);
const TEXT_TH = quantize(0.6);
const exact = scannerContext(scenario({ imageClassifier: { threshold: IMAGE_TH }, textClassifier: { threshold: TEXT_TH } }));
const below = (th: number) => th - 1 / 65535;

describe('scannerContext', () => {
  it('holds the platform bank (genuine entries plus wrongly listed popular images) the seed gives', () => {
    const expected = platformBank(s.seed, 300, 0.01, popularImages(s.seed, 50));
    expect(expected.genuine).toBe(297);
    expect(ctx.bank.size).toBe(300);
    expect(ctx.bank.entries).toEqual(expected.bank.entries);
  });

  it("holds each route's settings, and a route that is off runs on no surface", () => {
    const view = (c: ScannerContext) => c.checks.map(({ route, media, on }) => ({ route, media, on: [...on] }));
    expect(view(ctx)).toEqual([
      { route: 'hashMatch', media: 'image', on: ['dm', 'public', 'profile'] },
      { route: 'imageClassifier', media: 'image', on: ['dm', 'public', 'profile'] },
      { route: 'textClassifier', media: 'text', on: ['dm', 'public', 'profile'] },
    ]);
    expect(ctx.vouchers).toBeNull();
    const other = scannerContext(
      scenario({
        hashMatching: { enabled: false, matchDistance: 10, minQuality: 70 },
        imageClassifier: { surfaces: ['public'], threshold: 0.7 },
        textClassifier: { enabled: false },
        clientSideScanning: { enabled: true },
      }),
    );
    expect(view(other)).toEqual([
      { route: 'hashMatch', media: 'image', on: [] },
      { route: 'imageClassifier', media: 'image', on: ['public'] },
      { route: 'textClassifier', media: 'text', on: [] },
    ]);
    const image = other.checks[1] as ScannerContext['checks'][number];
    const look = { media: 'image' as const, hash: randomHash(rng), quality: 100, look: 0.5 };
    expect(
      image.test([
        { ...look, score: 0.7 },
        { ...look, score: 0.69 },
      ]),
    ).toEqual([true, false]);
    expect(other.vouchers).toBeInstanceOf(VoucherServer);
  });
});

describe('scanBatch: hash matching', () => {
  it('flags a readable image within the match distance of a bank entry, as a hashMatch on the sender', () => {
    for (const bits of [0, 1, 10, 31]) {
      const m = msg(image(perturb(bankEntry(ctx.bank, 42), bits, rng), { look: 0.77 }), { sender: 7 + bits });
      const e = m.envelope;
      const r = scanBatch(ctx, batch([m]));
      expect(r.detections).toEqual([{ route: 'hashMatch', account: e.sender, t: e.t, messageId: e.id, event: e.id, evidence: quantize(0.77), bankEntry: 42 }]);
      expect(r.vouchers).toEqual([]);
      expect(r.counts).toEqual({ ...zeroCounts, messages: 1, scanned: 1 });
    }
  });

  it('does not flag an image beyond the match distance', () => {
    const q = perturb(bankEntry(ctx.bank, 9), 32, rng);
    expect(matchBank(ctx.bank, q, 31)).toBeNull(); // premise: nothing else is near either
    const r = scanBatch(ctx, batch([msg(image(q))]));
    expect(r.detections).toEqual([]);
    expect(r.counts.scanned).toBe(1);
  });

  it('discards hashes below minQuality unmatched, and matches at minQuality', () => {
    const exact = bankEntry(ctx.bank, 5);
    expect(scanBatch(ctx, batch([msg(image(exact, { quality: 49 }))])).detections).toEqual([]);
    expect(scanBatch(ctx, batch([msg(image(exact, { quality: 0 }))])).detections).toEqual([]);
    expect(scanBatch(ctx, batch([msg(image(exact, { quality: 50 }))])).detections.map((d) => d.route)).toEqual(['hashMatch']);
  });

  it('matches a copy of a wrongly listed popular image: the bank, not the truth, decides', () => {
    const wrong = bankEntry(ctx.bank, 299);
    const popular = popularImages(s.seed, 50);
    const source = Array.from({ length: 50 }, (_, i) => bankEntry(popular, i)).find((p) => Buffer.from(p).equals(Buffer.from(wrong)));
    expect(source).toBeDefined();
    const r = scanBatch(ctx, batch([msg(image(perturb(source as Uint8Array, 6, rng), { look: 0.05 }))]));
    expect(r.detections).toMatchObject([{ route: 'hashMatch', evidence: quantize(0.05) }]);
  });

  it('runs only on the surfaces it is enabled for, and not at all when off', () => {
    const only = scannerContext(scenario({ hashMatching: { surfaces: ['public', 'profile'] } }));
    const exact = image(bankEntry(ctx.bank, 1));
    const messages = [
      msg(exact, { surface: 'dm' }),
      msg(exact, { surface: 'public', recipient: -1, connected: false }),
      msg(exact, { surface: 'profile', recipient: -1, connected: false }),
    ];
    expect(scanBatch(only, batch(messages)).detections.map((d) => d.messageId)).toEqual([messages[1]!.envelope.id, messages[2]!.envelope.id]);
    expect(scanBatch(ctx, batch(messages)).detections).toHaveLength(3);
    const off = scannerContext(scenario({ hashMatching: { enabled: false } }));
    const r = scanBatch(off, batch(messages));
    expect(r.detections).toEqual([]);
    // Off means not matched, not unreadable.
    expect(r.counts).toEqual({ ...zeroCounts, messages: 3, scanned: 3 });
  });

  it('does not flag random images or text', () => {
    const messages: Message[] = [];
    for (let i = 0; i < 300; i++) messages.push(msg(image(randomHash(rng), { look: 0.99 })));
    for (let i = 0; i < 50; i++) messages.push(msg(text(0.1, 1), { media: 'text' }));
    const r = scanBatch(ctx, batch(messages));
    expect(r.detections).toEqual([]);
    expect(r.counts).toEqual({ ...zeroCounts, messages: 350, scanned: 350 });
  });
});

describe('scanBatch: classifiers', () => {
  it('flags an image scoring at least the threshold, not one just below', () => {
    const hi = msg(image(randomHash(rng), { score: IMAGE_TH, look: 0.3 }));
    const lo = msg(image(randomHash(rng), { score: below(IMAGE_TH) }));
    const top = msg(image(randomHash(rng), { score: 1 }));
    expect(decodeContent(hi.payload)).toMatchObject({ score: IMAGE_TH });
    const r = scanBatch(exact, batch([hi, lo, top]));
    expect(r.detections).toEqual([
      { route: 'imageClassifier', account: 3, t: hi.envelope.t, messageId: hi.envelope.id, event: hi.envelope.id, evidence: quantize(0.3) },
      expect.objectContaining({ route: 'imageClassifier', messageId: top.envelope.id }),
    ]);
  });

  it('flags a text scoring at least the threshold, not one just below; text is never hashed or image-scored', () => {
    const hi = msg(text(TEXT_TH, 0.66), { media: 'text', sender: 12 });
    const lo = msg(text(below(TEXT_TH)), { media: 'text' });
    const between = msg(text(IMAGE_TH), { media: 'text' });
    const r = scanBatch(exact, batch([hi, lo, between]));
    expect(r.detections).toEqual([
      { route: 'textClassifier', account: 12, t: hi.envelope.t, messageId: hi.envelope.id, event: hi.envelope.id, evidence: quantize(0.66) },
    ]);
  });

  it("uses each classifier's own threshold", () => {
    const c = scannerContext(scenario({ imageClassifier: { threshold: 0.9 }, textClassifier: { threshold: 0.2 } }));
    const r = scanBatch(c, batch([msg(image(randomHash(rng), { score: 0.85 })), msg(text(0.25), { media: 'text' })]));
    expect(r.detections.map((d) => d.route)).toEqual(['textClassifier']);
  });

  it('flags an image both as a hash match and by the classifier, hash match first', () => {
    const m = msg(image(bankEntry(ctx.bank, 3), { score: 0.95 }));
    const r = scanBatch(ctx, batch([m]));
    expect(r.detections.map((d) => [d.route, d.messageId, d.event])).toEqual([
      ['hashMatch', m.envelope.id, m.envelope.id],
      ['imageClassifier', m.envelope.id, m.envelope.id],
    ]);
  });

  it('runs each classifier only on its surfaces, and not at all when off', () => {
    const c = scannerContext(scenario({ imageClassifier: { surfaces: ['profile'] }, textClassifier: { surfaces: ['dm'] } }));
    const pub = { surface: 'public' as const, recipient: -1, connected: false };
    const messages = [
      msg(image(randomHash(rng), { score: 1 }), { surface: 'dm' }),
      msg(image(randomHash(rng), { score: 1 }), pub),
      msg(image(randomHash(rng), { score: 1 }), { ...pub, surface: 'profile' }),
      msg(text(1), { media: 'text', ...pub }),
      msg(text(1), { media: 'text' }),
    ];
    expect(scanBatch(c, batch(messages)).detections.map((d) => [d.route, d.messageId])).toEqual([
      ['imageClassifier', messages[2]!.envelope.id],
      ['textClassifier', messages[4]!.envelope.id],
    ]);
    const off = scannerContext(scenario({ imageClassifier: { enabled: false }, textClassifier: { enabled: false } }));
    expect(scanBatch(off, batch(messages)).detections).toEqual([]);
  });
});

describe('scanBatch: what it cannot read', () => {
  it('counts encrypted messages as unscannable and never matches or scores them, even if the bytes would', () => {
    // A payload flagged encrypted is not read at all, whatever its bytes.
    const exact = image(bankEntry(ctx.bank, 0), { score: 1 });
    const messages: Message[] = [
      msg(exact, { encrypted: true }),
      msg(rng.fill(new Uint8Array(12 + 45 + 16)), { encrypted: true }),
      msg(text(1), { encrypted: true, media: 'text' }),
      msg(exact, { encrypted: true, surface: 'public', recipient: -1, connected: false }),
    ];
    const r = scanBatch(ctx, batch(messages));
    expect(r.detections).toEqual([]);
    expect(r.counts).toEqual({ ...zeroCounts, messages: 4, encrypted: 4, unscannable: 4 });
  });

  it('counts an undecodable plaintext payload as unscannable rather than failing', () => {
    const r = scanBatch(ctx, batch([msg(Uint8Array.of(9, 9, 9))]));
    expect(r.detections).toEqual([]);
    expect(r.counts).toEqual({ ...zeroCounts, messages: 1, unscannable: 1 });
  });

  it('reads a readable payload that carries the franking key after the content', () => {
    const content = image(bankEntry(ctx.bank, 8));
    const payload = new Uint8Array(content.length + 32);
    payload.set(content, 0);
    payload.set(rng.fill(new Uint8Array(32)), content.length);
    expect(scanBatch(ctx, batch([msg(payload)])).detections.map((d) => d.route)).toEqual(['hashMatch']);
  });

  it('handles a mixed batch: counts add up and only the bank copies are flagged', () => {
    const messages: Message[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 200; i++) {
      const kind = rng.int(4);
      if (kind === 0) {
        const m = msg(image(perturb(bankEntry(ctx.bank, rng.int(ctx.bank.size)), rng.int(20), rng)), { sender: 100 + i });
        messages.push(m);
        expected.push(m.envelope.id);
      } else if (kind === 1) {
        messages.push(msg(image(bankEntry(ctx.bank, 1)), { encrypted: true }));
      } else if (kind === 2) {
        messages.push(msg(text(0.2), { media: 'text' }));
      } else {
        messages.push(msg(image(randomHash(rng))));
      }
    }
    const r = scanBatch(ctx, batch(messages, 9, true));
    expect(r.run).toBe('run-x');
    expect(r.seq).toBe(9);
    expect(r.final).toBe(true);
    expect(r.detections.map((d) => d.messageId)).toEqual(expected);
    for (const d of r.detections) {
      expect(d.event).toBe(d.messageId);
      expect(d.account).toBe(100 + messages.findIndex((m) => m.envelope.id === d.messageId));
    }
    const c = r.counts;
    expect(c.messages).toBe(200);
    expect(c.scanned + c.unscannable).toBe(c.messages);
    expect(c.encrypted).toBe(messages.filter((m) => m.envelope.encrypted).length);
    expect(c.unscannable).toBe(c.encrypted);
    expect(c.deadLettered).toBe(0);
  });

  it('passes run, seq and final through for an empty batch', () => {
    expect(scanBatch(ctx, batch([], 0, true))).toEqual({
      run: 'run-x',
      seq: 0,
      final: true,
      detections: [],
      vouchers: [],
      counts: zeroCounts,
    });
  });
});

describe('scanBatch: client-side scanning vouchers', () => {
  const css = scannerContext(scenario({ clientSideScanning: { enabled: true, threshold: 3 } }));
  const client = new VoucherClient(3);
  const evidence = image(randomHash(rng), { look: 0.8 });

  it('learns the share of a matching voucher, even on an encrypted message, and nothing from a synthetic one', () => {
    const entry = bankEntry(css.bank, 17);
    const real = msg(rng.fill(new Uint8Array(80)), { encrypted: true, sender: 21 }, encodeVoucher(client.voucherFor(21, entry, evidence)));
    const synthetic = msg(rng.fill(new Uint8Array(80)), { encrypted: true, sender: 21 }, encodeVoucher(client.voucherFor(21, null, evidence)));
    const r = scanBatch(css, batch([real, synthetic]));
    expect(r.detections).toEqual([]);
    expect(r.vouchers).toHaveLength(1);
    const v = r.vouchers[0]!;
    expect(v).toMatchObject({ account: 21, t: real.envelope.t, messageId: real.envelope.id, event: real.envelope.id });
    // The first matching voucher of an account carries the share at x = 1.
    expect(decodeShare(v.share).x).toBe(1n);
    expect(v.inner.length).toBeGreaterThan(evidence.length);
    expect(r.counts).toEqual({ ...zeroCounts, messages: 2, encrypted: 2, unscannable: 2, vouchers: 2, vouchersMatched: 1 });
  });

  it('counts a malformed voucher without matching it or failing', () => {
    const r = scanBatch(css, batch([msg(text(0), { media: 'text' }, Uint8Array.of(1, 2, 3)), msg(text(0), { media: 'text' }, new Uint8Array(200))]));
    expect(r.vouchers).toEqual([]);
    expect(r.counts.vouchers).toBe(2);
    expect(r.counts.vouchersMatched).toBe(0);
  });

  it('ignores vouchers when client-side scanning is off', () => {
    const voucher = encodeVoucher(client.voucherFor(22, bankEntry(ctx.bank, 17), evidence));
    const r = scanBatch(ctx, batch([msg(rng.fill(new Uint8Array(80)), { encrypted: true }, voucher)]));
    expect(r.vouchers).toEqual([]);
    expect(r.counts.vouchers).toBe(0);
  });

  it('scans a readable image with a voucher by both paths', () => {
    const entry = bankEntry(css.bank, 30);
    const m = msg(image(entry), { sender: 23 }, encodeVoucher(client.voucherFor(23, entry, image(entry))));
    const r = scanBatch(css, batch([m]));
    expect(r.detections.map((d) => d.route)).toEqual(['hashMatch']);
    expect(r.vouchers.map((v) => v.messageId)).toEqual([m.envelope.id]);
  });
});
