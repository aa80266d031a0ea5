import { describe, expect, it } from 'vitest';
import { Random } from './random';
import {
  HASH_BITS,
  HASH_BYTES,
  bankEntry,
  buildBank,
  hamming,
  hashWords,
  matchBank,
  perturb,
  platformBank,
  popularImages,
  randomHash,
  toHex,
  type BankMatch,
  type HashBank,
} from './hash';

/** Bit count of one byte, the slow obvious way. */
function bitsOf(x: number): number {
  let n = 0;
  for (let i = 0; i < 8; i++) if (x & (1 << i)) n++;
  return n;
}

/** Byte-wise Hamming distance, independent of the code under test. */
function refDistance(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < HASH_BYTES; i++) d += bitsOf((a[i] as number) ^ (b[i] as number));
  return d;
}

/** Reference matcher: the closest entry within maxDistance, lowest index on ties. */
function refMatch(bank: HashBank, q: Uint8Array, maxDistance: number): BankMatch | null {
  let best: BankMatch | null = null;
  for (let i = 0; i < bank.size; i++) {
    const d = refDistance(bank.entries.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES), q);
    if (d <= maxDistance && (best === null || d < best.distance)) best = { index: i, distance: d };
  }
  return best;
}

/** A bank made of the given hashes, laid out as buildBank lays it out. */
function bankOf(hashes: Uint8Array[]): HashBank {
  const words = new Uint32Array(hashes.length * 8);
  const entries = new Uint8Array(words.buffer);
  hashes.forEach((h, i) => {
    entries.set(h, i * HASH_BYTES);
  });
  return { size: hashes.length, entries, words };
}

/** Flips exactly the given bit positions. */
function flip(hash: Uint8Array, bits: number[]): Uint8Array {
  const out = hash.slice();
  for (const b of bits) out[b >> 3] = (out[b >> 3] as number) ^ (1 << (b & 7));
  return out;
}

describe('hamming and perturb', () => {
  it('distance of a hash to itself is 0 and to its complement is 256', () => {
    const h = randomHash(Random.derive(1, 'h'));
    expect(hamming(h, h)).toBe(0);
    expect(
      hamming(
        h,
        h.map((x) => x ^ 0xff),
      ),
    ).toBe(HASH_BITS);
  });

  it('agrees with a byte-wise reference on random pairs', () => {
    const rng = Random.derive(2, 'pairs');
    for (let i = 0; i < 500; i++) {
      const a = randomHash(rng);
      const b = randomHash(rng);
      expect(hamming(a, b)).toBe(refDistance(a, b));
      expect(hamming(a, b)).toBe(hamming(b, a));
    }
  });

  it('honours offsets into larger buffers', () => {
    const rng = Random.derive(3, 'offsets');
    const a = randomHash(rng);
    const b = randomHash(rng);
    const bufA = new Uint8Array(100);
    const bufB = new Uint8Array(100);
    bufA.set(a, 17);
    bufB.set(b, 64);
    expect(hamming(bufA, bufB, 17, 64)).toBe(refDistance(a, b));
  });

  it.each([0, 1, 2, 7, 8, 31, 32, 33, 100, 200, 255, 256])('perturb(h, %i) is exactly that many bits away', (k) => {
    const rng = Random.derive(4, `perturb-${k}`);
    for (let i = 0; i < 20; i++) {
      const h = randomHash(rng);
      const copy = h.slice();
      const p = perturb(h, k, rng);
      expect(hamming(h, p)).toBe(k);
      expect(refDistance(h, p)).toBe(k);
      expect(h).toEqual(copy); // the input is not modified
    }
  });

  it('perturb caps at 256 bits', () => {
    const rng = Random.derive(5, 'cap');
    const h = randomHash(rng);
    expect(hamming(h, perturb(h, 1000, rng))).toBe(HASH_BITS);
  });

  it('random hashes are about 128 bits apart', () => {
    const rng = Random.derive(6, 'spread');
    let sum = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) sum += hamming(randomHash(rng), randomHash(rng));
    expect(Math.abs(sum / n - 128)).toBeLessThan(2);
  });

  it('toHex is 64 lowercase hex digits of the bytes', () => {
    const h = new Uint8Array(HASH_BYTES);
    h[0] = 0xab;
    h[31] = 0x01;
    const hex = toHex(h);
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(hex.startsWith('ab')).toBe(true);
    expect(hex.endsWith('01')).toBe(true);
    // Works on a subarray view (not the whole underlying buffer).
    const bank = buildBank(1, 3);
    expect(toHex(bankEntry(bank, 1))).toBe(Buffer.from(bank.entries.slice(32, 64)).toString('hex'));
  });

  it('hashWords reads the hash as little-endian words, like the bank layout', () => {
    const bank = buildBank(7, 4);
    for (let i = 0; i < 4; i++) {
      expect(Array.from(hashWords(bankEntry(bank, i).slice()))).toEqual(Array.from(bank.words.subarray(i * 8, i * 8 + 8)));
    }
  });
});

