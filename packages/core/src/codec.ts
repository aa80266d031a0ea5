/**
 * A compact binary layout for the bulk of what travels between stages: envelopes, and
 * messages (envelope plus payload, commitment and voucher). Encoding a batch of a
 * thousand messages as JSON with base64 bytes, and checking every field with a schema,
 * cost more CPU than the stages' own work; this layout is written and read with plain
 * DataView calls, its byte fields are decoded as views into the one buffer (no copy),
 * and it is one string (base64) in a job or one transferable buffer between threads.
 *
 * Decoding is a parser of untrusted bytes: every length is checked against what is
 * left, every enumerated value against its set, every number against its range, and a
 * failure throws CodecError saying which record and field are wrong. Nothing is
 * decoded past the end, and trailing bytes are refused.
 *
 * Layout (little endian):
 *   header   magic "BSM1" or "BSE1" (messages / envelopes only), u32 count
 *   envelope f64 id, f64 t, f64 senderAccountAgeDays, u32 sender, i32 recipient,
 *            u32 size, u8 flags
 *            flags: bits 0-1 surface (its index in SURFACES: 0 dm, 1 public, 2 profile), bit 2 media is text,
 *            bit 3 encrypted, bit 4 senderMinor, bit 5 recipientMinor, bit 6 connected
 *   message  envelope, then u32 payload length, payload, and for commitment and
 *            voucher a u32 length (0xFFFFFFFF for none) and the bytes
 */
import type { Envelope, Message } from './types';
import { SURFACES, type Surface } from './vocabulary';

export class CodecError extends Error {
  override name = 'CodecError';
}

const MAGIC_MESSAGES = 0x314d5342; // "BSM1"
const MAGIC_ENVELOPES = 0x31455342; // "BSE1"
const HEADER_BYTES = 8;
const ENVELOPE_BYTES = 8 + 8 + 8 + 4 + 4 + 4 + 1;
const NONE = 0xffffffff;
/** A surface's code is its index in SURFACES; two bits of the flags hold it. */
const SURFACE_BITS = 2;
if (SURFACES.length > 2 ** SURFACE_BITS) throw new Error(`codec: ${SURFACES.length} surfaces do not fit the envelope's ${SURFACE_BITS} surface bits`);
const SURFACE_OF = Object.fromEntries(SURFACES.map((s, i) => [s, i])) as Record<Surface, number>;
/** Largest count a header may claim: one record per byte of a 2 GiB buffer is already absurd. */
const MAX_COUNT = 1 << 28;

