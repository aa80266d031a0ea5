import { createDecipheriv, createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { native } from '@blindspot/native';
import { decodeMessages, encodeMessages } from '../codec';
import { commit, frankingKeyFor } from '../franking';
import type { Envelope, Message } from '../types';
import { CLIENT_SECRET_BYTES, NONCE_BYTES, Sealer, TAG_BYTES, defaultSealKernel, type Unsealed } from './clients';

const BUILD = new URL('../../../native/build', import.meta.url);
const ADDON = new URL('../../../native/build/Release/blindspot_native.node', import.meta.url);

const ENVELOPE: Envelope = {
  id: 0,
  t: 10,
  surface: 'dm',
  sender: 1,
  recipient: 2,
  media: 'text',
  size: 0,
  encrypted: false,
  senderMinor: false,
  recipientMinor: false,
  connected: true,
  senderAccountAgeDays: 100,
};

const secretArb = fc.uint8Array({ minLength: CLIENT_SECRET_BYTES, maxLength: CLIENT_SECRET_BYTES });
const MAX_COUNTER = 2 ** 48 - 1;

/** One message before sealing, its id given as a gap after the previous one (0: the same id again). */
const draft = fc.record({
  gap: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 5_000 })),
  plain: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ maxLength: 300 })),
  encrypted: fc.boolean(),
  conversation: fc.oneof(fc.integer({ min: -40, max: 40 }), fc.maxSafeInteger()),
  nonce: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.bigInt({ min: 0n, max: BigInt(MAX_COUNTER) }).map(Number)),
  voucher: fc.option(fc.uint8Array({ maxLength: 24 }), { nil: null }),
});

/** A batch: ids increasing with gaps from a first id (small or near 2^53), sometimes shuffled out of order. */
const batchArb = fc
  .record({
    first: fc.oneof(fc.nat({ max: 1_000 }), fc.integer({ min: 0, max: 2 ** 53 - 1 - 400_000 })),
    drafts: fc.array(draft, { maxLength: 60 }),
    shuffle: fc.option(fc.nat(), { freq: 4, nil: null }),
  })
  .map(({ first, drafts, shuffle }) => {
    let id = first;
    const batch: Unsealed[] = drafts.map((d, i) => {
      if (i > 0) id += d.gap;
      return {
        envelope: { ...ENVELOPE, id, encrypted: d.encrypted, size: d.plain.length },
        plain: d.plain,
        conversation: d.encrypted ? d.conversation : 0,
        nonce: d.encrypted ? d.nonce : 0,
        voucher: d.voucher,
      };
    });
    if (shuffle !== null && batch.length > 1) {
      // A rotation and a swap: out of order, so the JavaScript twin's batch keys cannot serve every id.
      const k = shuffle % batch.length;
      batch.push(...batch.splice(0, k));
      [batch[0], batch[batch.length - 1]] = [batch[batch.length - 1] as Unsealed, batch[0] as Unsealed];
    }
    return batch;
  });

/** Bytes of a sealed batch, plain arrays throughout, so toEqual compares contents and nothing else. */
const bytesOf = (ms: readonly Message[]) =>
  ms.map((m) => ({ id: m.envelope.id, payload: [...m.payload], commitment: m.commitment && [...m.commitment], voucher: m.voucher && [...m.voucher] }));

/** The sealing pool's wire form of a batch: decoded from the codec, so every plaintext is a view into one buffer. */
function wireForm(batch: readonly Unsealed[]): { messages: Message[]; places: Float64Array } {
  const places = new Float64Array(2 * batch.length);
  batch.forEach((u, i) => {
    places[2 * i] = u.conversation;
    places[2 * i + 1] = u.nonce;
  });
  const messages = decodeMessages(encodeMessages(batch.map((u) => ({ envelope: u.envelope, payload: u.plain, commitment: null, voucher: u.voucher }))));
  return { messages, places };
}