describe('buildBank', () => {
  it('is a function of (seed, size) and entries are distinct', () => {
    const a = buildBank(42, 300);
    const b = buildBank(42, 300);
    expect(a.size).toBe(300);
    expect(a.entries.length).toBe(300 * HASH_BYTES);
    expect(a.entries).toEqual(b.entries);
    expect(buildBank(43, 300).entries).not.toEqual(a.entries);
    const hex = new Set(Array.from({ length: 300 }, (_, i) => toHex(bankEntry(a, i))));
    expect(hex.size).toBe(300);
  });

  it('bankEntry views entry i at bytes [32i, 32i+32)', () => {
    const bank = buildBank(1, 10);
    const e = bankEntry(bank, 3);
    expect(e.length).toBe(HASH_BYTES);
    expect(Array.from(e)).toEqual(Array.from(bank.entries.slice(96, 128)));
  });
});

describe('popularImages and platformBank', () => {
  it('derives the popular images from the seed, apart from the bank', () => {
    const popular = popularImages(7, 50);
    expect(popular.size).toBe(50);
    expect(popular.entries).toEqual(popularImages(7, 50).entries);
    expect(popular.entries).not.toEqual(popularImages(8, 50).entries);
    // Not the same stream as the bank of the same seed.
    expect(toHex(bankEntry(popular, 0))).not.toBe(toHex(bankEntry(buildBank(7, 50), 0)));
  });

  it("is the seed's bank with round(size × wronglyListedShare) trailing entries taken from the popular images", () => {
    const popular = popularImages(11, 40);
    const popularHex = new Set(Array.from({ length: popular.size }, (_, i) => toHex(bankEntry(popular, i))));
    const genuine = buildBank(11, 200);
    for (const [share, wrong] of [
      [0, 0],
      [0.01, 2],
      [0.0124, 2],
      [0.0126, 3],
      [0.1, 20],
    ] as const) {
      const pb = platformBank(11, 200, share, popular);
      expect(pb.bank.size).toBe(200);
      expect(pb.genuine).toBe(200 - wrong);
      for (let i = 0; i < 200; i++) {
        const entry = toHex(bankEntry(pb.bank, i));
        if (i < pb.genuine) expect(entry).toBe(toHex(bankEntry(genuine, i)));
        else expect(popularHex.has(entry)).toBe(true);
      }
      // The words view agrees with the bytes, so matching sees the wrongly listed entries.
      for (let i = pb.genuine; i < 200; i++) expect(matchBank(pb.bank, bankEntry(pb.bank, i), 0)?.distance).toBe(0);
    }
    expect(platformBank(11, 200, 0.1, popular).bank.entries).toEqual(platformBank(11, 200, 0.1, popular).bank.entries);
  });

  it('never lists more wrong entries than the bank or the popular pool holds', () => {
    expect(platformBank(3, 10, 1, popularImages(3, 4)).genuine).toBe(6);
    expect(platformBank(3, 10, 1, popularImages(3, 40)).genuine).toBe(0);
    expect(platformBank(3, 10, 0.5, popularImages(3, 0)).genuine).toBe(10);
  });
});

