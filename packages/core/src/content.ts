/**
 * The byte encoding of readable content. This is what a client encrypts and what the
 * scanner decodes when a payload is readable. Layout:
 *   image: 0x01, 32-byte perceptual hash, uint16 look score (score × 65535)
 *   text:  0x02, uint16 look score
 */
import type { Content } from './types';
import { HASH_BYTES } from './hash';

export const IMAGE_BYTES = 1 + HASH_BYTES + 2;
export const TEXT_BYTES = 1 + 2;

export class ContentError extends Error {
  override name = 'ContentError';
}

function scoreToU16(look: number): number {
  return Math.round(Math.min(1, Math.max(0, look)) * 65535);
}

export function encodeContent(content: Content): Uint8Array {
  if (content.media === 'image') {
    const out = new Uint8Array(IMAGE_BYTES);
    out[0] = 1;
    out.set(content.hash, 1);
    const s = scoreToU16(content.look);
    out[1 + HASH_BYTES] = s >> 8;
    out[2 + HASH_BYTES] = s & 0xff;
    return out;
  }
  const out = new Uint8Array(TEXT_BYTES);
  const s = scoreToU16(content.look);
  out[0] = 2;
  out[1] = s >> 8;
  out[2] = s & 0xff;
  return out;
}

export function decodeContent(bytes: Uint8Array): Content {
  if (bytes[0] === 1 && bytes.length === IMAGE_BYTES) {
    const look = (((bytes[1 + HASH_BYTES] as number) << 8) | (bytes[2 + HASH_BYTES] as number)) / 65535;
    return { media: 'image', hash: bytes.subarray(1, 1 + HASH_BYTES), look };
  }
  if (bytes[0] === 2 && bytes.length === TEXT_BYTES) {
    return { media: 'text', look: (((bytes[1] as number) << 8) | (bytes[2] as number)) / 65535 };
  }
  throw new ContentError(`unreadable content: ${bytes.length} bytes starting with ${bytes[0] ?? 'nothing'}`);
}

/** The look score as stored (quantized), so every stage sees the same number. */
export function quantizeLook(look: number): number {
  return scoreToU16(look) / 65535;
}
