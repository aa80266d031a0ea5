/**
 * Message franking: how a recipient can report an end-to-end encrypted message to the
 * platform in a way the platform can check, without the platform reading any message
 * that is not reported. This is the scheme Facebook deployed for Messenger's "secret
 * conversations" (2016), as analysed by Grubbs, Lu & Ristenpart ("Message Franking via
 * Committing Authenticated Encryption", CRYPTO 2017):
 *
 *   1. The sender's client picks a fresh franking key per message and commits to the
 *      plaintext: commitment = HMAC-SHA256(frankingKey, plaintext). The franking key
 *      travels to the recipient inside the encrypted payload; the commitment travels in
 *      the clear beside the ciphertext.
 *   2. At delivery the platform, which sees only the commitment and the envelope,
 *      countersigns: tag = HMAC-SHA256(platformKey, commitment ‖ meta), binding the
 *      commitment to who sent it to whom, when, under which message id.
 *   3. A report reveals plaintext, franking key, commitment, tag and meta. The platform
 *      checks its own tag (so the commitment really was delivered from that sender, in
 *      that message) and then the commitment (so the plaintext is what was committed to).
 *
 * A recipient therefore cannot attribute to a sender content the sender never sent:
 * a self-made commitment carries no platform tag, and a real tag does not transfer to
 * other meta. HMAC-SHA256 is a commitment here because it is collision resistant in
 * the key-and-message pair, which is what binding needs (the sender cannot later
 * open the commitment to different plaintext).
 *
 * Verification never throws on malformed input: a report comes from a user, and a
 * report that does not check out is an answer ('bad-tag' / 'bad-commitment'), not an
 * error.
 */
import { createCipheriv, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { UserReport } from './types';

export const FRANKING_KEY_BYTES = 32;
export const COMMITMENT_BYTES = 32;
/** Length of the platform's countersignature (not AES-GCM's TAG_BYTES). */
export const FRANKING_TAG_BYTES = 32;
const PLATFORM_KEY_BYTES = 32;

/** Bytes of the canonical meta encoding: four big-endian float64s. */
const META_BYTES = 32;

export class FrankingError extends Error {
  override name = 'FrankingError';
}

/** What the platform binds a commitment to at delivery. `recipient` is -1 for public posts. */
export interface FrankingMeta {
  messageId: number;
  sender: number;
  recipient: number;
  t: number;
}

/** What a reporting recipient reveals to the platform. */
export interface FrankingReport extends FrankingMeta {
  plaintext: Uint8Array;
  frankingKey: Uint8Array;
  commitment: Uint8Array;
  tag: Uint8Array;
}

export type ReportVerdict = 'valid' | 'bad-commitment' | 'bad-tag';

/** A user report's franking material, in the shape verifyReport takes. */
export function frankingOf(r: UserReport): FrankingReport {
  return {
    messageId: r.messageId,
    sender: r.reported,
    recipient: r.recipient,
    t: r.sentAt,
    plaintext: r.content,
    frankingKey: r.frankingKey,
    commitment: r.commitment,
    tag: r.tag,
  };
}

/**
 * HMAC-SHA256 (RFC 2104) over the concatenated parts, built from two one-shot SHA-256
 * calls: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)). node:crypto's one-shot `hash` skips the
 * per-call Hmac object, which is most of the cost on the short inputs franking signs;
 * this is byte-for-byte node's createHmac (a test checks). Long-lived keys (a client's
 * secret, the platform's key) keep their padded blocks, keyed by the key's array so a
 * dropped key is dropped here too.
 */
const BLOCK = 64;
interface Pads {
  inner: Uint8Array;
  outer: Uint8Array;
}
const prepared = new WeakMap<Uint8Array, Pads>();

function padsOf(key: Uint8Array): Pads {
  const k = key.length > BLOCK ? new Uint8Array(hash('sha256', key, 'buffer')) : key;
  const inner = new Uint8Array(BLOCK);
  const outer = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK; i++) {
    const byte = i < k.length ? (k[i] as number) : 0;
    inner[i] = byte ^ 0x36;
    outer[i] = byte ^ 0x5c;
  }
  return { inner, outer };
}

function longLived(key: Uint8Array): Pads {
  let pads = prepared.get(key);
  if (!pads) {
    pads = padsOf(key);
    prepared.set(key, pads);
  }
  return pads;
}

function hmac(key: Uint8Array | Pads, ...parts: Uint8Array[]): Uint8Array {
  const { inner, outer } = key instanceof Uint8Array ? padsOf(key) : key;
  return hmacWith(inner, outer, parts);
}

function hmacWith(inner: Uint8Array, outer: Uint8Array, parts: Uint8Array[]): Uint8Array {
  let length = BLOCK;
  for (const part of parts) length += part.length;
  const first = new Uint8Array(length);
  first.set(inner, 0);
  let at = BLOCK;
  for (const part of parts) {
    first.set(part, at);
    at += part.length;
  }
  const second = new Uint8Array(BLOCK + 32);
  second.set(outer, 0);
  second.set(hash('sha256', first, 'buffer'), BLOCK);
  return new Uint8Array(hash('sha256', second, 'buffer'));
}