describe('matchBank', () => {
  const bank = buildBank(2024, 500);

  it('finds a perturbed entry within maxDistance, with its index and exact distance', () => {
    const rng = Random.derive(1, 'near');
    for (let i = 0; i < 200; i++) {
      const index = rng.int(bank.size);
      const bits = rng.int(32); // 0..31
      const q = perturb(bankEntry(bank, index), bits, rng);
      expect(matchBank(bank, q, 31)).toEqual({ index, distance: bits });
    }
  });

  it('matches at exactly maxDistance and not one bit beyond', () => {
    const rng = Random.derive(2, 'edge');
    const q = perturb(bankEntry(bank, 123), 20, rng);
    expect(matchBank(bank, q, 20)).toEqual({ index: 123, distance: 20 });
    expect(matchBank(bank, q, 19)).toBeNull();
    expect(matchBank(bank, bankEntry(bank, 7), 0)).toEqual({ index: 7, distance: 0 });
  });

  it('returns null for random hashes (about 128 bits from every entry)', () => {
    const rng = Random.derive(3, 'far');
    let minSeen = HASH_BITS;
    for (let i = 0; i < 200; i++) {
      const q = randomHash(rng);
      expect(matchBank(bank, q, 31)).toBeNull();
      const ref = refMatch(bank, q, HASH_BITS);
      if (ref) minSeen = Math.min(minSeen, ref.distance);
    }
    // Sanity of the premise: the nearest entry to a random query is still far away.
    expect(minSeen).toBeGreaterThan(60);
  });

  it('keeps the lowest index when entries tie', () => {
    const rng = Random.derive(4, 'ties');
    const base = randomHash(rng);
    const other = randomHash(rng);
    // Identical entries at 1, 2 and 4: the query matches all equally.
    const dupBank = bankOf([other, base, base.slice(), randomHash(rng), base.slice()]);
    const q = perturb(base, 5, rng);
    expect(matchBank(dupBank, q, 31)).toEqual({ index: 1, distance: 5 });

    // Distinct entries at the same distance: flip disjoint bit sets of the same size.
    const a = flip(base, [0, 9, 18, 27, 36]);
    const b = flip(base, [100, 109, 118, 127, 136]);
    const tieBank = bankOf([other, b, randomHash(rng), a]);
    expect(matchBank(tieBank, base, 31)).toEqual({ index: 1, distance: 5 });
    expect(matchBank(bankOf([other, a, b]), base, 31)).toEqual({ index: 1, distance: 5 });
  });

  it('prefers a strictly closer later entry over an earlier one', () => {
    const rng = Random.derive(5, 'closer');
    const base = randomHash(rng);
    const far = flip(base, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // 10 bits
    const near = flip(base, [200, 201, 202]); // 3 bits
    const mid = flip(base, [50, 60, 70, 80, 90, 100]); // 6 bits
    expect(matchBank(bankOf([far, near, mid]), base, 31)).toEqual({ index: 1, distance: 3 });
    expect(matchBank(bankOf([far, mid, near]), base, 31)).toEqual({ index: 2, distance: 3 });
    // A later entry closer than maxDistance but tied with an earlier one keeps the earlier.
    expect(matchBank(bankOf([far, near, flip(base, [5, 6, 7]), mid]), base, 31)).toEqual({ index: 1, distance: 3 });
  });

  it('handles distances concentrated in the high words (no early exit on the low half alone)', () => {
    const rng = Random.derive(6, 'high');
    const base = randomHash(rng);
    // All 20 flipped bits in bytes 16..31 (words 4..7); a first entry with 30 bits spread out.
    const highOnly = flip(
      base,
      Array.from({ length: 20 }, (_, i) => 128 + i * 6),
    );
    const spread = flip(
      base,
      Array.from({ length: 30 }, (_, i) => i * 8),
    );
    expect(matchBank(bankOf([spread, highOnly]), base, 31)).toEqual({ index: 1, distance: 20 });
    expect(matchBank(bankOf([spread, highOnly]), base, 19)).toBeNull();
  });

  it('agrees with a byte-wise brute-force reference on many random queries, near and far', () => {
    const rng = Random.derive(7, 'property');
    for (let round = 0; round < 6; round++) {
      // Some banks are clusters of near-identical entries, so that ties and near-ties are common.
      const size = 1 + rng.int(300);
      const clustered = round % 2 === 1;
      const bases = Array.from({ length: 1 + rng.int(4) }, () => randomHash(rng));
      const hashes = Array.from({ length: size }, () => (clustered ? perturb(bases[rng.int(bases.length)] as Uint8Array, rng.int(8), rng) : randomHash(rng)));
      const b = bankOf(hashes);
      for (let i = 0; i < 400; i++) {
        const maxDistance = rng.chance(0.1) ? rng.int(HASH_BITS + 1) : rng.int(64);
        const kind = rng.int(3);
        const q =
          kind === 0
            ? randomHash(rng)
            : kind === 1
              ? perturb(bankEntry(b, rng.int(b.size)), rng.int(64), rng)
              : perturb(bases[rng.int(bases.length)] as Uint8Array, rng.int(40), rng);
        expect(matchBank(b, q, maxDistance)).toEqual(refMatch(b, q, maxDistance));
      }
    }
  });

  it('matches nothing in an empty bank', () => {
    const rng = Random.derive(8, 'empty');
    expect(matchBank(bankOf([]), randomHash(rng), HASH_BITS)).toBeNull();
  });
});
