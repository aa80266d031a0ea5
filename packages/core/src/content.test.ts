import { describe, expect, it } from 'vitest';
import { ContentError, FRANKING_SUFFIX_BYTES, IMAGE_BYTES, TEXT_BYTES, contentLength, decodeContent, encodeContent, quantize } from './content';
import { HASH_BYTES, randomHash } from './hash';
import { Random } from './random';

describe('encodeContent / decodeContent', () => {
  it('lays content out as documented: tag, hash, quality, score, look', () => {
    expect(IMAGE_BYTES).toBe(1 + HASH_BYTES + 1 + 2 + 2);
    expect(TEXT_BYTES).toBe(1 + 2 + 2);
    expect(FRANKING_SUFFIX_BYTES).toBe(32);
    const hash = Uint8Array.from({ length: HASH_BYTES }, (_, i) => i);
    const bytes = encodeContent({ media: 'image', hash, quality: 77, score: 1, look: 0 });
    expect(bytes[0]).toBe(1);
    expect(Array.from(bytes.subarray(1, 1 + HASH_BYTES))).toEqual(Array.from(hash));
    expect(bytes[1 + HASH_BYTES]).toBe(77);
    // Scores are big-endian round(x × 65535).
    expect(Array.from(bytes.subarray(2 + HASH_BYTES))).toEqual([0xff, 0xff, 0, 0]);
    expect(Array.from(encodeContent({ media: 'text', score: 0.5, look: 1 }))).toEqual([2, 0x80, 0x00, 0xff, 0xff]);
  });

  it('round-trips images: same hash and quality, quantized score and look', () => {
    const rng = Random.derive(1, 'content');
    for (let i = 0; i < 200; i++) {
      const hash = randomHash(rng);
      const quality = rng.int(101);
      const score = rng.next();
      const look = rng.next();
      const bytes = encodeContent({ media: 'image', hash, quality, score, look });
      expect(bytes.length).toBe(IMAGE_BYTES);
      expect(bytes[0]).toBe(1);
      const back = decodeContent(bytes);
      if (back.media !== 'image') throw new Error('expected an image');
      expect(Array.from(back.hash)).toEqual(Array.from(hash));
      expect(back.hash.length).toBe(HASH_BYTES);
      expect(back.quality).toBe(quality);
      expect(back.score).toBe(quantize(score));
      expect(back.look).toBe(quantize(look));
      expect(Math.abs(back.score - score)).toBeLessThanOrEqual(0.5 / 65535 + 1e-12);
      expect(Math.abs(back.look - look)).toBeLessThanOrEqual(0.5 / 65535 + 1e-12);
    }
  });

  it('round-trips text, keeping score and look apart', () => {
    for (const [score, look] of [
      [0, 1],
      [1, 0],
      [0.5, 0.25],
      [0.123456, 0.999999],
    ] as const) {
      const bytes = encodeContent({ media: 'text', score, look });
      expect(bytes.length).toBe(TEXT_BYTES);
      expect(bytes[0]).toBe(2);
      expect(decodeContent(bytes)).toEqual({ media: 'text', score: quantize(score), look: quantize(look) });
    }
  });

  it('already quantized values survive exactly, and the encoding is stable', () => {
    const score = quantize(0.51);
    const look = quantize(0.8123);
    expect(quantize(score)).toBe(score);
    expect(quantize(look)).toBe(look);
    const text = encodeContent({ media: 'text', score, look });
    expect(decodeContent(text)).toEqual({ media: 'text', score, look });
    expect(encodeContent(decodeContent(text))).toEqual(text);
    const image = encodeContent({ media: 'image', hash: randomHash(Random.derive(3, 'h')), quality: 50, score, look });
    expect(encodeContent(decodeContent(image))).toEqual(image);
  });

  it('quantize rounds to the nearest 1/65535 and clips to 0..1', () => {
    expect(quantize(0)).toBe(0);
    expect(quantize(1)).toBe(1);
    expect(quantize(-0.3)).toBe(0);
    expect(quantize(1.7)).toBe(1);
    expect(quantize(0.51)).toBe(Math.round(0.51 * 65535) / 65535);
    expect(quantize(0.5 / 65535 - 1e-9)).toBe(0);
    expect(quantize(0.5 / 65535 + 1e-9)).toBe(1 / 65535);
  });

  it('clips scores and looks to 0..1 and quality to 0..100 (rounded)', () => {
    expect(decodeContent(encodeContent({ media: 'text', score: 1.7, look: -0.3 }))).toEqual({ media: 'text', score: 1, look: 0 });
    const hash = new Uint8Array(HASH_BYTES);
    const q = (quality: number) => {
      const c = decodeContent(encodeContent({ media: 'image', hash, quality, score: -1, look: 2 }));
      if (c.media !== 'image') throw new Error('expected an image');
      expect(c.score).toBe(0);
      expect(c.look).toBe(1);
      return c.quality;
    };
    expect(q(150)).toBe(100);
    expect(q(-5)).toBe(0);
    expect(q(49.6)).toBe(50);
    expect(q(49.4)).toBe(49);
  });

  it('ignores a 32-byte franking key after the content', () => {
    const rng = Random.derive(4, 'suffix');
    const key = rng.fill(new Uint8Array(FRANKING_SUFFIX_BYTES));
    for (const content of [
      encodeContent({ media: 'image', hash: randomHash(rng), quality: 64, score: 0.3, look: 0.7 }),
      encodeContent({ media: 'text', score: 0.9, look: 0.1 }),
    ]) {
      const withKey = new Uint8Array(content.length + key.length);
      withKey.set(content, 0);
      withKey.set(key, content.length);
      expect(decodeContent(withKey)).toEqual(decodeContent(content));
      expect(contentLength(withKey)).toBe(content.length);
      expect(contentLength(content)).toBe(content.length);
    }
  });

  it('throws ContentError on garbage', () => {
    const rng = Random.derive(2, 'garbage');
    const image = (quality: number) => {
      const b = new Uint8Array(IMAGE_BYTES);
      b[0] = 1;
      b[1 + HASH_BYTES] = quality;
      return b;
    };
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.of(0),
      Uint8Array.of(3, 0, 0, 0, 0),
      Uint8Array.of(2, 0, 0, 0), // text tag, too short
      Uint8Array.of(2, 0, 0, 0, 0, 0), // text tag, too long (and not a franking suffix)
      new Uint8Array(TEXT_BYTES + FRANKING_SUFFIX_BYTES + 1).fill(2), // text tag, suffix one byte too long
      Uint8Array.of(1, ...new Array<number>(10).fill(0)), // image tag, too short
      new Uint8Array(IMAGE_BYTES + 1).fill(1), // image tag, too long
      new Uint8Array(IMAGE_BYTES + FRANKING_SUFFIX_BYTES - 1).fill(1), // image tag, suffix one byte short
      new Uint8Array(IMAGE_BYTES).fill(2), // text tag, image length
      image(101), // quality out of range
      image(255),
      rng.fill(new Uint8Array(63)),
    ];
    for (const bytes of bad) {
      expect(() => decodeContent(bytes), `bytes ${Array.from(bytes.subarray(0, 6))}… (${bytes.length})`).toThrow(ContentError);
    }
    // The boundary itself is fine.
    expect(decodeContent(image(100))).toMatchObject({ media: 'image', quality: 100 });
  });

  it('ContentError is an Error with its own name', () => {
    try {
      decodeContent(new Uint8Array(7));
      expect.unreachable('decodeContent should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(Error);
      expect(err).toBeInstanceOf(ContentError);
      expect((err as Error).name).toBe('ContentError');
    }
  });
});
