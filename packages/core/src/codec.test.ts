import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, decodeEnvelopes, decodeMessages, encodeEnvelopes, encodeMessages } from './codec';
import type { Envelope, Message } from './types';

const envelope: fc.Arbitrary<Envelope> = fc.record({
  id: fc.maxSafeNat(),
  t: fc.double({ min: 0, max: 1e9, noNaN: true }),
  surface: fc.constantFrom('dm' as const, 'public' as const, 'profile' as const),
  sender: fc.nat({ max: 0xffffffff }),
  recipient: fc.integer({ min: -1, max: 0x7fffffff }),
  media: fc.constantFrom('image' as const, 'text' as const),
  size: fc.nat({ max: 0xffffffff }),
  encrypted: fc.boolean(),
  senderMinor: fc.boolean(),
  recipientMinor: fc.boolean(),
  connected: fc.boolean(),
  senderAccountAgeDays: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
});

const bytes = fc.uint8Array({ maxLength: 120 });
const message: fc.Arbitrary<Message> = fc.record({
  envelope,
  payload: bytes,
  commitment: fc.option(bytes, { nil: null }),
  voucher: fc.option(bytes, { nil: null }),
});

/** Plain arrays, so toEqual compares bytes and not the views' offsets into a shared buffer. */
const plain = (ms: Message[]) =>
  ms.map((m) => ({ ...m, payload: [...m.payload], commitment: m.commitment && [...m.commitment], voucher: m.voucher && [...m.voucher] }));

describe('binary batch codec', () => {
  it('decodes exactly what it encoded (messages)', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 40 }), (ms) => {
        expect(plain(decodeMessages(encodeMessages(ms)))).toEqual(plain(ms));
      }),
      { numRuns: 300 },
    );
  });

  it('decodes exactly what it encoded (envelopes); -0 and fractions survive', () => {
    fc.assert(
      fc.property(fc.array(envelope, { maxLength: 60 }), (es) => {
        expect(decodeEnvelopes(encodeEnvelopes(es))).toEqual(es);
      }),
      { numRuns: 300 },
    );
  });

  it('never decodes past the end or throws anything but CodecError on mutated input', () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 8 }),
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (ms, flips, cut) => {
          const good = encodeMessages(ms);
          const bad = new Uint8Array(good);
          for (const { at, value } of flips) bad[at % bad.length] = value;
          for (const input of [bad, good.subarray(0, cut % good.length)]) {
            try {
              const out = decodeMessages(input);
              // A mutation may still be valid input: then it is a complete, in-range batch.
              for (const m of out) {
                expect(m.envelope.t).toBeGreaterThanOrEqual(0);
                expect(Number.isSafeInteger(m.envelope.id)).toBe(true);
                expect(['dm', 'public', 'profile']).toContain(m.envelope.surface);
              }
            } catch (err) {
              expect(err).toBeInstanceOf(CodecError);
            }
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('names the record and field that is wrong', () => {
    const ms: Message[] = [
      {
        envelope: {
          id: 1,
          t: 2,
          surface: 'dm',
          sender: 3,
          recipient: 4,
          media: 'image',
          size: 5,
          encrypted: true,
          senderMinor: false,
          recipientMinor: true,
          connected: false,
          senderAccountAgeDays: 10,
        },
        payload: new Uint8Array([1, 2, 3]),
        commitment: null,
        voucher: null,
      },
    ];
    const good = encodeMessages(ms);
    expect(() => decodeMessages(good.subarray(0, good.length - 2))).toThrow(/record 0, voucher: needs 4 bytes/);
    const negative = new Uint8Array(good);
    new DataView(negative.buffer).setFloat64(8 + 8, -1, true);
    expect(() => decodeMessages(negative)).toThrow(/record 0, t: -1 is not a time/);
    const surface = new Uint8Array(good);
    surface[8 + 36] = 3;
    expect(() => decodeMessages(surface)).toThrow(/record 0, flags: surface code 3/);
    expect(() => decodeMessages(new Uint8Array([...good, 0]))).toThrow(/1 bytes after the last record/);
    expect(() => decodeEnvelopes(good)).toThrow(/header, magic: not a batch of envelopes/);
    const huge = new Uint8Array(good);
    new DataView(huge.buffer).setUint32(4, 0xfffffff0, true);
    expect(() => decodeMessages(huge)).toThrow(/count: .* more than any batch holds/);
  });

  it('refuses to encode what its fields cannot hold', () => {
    const e: Envelope = {
      id: 1,
      t: 0,
      surface: 'public',
      sender: 2 ** 32,
      recipient: -1,
      media: 'text',
      size: 1,
      encrypted: false,
      senderMinor: false,
      recipientMinor: false,
      connected: false,
      senderAccountAgeDays: 0,
    };
    expect(() => encodeEnvelopes([e])).toThrow(CodecError);
  });
});