class Writer {
  private buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(64, capacity));
    this.view = new DataView(this.buf.buffer);
  }

  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.view.setUint8(this.pos, v);
    this.pos += 1;
  }
  u32(v: number): void {
    if (v >>> 0 !== v) throw new CodecError(`${v} does not fit an unsigned 32-bit field`);
    this.room(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }
  i32(v: number): void {
    if ((v | 0) !== v) throw new CodecError(`${v} does not fit a signed 32-bit field`);
    this.room(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }
  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  optionalBytes(b: Uint8Array | null): void {
    if (b === null) this.u32(NONE);
    else this.bytes(b);
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

class Reader {
  private readonly view: DataView;
  pos = 0;
  record = -1;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(field: string, why: string): never {
    const where = this.record < 0 ? 'header' : `record ${this.record}`;
    throw new CodecError(`${where}, ${field}: ${why}`);
  }
  need(n: number, field: string): void {
    if (this.pos + n > this.buf.length) this.fail(field, `needs ${n} bytes, ${this.buf.length - this.pos} left`);
  }
  u8(field: string): number {
    this.need(1, field);
    return this.view.getUint8(this.pos++);
  }
  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(field: string): number {
    this.need(4, field);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(field: string): number {
    this.need(8, field);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  bytes(field: string, length = this.u32(field)): Uint8Array {
    this.need(length, field);
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
  optionalBytes(field: string): Uint8Array | null {
    const length = this.u32(field);
    return length === NONE ? null : this.bytes(field, length);
  }
  end(): void {
    if (this.pos !== this.buf.length) throw new CodecError(`${this.buf.length - this.pos} bytes after the last record`);
  }
}

const checkU32 = (v: number) => {
  if (v >>> 0 !== v) throw new CodecError(`${v} does not fit an unsigned 32-bit field`);
};

/** An envelope's fields, checked first and then written in one stretch (the writer's per-field calls cost more than the writes). */
function writeEnvelope(w: Writer, e: Envelope): void {
  checkU32(e.sender);
  if ((e.recipient | 0) !== e.recipient) throw new CodecError(`${e.recipient} does not fit a signed 32-bit field`);
  checkU32(e.size);
  w.room(ENVELOPE_BYTES);
  const { view, pos } = w;
  view.setFloat64(pos, e.id, true);
  view.setFloat64(pos + 8, e.t, true);
  view.setFloat64(pos + 16, e.senderAccountAgeDays, true);
  view.setUint32(pos + 24, e.sender, true);
  view.setInt32(pos + 28, e.recipient, true);
  view.setUint32(pos + 32, e.size, true);
  view.setUint8(
    pos + 36,
    SURFACE_OF[e.surface] |
      (e.media === 'text' ? 4 : 0) |
      (e.encrypted ? 8 : 0) |
      (e.senderMinor ? 16 : 0) |
      (e.recipientMinor ? 32 : 0) |
      (e.connected ? 64 : 0),
  );
  w.pos = pos + ENVELOPE_BYTES;
}

const isCount = (v: number) => Number.isSafeInteger(v) && v >= 0;

function readEnvelope(r: Reader): Envelope {
  const id = r.f64('id');
  if (!isCount(id)) r.fail('id', `${id} is not a non-negative integer`);
  const t = r.f64('t');
  if (!(t >= 0 && Number.isFinite(t))) r.fail('t', `${t} is not a time (finite, ≥ 0)`);
  const senderAccountAgeDays = r.f64('senderAccountAgeDays');
  if (!Number.isFinite(senderAccountAgeDays)) r.fail('senderAccountAgeDays', `${senderAccountAgeDays} is not finite`);
  const sender = r.u32('sender');
  const recipient = r.i32('recipient');
  if (recipient < -1) r.fail('recipient', `${recipient} is neither an account nor -1`);
  const size = r.u32('size');
  const flags = r.u8('flags');
  const surface = SURFACES[flags & 3];
  if (surface === undefined) r.fail('flags', `surface code ${flags & 3} is not a surface`);
  if (flags & 128) r.fail('flags', 'bit 7 is set');
  return {
    id,
    t,
    surface,
    sender,
    recipient,
    media: flags & 4 ? 'text' : 'image',
    size,
    encrypted: (flags & 8) !== 0,
    senderMinor: (flags & 16) !== 0,
    recipientMinor: (flags & 32) !== 0,
    connected: (flags & 64) !== 0,
    senderAccountAgeDays,
  };
}

function readHeader(r: Reader, magic: number, what: string): number {
  if (r.u32('magic') !== magic) r.fail('magic', `not a batch of ${what}`);
  const count = r.u32('count');
  if (count > MAX_COUNT) r.fail('count', `${count} records is more than any batch holds`);
  return count;
}

/** The messages of a batch as one buffer. */
export function encodeMessages(messages: readonly Message[]): Uint8Array {
  let bytes = HEADER_BYTES;
  for (const m of messages) bytes += ENVELOPE_BYTES + 12 + m.payload.length + (m.commitment?.length ?? 0) + (m.voucher?.length ?? 0);
  const w = new Writer(bytes);
  w.u32(MAGIC_MESSAGES);
  w.u32(messages.length);
  for (const m of messages) {
    writeEnvelope(w, m.envelope);
    w.bytes(m.payload);
    w.optionalBytes(m.commitment);
    w.optionalBytes(m.voucher);
  }
  return w.done();
}

/** Decodes encodeMessages' output; byte fields are views into `buf`. Throws CodecError when malformed. */
export function decodeMessages(buf: Uint8Array): Message[] {
  const r = new Reader(buf);
  const count = readHeader(r, MAGIC_MESSAGES, 'messages');
  const out: Message[] = [];
  for (let i = 0; i < count; i++) {
    r.record = i;
    const envelope = readEnvelope(r);
    out.push({ envelope, payload: r.bytes('payload'), commitment: r.optionalBytes('commitment'), voucher: r.optionalBytes('voucher') });
  }
  r.record = -1;
  r.end();
  return out;
}

/** Envelopes alone (what the metadata detector receives) as one buffer. */
export function encodeEnvelopes(envelopes: readonly Envelope[]): Uint8Array {
  const w = new Writer(HEADER_BYTES + envelopes.length * ENVELOPE_BYTES);
  w.u32(MAGIC_ENVELOPES);
  w.u32(envelopes.length);
  for (const e of envelopes) writeEnvelope(w, e);
  return w.done();
}

/** Decodes encodeEnvelopes' output. Throws CodecError when malformed. */
export function decodeEnvelopes(buf: Uint8Array): Envelope[] {
  const r = new Reader(buf);
  const count = readHeader(r, MAGIC_ENVELOPES, 'envelopes');
  const out: Envelope[] = [];
  for (let i = 0; i < count; i++) {
    r.record = i;
    out.push(readEnvelope(r));
  }
  r.record = -1;
  r.end();
  return out;
}