describe('the native sealing kernel', () => {
  it('is loaded wherever this checkout built it (a silent fallback to JavaScript cannot pass as native)', () => {
    if (existsSync(BUILD) && process.env.BLINDSPOT_NATIVE !== '0') {
      expect(native, `packages/native/build exists but ${ADDON.pathname} did not load: rebuild it with pnpm -C packages/native run install`).not.toBeNull();
      expect(typeof native?.sealBatch).toBe('function');
      expect(defaultSealKernel).toBe('native');
      expect(new Sealer(new Uint8Array(CLIENT_SECRET_BYTES), true).kernel).toBe('native');
    } else {
      expect(native).toBeNull();
      expect(defaultSealKernel).toBe('js');
      expect(() => new Sealer(new Uint8Array(CLIENT_SECRET_BYTES), true, { kernel: 'native' })).toThrow(/not built/);
    }
  });

  it('seals byte for byte what the JavaScript twin seals, on random batches', () => {
    if (!native) {
      expect(() => new Sealer(new Uint8Array(CLIENT_SECRET_BYTES), true, { kernel: 'native' })).toThrow(/not built/);
      return;
    }
    fc.assert(
      fc.property(secretArb, fc.boolean(), fc.constantFrom(1, 2, 16, undefined), batchArb, (secret, frank, cacheSlots, batch) => {
        const js = new Sealer(secret, frank, { kernel: 'js' }).sealAll(batch);
        const nat = new Sealer(secret, frank, { kernel: 'native', cacheSlots });
        const sealed = nat.sealAll(batch);
        expect(bytesOf(sealed)).toEqual(bytesOf(js));
        sealed.forEach((m, i) => {
          expect(m.envelope).toBe((batch[i] as Unsealed).envelope);
          expect(m.voucher).toBe((batch[i] as Unsealed).voucher);
        });
        // The pool's form, plaintexts in one buffer with gaps between them, and the same
        // sealer again (its cache now warm or evicted): still the same bytes.
        const { messages, places } = wireForm(batch);
        expect(bytesOf(nat.sealPlain(messages, places))).toEqual(bytesOf(js));
        expect(bytesOf(new Sealer(secret, frank, { kernel: 'js' }).sealPlain(messages, places))).toEqual(bytesOf(js));
      }),
      { numRuns: 300 },
    );
  });

  it('seals what node:crypto opens: AES-256-GCM under the conversation key, the committing franking key inside', () => {
    const kernel = native ? 'native' : 'js';
    const secret = new Uint8Array(CLIENT_SECRET_BYTES).map((_, i) => i * 7);
    const conversationsSecret = createHmac('sha256', secret).update('conversations').digest();
    const frankingSecret = createHmac('sha256', secret).update('franking').digest();
    const text = new TextEncoder().encode('hello, reader');
    const batch: Unsealed[] = [
      { envelope: { ...ENVELOPE, id: 41, encrypted: true }, plain: text, conversation: -7, nonce: 2 ** 40 + 3, voucher: null },
      { envelope: { ...ENVELOPE, id: 45, encrypted: false }, plain: text, conversation: 0, nonce: 0, voucher: null },
    ];
    const [a, b] = new Sealer(secret, true, { kernel }).sealAll(batch) as [Message, Message];
    const nonce = a.payload.subarray(0, NONCE_BYTES);
    expect([...nonce]).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 3]);
    const decipher = createDecipheriv('aes-256-gcm', createHmac('sha256', conversationsSecret).update('-7').digest(), nonce);
    decipher.setAuthTag(a.payload.subarray(a.payload.length - TAG_BYTES));
    const body = Buffer.concat([decipher.update(a.payload.subarray(NONCE_BYTES, a.payload.length - TAG_BYTES)), decipher.final()]);
    const key = frankingKeyFor(frankingSecret, 41);
    expect([...body]).toEqual([...text, ...key]);
    expect([...(a.commitment as Uint8Array)]).toEqual([...commit(key, text)]);
    expect([...b.payload]).toEqual([...text, ...frankingKeyFor(frankingSecret, 45)]);
    expect([...(b.commitment as Uint8Array)]).toEqual([...commit(frankingKeyFor(frankingSecret, 45), text)]);
  });

  it('gives the same bytes in worker threads, several at once, as on the main thread', async () => {
    if (!native) {
      expect(existsSync(ADDON) && process.env.BLINDSPOT_NATIVE !== '0').toBe(false);
      return;
    }
    const n = 300;
    const plain = new Uint8Array(64 * n).map((_, i) => (i * 31) & 255);
    const spans = new Uint32Array(2 * n).map((_, i) => 64 * Math.ceil(i / 2));
    const encrypted = new Uint8Array(n).map((_, i) => i % 3);
    const places = new Float64Array(2 * n).map((_, i) => (i % 2 ? Math.floor(i / 2) + 1 : i % 50));
    const ids = new Float64Array(n).map((_, i) => 1_000 + 2 * i);
    const secrets = [new Uint8Array(32).fill(3), new Uint8Array(32).fill(4)];
    const here = native.sealBatch(native.sealerNew(secrets[0] as Uint8Array, secrets[1] as Uint8Array, true, 8), plain, spans, encrypted, places, ids);
    const code = `
      const { parentPort, workerData: w } = require('node:worker_threads');
      const k = require(w.addon);
      const sealer = k.sealerNew(w.secrets[0], w.secrets[1], true, 8);
      let last;
      for (let r = 0; r < 20; r++) last = k.sealBatch(sealer, w.plain, w.spans, w.encrypted, w.places, w.ids);
      parentPort.postMessage({ payloads: last.payloads, commitments: last.commitments, offsets: last.offsets });`;
    const run = () =>
      new Promise<{ payloads: Uint8Array; commitments: Uint8Array; offsets: Uint32Array }>((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { addon: ADDON.pathname, secrets, plain, spans, encrypted, places, ids } });
        w.once('message', (m) => {
          resolve(m);
          void w.terminate();
        });
        w.once('error', reject);
      });
    const theirs = await Promise.all([run(), run(), run()]);
    for (const t of theirs) {
      expect(Buffer.from(t.payloads).equals(Buffer.from(here.payloads))).toBe(true);
      expect(Buffer.from(t.commitments).equals(Buffer.from(here.commitments as Uint8Array))).toBe(true);
      expect([...t.offsets]).toEqual([...here.offsets]);
    }
  });
});

