/**
 * 256-bit perceptual hashes (PDQ-sized) as 32-byte arrays, and the hash bank the
 * platform matches against. The bank is the platform's list of known abusive items
 * (as an NCMEC or industry list would be): it is not ground truth about any message,
 * so both the generator (which re-shares bank items) and the scanner derive it.
 */
import { Random } from './random';

export const HASH_BYTES = 32;
export const HASH_BITS = 256;

/** popcount of each byte value, for Hamming distance without bit tricks per call. */
const POPCOUNT = new Uint8Array(256);
for (let i = 0; i < 256; i++) POPCOUNT[i] = (i & 1) + (POPCOUNT[i >> 1] ?? 0);

export function hamming(a: Uint8Array, b: Uint8Array, aOffset = 0, bOffset = 0): number {
  let d = 0;
  for (let i = 0; i < HASH_BYTES; i++) {
    d += POPCOUNT[(a[aOffset + i] as number) ^ (b[bOffset + i] as number)] as number;
  }
  return d;
}

export function randomHash(rng: Random): Uint8Array {
  return rng.fill(new Uint8Array(HASH_BYTES));
}

/** A copy of `hash` with exactly `bits` distinct bits flipped. */
export function perturb(hash: Uint8Array, bits: number, rng: Random): Uint8Array {
  const out = hash.slice();
  const flipped = new Set<number>();
  const n = Math.min(bits, HASH_BITS);
  while (flipped.size < n) {
    const bit = rng.int(HASH_BITS);
    if (flipped.has(bit)) continue;
    flipped.add(bit);
    out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
  }
  return out;
}

export function toHex(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex');
}

/**
 * The bank: `size` entries packed into one buffer, entry i at bytes [32i, 32i+32).
 * `words` views the same bytes as little-endian 32-bit words for fast matching.
 */
export interface HashBank {
  readonly size: number;
  readonly entries: Uint8Array;
  readonly words: Uint32Array;
}

export function buildBank(seed: number, size: number, label = 'hash-bank'): HashBank {
  const rng = Random.derive(seed, label);
  const words = new Uint32Array(size * 8);
  for (let i = 0; i < words.length; i++) words[i] = rng.uint32();
  return { size, entries: new Uint8Array(words.buffer), words };
}

/**
 * Popular benign images (memes) that circulate on the platform; users share lightly
 * re-encoded copies. Public content, derived from the seed.
 */
export function popularImages(seed: number, count: number): HashBank {
  return buildBank(seed, count, 'popular-images');
}

export interface PlatformBank {
  bank: HashBank;
  /** Entries [0, genuine) are known abuse images; the rest are wrongly listed popular images. */
  genuine: number;
}

/**
 * The platform's hash bank: genuine entries plus `round(size × wronglyListedShare)`
 * wrongly listed benign images taken from the popular pool (weakly curated lists).
 */
export function platformBank(seed: number, size: number, wronglyListedShare: number, popular: HashBank): PlatformBank {
  const wrong = Math.min(size, popular.size, Math.round(size * wronglyListedShare));
  const bank = buildBank(seed, size);
  const rng = Random.derive(seed, 'wrongly-listed');
  for (let i = 0; i < wrong; i++) {
    const source = rng.int(popular.size);
    bank.words.set(popular.words.subarray(source * 8, source * 8 + 8), (size - wrong + i) * 8);
  }
  return { bank, genuine: size - wrong };
}

export function bankEntry(bank: HashBank, index: number): Uint8Array {
  return bank.entries.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
}

export interface BankMatch {
  index: number;
  distance: number;
}

/** Bits set in a 32-bit word. */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** The hash as eight little-endian 32-bit words (matches the bank's layout on little-endian hosts). */
export function hashWords(hash: Uint8Array): Uint32Array {
  const w = new Uint32Array(8);
  for (let i = 0; i < 8; i++) {
    const o = i * 4;
    w[i] = ((hash[o] as number) | ((hash[o + 1] as number) << 8) | ((hash[o + 2] as number) << 16) | ((hash[o + 3] as number) << 24)) >>> 0;
  }
  return w;
}

/**
 * The closest bank entry within `maxDistance`, or null (lowest index on ties). Brute
 * force over the bank: exact by construction, and the reference any faster index must
 * agree with.
 */
export function matchBank(bank: HashBank, hash: Uint8Array, maxDistance: number): BankMatch | null {
  const q = hashWords(hash);
  const w = bank.words;
  let best: BankMatch | null = null;
  let limit = maxDistance;
  for (let e = 0, base = 0; e < bank.size; e++, base += 8) {
    const d = entryDistance(w, base, q, limit);
    if (d <= limit) {
      // Strictly closer entries only from here on, so ties keep the lowest index.
      best = { index: e, distance: d };
      if (d === 0) break;
      limit = d - 1;
    }
  }
  return best;
}

/**
 * The Hamming distance between the entry whose eight words start at `base` of `words`
 * and the query's words `q`; past `limit` after the first four words, that half's count
 * (already too far: the rest is not counted).
 */
export function entryDistance(words: Uint32Array, base: number, q: Uint32Array, limit: number): number {
  const d =
    popcount32((words[base] as number) ^ (q[0] as number)) +
    popcount32((words[base + 1] as number) ^ (q[1] as number)) +
    popcount32((words[base + 2] as number) ^ (q[2] as number)) +
    popcount32((words[base + 3] as number) ^ (q[3] as number));
  if (d > limit) return d;
  return (
    d +
    popcount32((words[base + 4] as number) ^ (q[4] as number)) +
    popcount32((words[base + 5] as number) ^ (q[5] as number)) +
    popcount32((words[base + 6] as number) ^ (q[6] as number)) +
    popcount32((words[base + 7] as number) ^ (q[7] as number))
  );
}
