/**
 * Multi-index hashing (Norouzi, Punjani & Fleet, "Fast search in Hamming space with
 * multi-index hashing", CVPR 2012) for the hash bank: the bank's 256-bit hashes are cut
 * into 16 chunks of 16 bits, and each chunk position gets its own table from chunk value
 * to the entries that have it. If a query is within distance r of an entry, then by the
 * pigeonhole principle at least one of the 16 chunks is within floor(r / 16) bits of the
 * entry's chunk. So probing, for every chunk, the values within that many bits finds
 * every entry within r, without scanning the bank. Each candidate is then checked in
 * full, so the answer is exactly brute force's: the closest entry within r, lowest index
 * on ties (a property test holds the two equal).
 */
import { entryDistance, hashWords, matchBank, popcount32, type BankMatch, type HashBank } from './hash';

const CHUNKS = 16;
const CHUNK_BITS = 16;
const BUCKETS = 1 << CHUNK_BITS;

/** Chunk c (0..15) of an entry whose words start at `base`: 16 bits of word c >> 1. */
function chunkOf(words: Uint32Array, base: number, c: number): number {
  const w = words[base + (c >> 1)] as number;
  return c & 1 ? w >>> 16 : w & 0xffff;
}

export class BankIndex {
  /** Per chunk: CSR offsets (BUCKETS + 1) and entry ids sorted by chunk value. */
  private readonly offsets: Int32Array[] = [];
  private readonly ids: Int32Array[] = [];
  /** Probe masks within the per-chunk radius, precomputed per radius. */
  private readonly masks = new Map<number, Int32Array>();

  constructor(readonly bank: HashBank) {
    const { words, size } = bank;
    for (let c = 0; c < CHUNKS; c++) {
      const offsets = new Int32Array(BUCKETS + 1);
      for (let e = 0; e < size; e++) {
        const v = chunkOf(words, e * 8, c) + 1;
        offsets[v] = (offsets[v] as number) + 1;
      }
      for (let v = 0; v < BUCKETS; v++) offsets[v + 1] = (offsets[v + 1] as number) + (offsets[v] as number);
      const fill = offsets.slice(0, BUCKETS);
      const ids = new Int32Array(size);
      // Ascending entry ids within each bucket (the fill goes in entry order).
      for (let e = 0; e < size; e++) {
        const v = chunkOf(words, e * 8, c);
        ids[fill[v] as number] = e;
        fill[v] = (fill[v] as number) + 1;
      }
      this.offsets.push(offsets);
      this.ids.push(ids);
    }
  }

  /** Bytes of its tables: 64 per entry and 4 MiB of offsets. */
  get bytes(): number {
    let n = 0;
    for (const a of [...this.offsets, ...this.ids]) n += a.byteLength;
    return n;
  }

  /** Every 16-bit mask with at most `radius` bits set. */
  private masksWithin(radius: number): Int32Array {
    let m = this.masks.get(radius);
    if (!m) {
      const list: number[] = [];
      for (let x = 0; x < BUCKETS; x++) if (popcount32(x) <= radius) list.push(x);
      m = Int32Array.from(list);
      this.masks.set(radius, m);
    }
    return m;
  }

  /** The closest entry within `maxDistance`, or null; exactly what matchBank returns. */
  match(hash: Uint8Array, maxDistance: number): BankMatch | null {
    const radius = Math.floor(maxDistance / CHUNKS);
    // Past a few bits per chunk the probes outnumber the bank: scan it instead.
    if (radius > 2) return matchBank(this.bank, hash, maxDistance);
    const q = hashWords(hash);
    const words = this.bank.words;
    const masks = this.masksWithin(radius);
    // An entry found through two chunks is simply checked twice: it gives the same
    // distance both times, and skipping the de-duplication saves a random memory access
    // per candidate, which is most of the cost at a million entries.
    let bestIndex = -1;
    let bestDistance = maxDistance + 1;
    for (let c = 0; c < CHUNKS; c++) {
      const w = q[c >> 1] as number;
      const value = c & 1 ? w >>> 16 : w & 0xffff;
      const offsets = this.offsets[c] as Int32Array;
      const ids = this.ids[c] as Int32Array;
      for (let m = 0; m < masks.length; m++) {
        const v = value ^ (masks[m] as number);
        const end = offsets[v + 1] as number;
        for (let i = offsets[v] as number; i < end; i++) {
          const e = ids[i] as number;
          const d = entryDistance(words, e * 8, q, maxDistance);
          if (d > maxDistance) continue;
          if (d < bestDistance || (d === bestDistance && e < bestIndex)) {
            bestDistance = d;
            bestIndex = e;
          }
        }
      }
    }
    return bestIndex < 0 ? null : { index: bestIndex, distance: bestDistance };
  }
}

/** Banks at least this large get a multi-index; smaller ones are scanned (as fast, no build cost). */
export const INDEX_FROM_ENTRIES = 4_096;