describe('sealing refuses what it cannot seal, alike in both kernels', () => {
  const secret = new Uint8Array(CLIENT_SECRET_BYTES).fill(9);
  const kernels = native ? (['js', 'native'] as const) : (['js'] as const);
  const one = (over: Partial<Unsealed> & { id?: number; encrypted?: boolean }): Unsealed[] => [
    {
      envelope: { ...ENVELOPE, id: over.id ?? 5, encrypted: over.encrypted ?? true },
      plain: new Uint8Array(5),
      conversation: over.conversation ?? 3,
      nonce: over.nonce ?? 1,
      voucher: null,
    },
  ];
  const bad: [string, Unsealed[], RegExp][] = [
    ['a fractional conversation', one({ conversation: 1.5 }), /conversation 1.5 is not an integer/],
    ['a conversation past 2^53', one({ conversation: 2 ** 53 }), /is not an integer/],
    ['a NaN conversation', one({ conversation: Number.NaN }), /conversation NaN is not an integer/],
    ['a negative nonce', one({ nonce: -1 }), /nonce counter -1 is not an integer in \[0, 2\^48\)/],
    ['a nonce past 48 bits', one({ nonce: 2 ** 48 }), /nonce counter .* is not an integer in \[0, 2\^48\)/],
    ['a fractional nonce', one({ nonce: 2.5 }), /nonce counter 2.5/],
    ['a negative id', one({ id: -1 }), /id -1 is not a non-negative integer/],
    ['a fractional id', one({ id: 7.25 }), /id 7.25 is not a non-negative integer/],
  ];
  for (const kernel of kernels) {
    for (const [what, batch, message] of bad) {
      it(`${kernel}: ${what}`, () => {
        expect(() => new Sealer(secret, true, { kernel }).sealAll(batch)).toThrow(RangeError);
        expect(() => new Sealer(secret, true, { kernel }).sealAll(batch)).toThrow(message);
      });
    }
    it(`${kernel}: reads no conversation or nonce of a message that is not encrypted, and no id without franking`, () => {
      const loose = one({ encrypted: false, conversation: Number.NaN, nonce: -3, id: -2 });
      expect(new Sealer(secret, false, { kernel }).sealAll(loose)[0]?.payload).toEqual(new Uint8Array(5));
      const looseId = one({ encrypted: true, id: 0.5 });
      expect(new Sealer(secret, false, { kernel }).sealAll(looseId)[0]?.payload.length).toBe(5 + NONCE_BYTES + TAG_BYTES);
    });
    it(`${kernel}: places of the wrong length`, () => {
      const { messages } = wireForm(one({}));
      expect(() => new Sealer(secret, true, { kernel }).sealPlain(messages, new Float64Array(3))).toThrow(RangeError);
    });
  }
});

