/**
 * The byte encoding of readable content. This is what a client encrypts and what the
 * scanner decodes when a payload is readable. Layout:
 *   image: 0x01, 32-byte perceptual hash, uint8 quality (0..100), uint16 score, uint16 look
 *   text:  0x02, uint16 score, uint16 look
 * Scores are stored as round(x × 65535). A payload may carry the 32-byte franking key
 * after the content; decoding ignores it.
 */
import type { Content } from './types';
import { HASH_BYTES } from './hash';

export const IMAGE_BYTES = 1 + HASH_BYTES + 1 + 2 + 2;
export const TEXT_BYTES = 1 + 2 + 2;
export const FRANKING_SUFFIX_BYTES = 32;

export class ContentError extends Error {
  override name = 'ContentError';
}

function u16(x: number): number {
  return Math.round(Math.min(1, Math.max(0, x)) * 65535);
}

export function encodeContent(content: Content): Uint8Array {
  if (content.media === 'image') {
    const out = new Uint8Array(IMAGE_BYTES);
    out[0] = 1;
    out.set(content.hash, 1);
    let o = 1 + HASH_BYTES;
    out[o++] = Math.max(0, Math.min(100, Math.round(content.quality)));
    const s = u16(content.score);
    const l = u16(content.look);
    out[o++] = s >> 8;
    out[o++] = s & 0xff;
    out[o++] = l >> 8;
    out[o] = l & 0xff;
    return out;
  }
  const out = new Uint8Array(TEXT_BYTES);
  const s = u16(content.score);
  const l = u16(content.look);
  out[0] = 2;
  out[1] = s >> 8;
  out[2] = s & 0xff;
  out[3] = l >> 8;
  out[4] = l & 0xff;
  return out;
}

const read16 = (b: Uint8Array, o: number) => (((b[o] as number) << 8) | (b[o + 1] as number)) / 65535;

/** Decodes content; bytes after it (a franking key) are ignored. */
export function decodeContent(bytes: Uint8Array): Content {
  const kind = bytes[0];
  if (kind === 1 && (bytes.length === IMAGE_BYTES || bytes.length === IMAGE_BYTES + FRANKING_SUFFIX_BYTES)) {
    const o = 1 + HASH_BYTES;
    const quality = bytes[o] as number;
    if (quality > 100) throw new ContentError(`image quality ${quality} is out of range`);
    return { media: 'image', hash: bytes.subarray(1, 1 + HASH_BYTES), quality, score: read16(bytes, o + 1), look: read16(bytes, o + 3) };
  }
  if (kind === 2 && (bytes.length === TEXT_BYTES || bytes.length === TEXT_BYTES + FRANKING_SUFFIX_BYTES)) {
    return { media: 'text', score: read16(bytes, 1), look: read16(bytes, 3) };
  }
  throw new ContentError(`unreadable content: ${bytes.length} bytes starting with ${kind ?? 'nothing'}`);
}

/** Length of the content at the start of `bytes` (without a franking suffix). */
export function contentLength(bytes: Uint8Array): number {
  return bytes[0] === 1 ? IMAGE_BYTES : TEXT_BYTES;
}

/** A score as stored (quantized), so every stage sees the same number. */
export function quantize(x: number): number {
  return u16(x) / 65535;
}
