import { describe, expect, it } from 'vitest';
import { validateScenario, type Scenario } from './scenario';
import { scanBatch, scannerContext } from './scanner';
import { bankEntry, buildBank, matchBank, perturb, randomHash } from './hash';
import { encodeContent, quantizeLook } from './content';
import { Random } from './random';
import type { Envelope, Message, ScanBatch } from './types';

function scenario(): Scenario {
  const r = validateScenario(
    { seed: 31337, durationDays: 1, population: { adults: 30, minors: 10 }, detection: { hashBank: { size: 300 }, matchDistance: 31 } },
    'test.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

let nextId = 0;
function envelope(over: Partial<Envelope> = {}): Envelope {
  return {
    id: nextId++,
    t: 100 + nextId,
    surface: 'dm',
    sender: 3,
    recipient: 4,
    media: 'image',
    size: 1000,
    encrypted: false,
    senderMinor: false,
    recipientMinor: false,
    connected: true,
    ...over,
  };
}

function image(hash: Uint8Array, look = 0.9): Uint8Array {
  return encodeContent({ media: 'image', hash, look });
}

function batch(messages: Message[], seq = 4, final = false): ScanBatch {
  return { run: 'run-x', seq, final, messages };
}

const s = scenario();
const ctx = scannerContext(s);
const rng = Random.derive(1, 'scanner-test');

describe('scannerContext', () => {
  it('holds the same bank the world derives from the seed, and the threshold', () => {
    expect(ctx.bank.entries).toEqual(buildBank(s.seed, s.detection.hashBank.size).entries);
    expect(ctx.matchDistance).toBe(31);
  });
});

describe('scanBatch', () => {
  it('flags a plaintext image within the threshold of a bank entry, as a hashMatch on the sender', () => {
    for (const bits of [0, 1, 10, 31]) {
      const e = envelope({ sender: 7 + bits });
      const r = scanBatch(ctx, batch([{ envelope: e, payload: image(perturb(bankEntry(ctx.bank, 42), bits, rng), 0.77) }]));
      expect(r.detections).toEqual([
        { route: 'hashMatch', account: e.sender, t: e.t, messageId: e.id, evidence: quantizeLook(0.77) },
      ]);
      expect(r.counts).toEqual({ messages: 1, encrypted: 0, scanned: 1, unscannable: 0, deadLettered: 0 });
    }
  });

  it('does not flag an image beyond the threshold', () => {
    const q = perturb(bankEntry(ctx.bank, 9), 32, rng);
    expect(matchBank(ctx.bank, q, 31)).toBeNull(); // premise: nothing else is near either
    const r = scanBatch(ctx, batch([{ envelope: envelope(), payload: image(q) }]));
    expect(r.detections).toEqual([]);
    expect(r.counts.scanned).toBe(1);
  });

  it('does not flag random images or text', () => {
    const messages: Message[] = [];
    for (let i = 0; i < 300; i++) messages.push({ envelope: envelope(), payload: image(randomHash(rng), 0.99) });
    for (let i = 0; i < 50; i++) {
      messages.push({ envelope: envelope({ media: 'text' }), payload: encodeContent({ media: 'text', look: 1 }) });
    }
    const r = scanBatch(ctx, batch(messages));
    expect(r.detections).toEqual([]);
    expect(r.counts).toEqual({ messages: 350, encrypted: 0, scanned: 350, unscannable: 0, deadLettered: 0 });
  });

  it('counts encrypted messages as unscannable and never matches them, even if the bytes would match', () => {
    // A payload flagged encrypted is not read at all, whatever its bytes.
    const exact = image(bankEntry(ctx.bank, 0));
    const messages: Message[] = [
      { envelope: envelope({ encrypted: true }), payload: exact },
      { envelope: envelope({ encrypted: true }), payload: rng.fill(new Uint8Array(12 + 35 + 16)) },
      { envelope: envelope({ encrypted: true, surface: 'public', recipient: -1, connected: false }), payload: exact },
    ];
    const r = scanBatch(ctx, batch(messages));
    expect(r.detections).toEqual([]);
    expect(r.counts).toEqual({ messages: 3, encrypted: 3, scanned: 0, unscannable: 3, deadLettered: 0 });
  });

  it('counts an undecodable plaintext payload as unscannable rather than failing', () => {
    const r = scanBatch(ctx, batch([{ envelope: envelope(), payload: Uint8Array.of(9, 9, 9) }]));
    expect(r.detections).toEqual([]);
    expect(r.counts).toEqual({ messages: 1, encrypted: 0, scanned: 0, unscannable: 1, deadLettered: 0 });
  });

  it('handles a mixed batch: counts add up and only the bank copies are flagged', () => {
    const messages: Message[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 200; i++) {
      const kind = rng.int(4);
      if (kind === 0) {
        const e = envelope({ sender: 100 + i });
        messages.push({ envelope: e, payload: image(perturb(bankEntry(ctx.bank, rng.int(ctx.bank.size)), rng.int(20), rng)) });
        expected.push(e.id);
      } else if (kind === 1) {
        messages.push({ envelope: envelope({ encrypted: true }), payload: image(bankEntry(ctx.bank, 1)) });
      } else if (kind === 2) {
        messages.push({ envelope: envelope({ media: 'text' }), payload: encodeContent({ media: 'text', look: 0.5 }) });
      } else {
        messages.push({ envelope: envelope(), payload: image(randomHash(rng)) });
      }
    }
    const r = scanBatch(ctx, batch(messages, 9, true));
    expect(r.run).toBe('run-x');
    expect(r.seq).toBe(9);
    expect(r.final).toBe(true);
    expect(r.detections.map((d) => d.messageId)).toEqual(expected);
    for (const d of r.detections) expect(d.account).toBe(100 + messages.findIndex((m) => m.envelope.id === d.messageId));
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
      counts: { messages: 0, encrypted: 0, scanned: 0, unscannable: 0, deadLettered: 0 },
    });
  });
});