/** Equal length and equal bytes, in constant time for equal lengths; never throws. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function float64BE(view: DataView, offset: number, value: number): void {
  // -0 becomes 0: JSON (how reports travel) cannot carry -0, so the two must sign alike.
  view.setFloat64(offset, value === 0 ? 0 : value, false);
}

/**
 * The canonical encoding of meta: messageId, sender, recipient, t as big-endian float64,
 * fixed width so no two metas share an encoding (every JS number, negative ids included,
 * is exactly representable).
 */
export function encodeFrankingMeta(meta: FrankingMeta): Uint8Array {
  const out = new Uint8Array(META_BYTES);
  const view = new DataView(out.buffer);
  float64BE(view, 0, meta.messageId);
  float64BE(view, 8, meta.sender);
  float64BE(view, 16, meta.recipient);
  float64BE(view, 24, meta.t);
  return out;
}

/** A fresh random franking key (for clients that do not derive one with frankingKeyFor). */
export function newFrankingKey(): Uint8Array {
  return new Uint8Array(randomBytes(FRANKING_KEY_BYTES));
}

/** A fresh platform countersigning key. */
export function newPlatformKey(): Uint8Array {
  return new Uint8Array(randomBytes(PLATFORM_KEY_BYTES));
}

/** Zero bytes to run AES-CTR over; grown as needed and never written. */
let zeros = new Uint8Array(0);

/**
 * The franking keys of messages firstId, firstId+1, … (count of them), derived from a
 * secret only the client holds: the AES-256-CTR keystream under that secret, 32 bytes
 * per message starting at counter block 2·id. A PRF of the id, so distinct per message
 * and unknowable to the server; and one cipher call for a whole batch's keys, where a
 * MAC per message would cost more than the encryption itself.
 */
export function frankingKeysFor(clientSecret: Uint8Array, firstId: number, count: number): Uint8Array {
  if (!Number.isSafeInteger(firstId) || firstId < 0) throw new RangeError(`message id ${firstId} is not a non-negative integer`);
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count ${count} is not a non-negative integer`);
  if (clientSecret.length !== FRANKING_KEY_BYTES) throw new RangeError(`franking secret must be ${FRANKING_KEY_BYTES} bytes`);
  const bytes = count * FRANKING_KEY_BYTES;
  if (zeros.length < bytes) zeros = new Uint8Array(Math.max(bytes, 2 * zeros.length));
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(firstId) * 2n, 8);
  const cipher = createCipheriv('aes-256-ctr', clientSecret, iv);
  return new Uint8Array(cipher.update(zeros.subarray(0, bytes)));
}

/** The franking key of one message: frankingKeysFor(clientSecret, messageId, 1). */
export function frankingKeyFor(clientSecret: Uint8Array, messageId: number): Uint8Array {
  return frankingKeysFor(clientSecret, messageId, 1);
}

/** The sender's commitment to `plaintext`: HMAC-SHA256(frankingKey, plaintext). */
export function commit(frankingKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (frankingKey.length !== FRANKING_KEY_BYTES) {
    throw new FrankingError(`franking key must be ${FRANKING_KEY_BYTES} bytes, got ${frankingKey.length}`);
  }
  return hmac(frankingKey, plaintext);
}

/**
 * The platform's countersignature at delivery:
 * HMAC-SHA256(platformKey, commitment ‖ encodeFrankingMeta(meta)). The platform only
 * signs well-formed commitments, so a commitment of the wrong length is an error here.
 */
export function countersign(platformKey: Uint8Array, commitment: Uint8Array, meta: FrankingMeta): Uint8Array {
  if (commitment.length !== COMMITMENT_BYTES) {
    throw new FrankingError(`commitment must be ${COMMITMENT_BYTES} bytes, got ${commitment.length}`);
  }
  return hmac(longLived(platformKey), commitment, encodeFrankingMeta(meta));
}

/**
 * Checks a report: first the platform's tag over (commitment, meta) — anything the
 * platform did not countersign exactly so is 'bad-tag' — then the commitment over the
 * revealed plaintext under the revealed franking key ('bad-commitment'). Inputs of the
 * wrong length fail the corresponding check; nothing throws.
 */
export function verifyReport(platformKey: Uint8Array, report: FrankingReport): ReportVerdict {
  const { commitment, tag, frankingKey, plaintext } = report;
  if (!(commitment instanceof Uint8Array) || commitment.length !== COMMITMENT_BYTES) return 'bad-tag';
  if (!(tag instanceof Uint8Array) || tag.length !== FRANKING_TAG_BYTES) return 'bad-tag';
  for (const field of [report.messageId, report.sender, report.recipient, report.t]) {
    if (typeof field !== 'number') return 'bad-tag';
  }
  if (!sameBytes(hmac(longLived(platformKey), commitment, encodeFrankingMeta(report)), tag)) return 'bad-tag';
  if (!(frankingKey instanceof Uint8Array) || frankingKey.length !== FRANKING_KEY_BYTES) return 'bad-commitment';
  if (!(plaintext instanceof Uint8Array)) return 'bad-commitment';
  return sameBytes(hmac(frankingKey, plaintext), commitment) ? 'valid' : 'bad-commitment';
}