describe('the native kernel checks its arguments', () => {
  // Every case throws; none may crash the process or write out of bounds.
  const k = native;
  const valid = () => {
    const n = 3;
    return {
      plain: new Uint8Array(40),
      spans: new Uint32Array([0, 10, 10, 10, 12, 40]),
      encrypted: new Uint8Array([1, 0, 1]),
      places: new Float64Array([4, 1, 0, 0, -9, 2]),
      ids: new Float64Array([7, 8, 20]),
      n,
    };
  };

  it('takes a valid batch (the baseline the cases below break)', () => {
    if (!k) {
      expect(native).toBeNull();
      return;
    }
    const v = valid();
    const out = k.sealBatch(k.sealerNew(new Uint8Array(32), new Uint8Array(32), true), v.plain, v.spans, v.encrypted, v.places, v.ids);
    expect([...out.offsets]).toEqual([0, 10 + 32 + 28, 10 + 32 + 28 + 32, 10 + 32 + 28 + 32 + 28 + 28 + 32]);
    expect(out.payloads.length).toBe(out.offsets[3]);
    expect(out.commitments?.length).toBe(3 * 32);
    expect(k.sealerStats(k.sealerNew(new Uint8Array(32), new Uint8Array(32), true, 100)).slots).toBe(128);
  });

  it('throws TypeError or RangeError on malformed arguments', () => {
    if (!k) {
      expect(native).toBeNull();
      return;
    }
    const sealer = k.sealerNew(new Uint8Array(32), new Uint8Array(32), true);
    const call = (over: { [K in 'sealer' | 'plain' | 'spans' | 'encrypted' | 'places' | 'ids']?: unknown }) => {
      const v = { ...valid(), ...over };
      return () => (k.sealBatch as (...args: unknown[]) => unknown)('sealer' in over ? over.sealer : sealer, v.plain, v.spans, v.encrypted, v.places, v.ids);
    };
    const sealers: unknown[] = [{}, null, 3, 'x', new Uint8Array(8), () => {}];
    for (const s of sealers) expect(call({ sealer: s }), `sealer ${String(s)}`).toThrow(TypeError);
    expect(call({ plain: [1, 2, 3] })).toThrow(TypeError);
    expect(call({ spans: new Uint16Array(6) })).toThrow(TypeError);
    expect(call({ encrypted: new Int8Array(3) })).toThrow(TypeError);
    expect(call({ places: new Float32Array(6) })).toThrow(TypeError);
    expect(call({ ids: [7, 8, 20] })).toThrow(TypeError);
    expect(call({ spans: new Uint32Array([0, 10, 10, 10]) })).toThrow(RangeError);
    expect(call({ places: new Float64Array(5) })).toThrow(RangeError);
    expect(call({ ids: new Float64Array(4) })).toThrow(RangeError);
    expect(call({ spans: new Uint32Array([0, 10, 10, 10, 12, 41]) })).toThrow(/not within plain/);
    expect(call({ spans: new Uint32Array([0, 10, 11, 10, 12, 40]) })).toThrow(/not within plain/);
    expect(call({ spans: new Uint32Array([0, 10, 10, 10, 0xffffffff, 0xffffffff]) })).toThrow(RangeError);
    expect(call({ ids: new Float64Array([7, Number.POSITIVE_INFINITY, 20]) })).toThrow(RangeError);
    expect(call({ places: new Float64Array([Number.NaN, 1, 0, 0, -9, 2]) })).toThrow(RangeError);
    expect(call({ places: new Float64Array([4, 1, 0, 0, -9, Number.NaN]) })).toThrow(RangeError);
    expect(() => (k.sealBatch as (...args: unknown[]) => unknown)(sealer)).toThrow(TypeError);
    // One MiB named five thousand times over would be a sealed batch past 4 GiB: refused before anything is allocated.
    const many = 5_000;
    const mib = new Uint32Array(2 * many).map((_, i) => (i % 2 ? 1 << 20 : 0));
    expect(() => k.sealBatch(sealer, new Uint8Array(1 << 20), mib, new Uint8Array(many), new Float64Array(2 * many), new Float64Array(many))).toThrow(
      /exceed 4 GiB/,
    );

    const newSealer = k.sealerNew as (...args: unknown[]) => unknown;
    expect(() => newSealer(new Uint8Array(31), new Uint8Array(32), true)).toThrow(RangeError);
    expect(() => newSealer(new Uint8Array(32), new Uint8Array(33), true)).toThrow(RangeError);
    expect(() => newSealer(new Uint8Array(32), 'secret', true)).toThrow(TypeError);
    expect(() => newSealer(new Uint8Array(32), new Uint8Array(32), 'yes')).toThrow(TypeError);
    expect(() => newSealer(new Uint8Array(32), new Uint8Array(32), true, 0)).toThrow(RangeError);
    expect(() => newSealer(new Uint8Array(32), new Uint8Array(32), true, 16_385)).toThrow(RangeError);
    expect(() => newSealer(new Uint8Array(32), new Uint8Array(32), true, 2.5)).toThrow(RangeError);
    expect(() => newSealer(new Uint8Array(32), new Uint8Array(32), true, '8')).toThrow(TypeError);
    expect(() => newSealer(new Uint8Array(32))).toThrow(TypeError);
    expect(() => (k.sealerStats as (...args: unknown[]) => unknown)({})).toThrow(TypeError);
  });

  it('never crashes on random spans, flags and places: it seals them or throws RangeError', () => {
    if (!k) {
      expect(native).toBeNull();
      return;
    }
    const sealer = k.sealerNew(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), true, 4);
    const u32 = fc.oneof(fc.nat({ max: 80 }), fc.constant(0xffffffff), fc.nat({ max: 0xffffffff }));
    const f64 = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double(), fc.constant(2 ** 48));
    fc.assert(
      fc.property(fc.nat({ max: 64 }), fc.array(fc.tuple(u32, u32, fc.nat({ max: 255 }), f64, f64, f64), { maxLength: 12 }), (plainLength, rows) => {
        const spans = new Uint32Array(rows.flatMap((r) => [r[0], r[1]]));
        const encrypted = new Uint8Array(rows.map((r) => r[2]));
        const places = new Float64Array(rows.flatMap((r) => [r[3], r[4]]));
        const ids = new Float64Array(rows.map((r) => r[5]));
        try {
          const out = k.sealBatch(sealer, new Uint8Array(plainLength), spans, encrypted, places, ids);
          rows.forEach(([s, e, enc], i) => {
            expect((out.offsets[i + 1] as number) - (out.offsets[i] as number)).toBe(e - s + 32 + (enc ? 28 : 0));
          });
        } catch (err) {
          expect(err).toBeInstanceOf(RangeError);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
