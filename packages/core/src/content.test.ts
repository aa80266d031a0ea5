import { describe, expect, it } from 'vitest';
import { ContentError, IMAGE_BYTES, TEXT_BYTES, decodeContent, encodeContent, quantizeLook } from './content';
import { HASH_BYTES, randomHash } from './hash';
import { Random } from './random';

describe('encodeContent / decodeContent', () => {
  it('round-trips images: same hash, quantized look', () => {
    const rng = Random.derive(1, 'content');
    for (let i = 0; i < 200; i++) {
      const hash = randomHash(rng);
      const look = rng.next();
      const bytes = encodeContent({ media: 'image', hash, look });
      expect(bytes.length).toBe(IMAGE_BYTES);
      expect(bytes[0]).toBe(1);
      const back = decodeContent(bytes);
      expect(back.media).toBe('image');
      if (back.media !== 'image') throw new Error('unreachable');
      expect(Array.from(back.hash)).toEqual(Array.from(hash));
      expect(back.hash.length).toBe(HASH_BYTES);
      expect(back.look).toBe(quantizeLook(look));
      expect(Math.abs(back.look - look)).toBeLessThanOrEqual(0.5 / 65535 + 1e-12);
    }
  });

  it('round-trips text', () => {
    for (const look of [0, 1, 0.5, 0.123456, 0.999999]) {
      const bytes = encodeContent({ media: 'text', look });
      expect(bytes.length).toBe(TEXT_BYTES);
      expect(bytes[0]).toBe(2);
      expect(decodeContent(bytes)).toEqual({ media: 'text', look: quantizeLook(look) });
    }
  });

  it('an already quantized look survives exactly, and the encoding is stable', () => {
    const look = quantizeLook(0.8123);
    expect(quantizeLook(look)).toBe(look);
    const bytes = encodeContent({ media: 'text', look });
    expect(decodeContent(bytes).look).toBe(look);
    expect(encodeContent(decodeContent(bytes))).toEqual(bytes);
  });

  it('clips look scores to 0..1', () => {
    expect(decodeContent(encodeContent({ media: 'text', look: 1.7 })).look).toBe(1);
    expect(decodeContent(encodeContent({ media: 'text', look: -0.3 })).look).toBe(0);
  });

  it('throws ContentError on garbage', () => {
    const rng = Random.derive(2, 'garbage');
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.of(0),
      Uint8Array.of(3, 0, 0),
      Uint8Array.of(2, 0), // text tag, too short
      Uint8Array.of(2, 0, 0, 0), // text tag, too long
      Uint8Array.of(1, ...new Array<number>(10).fill(0)), // image tag, too short
      new Uint8Array(IMAGE_BYTES + 1).fill(1), // image tag, too long
      new Uint8Array(IMAGE_BYTES).fill(2), // text tag, image length
      rng.fill(new Uint8Array(63)),
    ];
    for (const bytes of bad) {
      expect(() => decodeContent(bytes)).toThrow(ContentError);
    }
  });

  it('ContentError is an Error with its own name', () => {
    try {
      decodeContent(new Uint8Array(5));
      expect.unreachable('decodeContent should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(Error);
      expect(err).toBeInstanceOf(ContentError);
      expect((err as Error).name).toBe('ContentError');
    }
  });
});
