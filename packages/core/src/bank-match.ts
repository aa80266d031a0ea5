/**
 * The batched bank matcher: for each of n query hashes, the closest bank entry within
 * a Hamming distance (lowest index on ties) or none, exactly what brute force
 * (matchBank) gives, in one call per batch.
 *
 * The index is multi-index hashing over 16 chunks of 16 bits (see hash-index.ts for the
 * pigeonhole argument) whose tables carry, beside each entry id, a 96-bit sketch: the six
 * chunks that follow the table's own (wrapping round). The sketch's distance plus the
 * probe's own bits is a lower bound of the full distance, so nearly every candidate is
 * rejected from the table alone (an unrelated entry passes with a chance of about 2 in
 * 10,000 at distance 31) and the bank is read only for the few that pass. Memory: 256
 * bytes per entry (16 tables × 12-byte sketch and 4-byte id) and 4 MiB of bucket
 * offsets per index, besides the bank's own 32 bytes per entry. The index is built on
 * the first batch that needs it, so a context that never matches costs nothing.
 *
 * A batch is answered one of three ways, with the same answers:
 *   probe  query by query, every probe of every table (the native kernel prefetches the
 *          buckets of the probes ahead, so many random memory accesses are in flight);
 *   sweep  from about 2,900 queries on (n × probes per table ≥ 3/4 × 2^16): per table, every
 *          probe of the batch sorted by bucket and the table swept once in order, each
 *          bucket read once for all the queries probing it;
 *   brute  every entry for every query: for small banks, and for distances of more than
 *          2 bits per chunk (47 and up), where the probes would outnumber the bank.
 *
 * Two kernels: the native one (C, packages/native/src/match.c) where this machine built
 * it, else this file's JavaScript twin (also under BLINDSPOT_NATIVE=0); property tests
 * hold both equal to brute force.
 */
import { native, type NativeBankIndex } from '@blindspot/native';
import { HASH_BYTES, matchBank, popcount32, type BankMatch, type HashBank } from './hash';
import { INDEX_FROM_ENTRIES } from './hash-index';

const CHUNKS = 16;
const BUCKETS = 1 << 16;
/** The sweep from this many probes per table on (3 probes per 4 buckets), as the native kernel. */
const SWEEP_FROM = (BUCKETS / 4) * 3;
/** Above this many bits per chunk the probes outnumber the bank: brute force. */
const MAX_RADIUS = 2;

export type MatchKernel = 'native' | 'js';
export type MatchStrategy = 'auto' | 'probe' | 'sweep' | 'brute';
const STRATEGY_CODE: Record<MatchStrategy, number> = { auto: 0, probe: 1, sweep: 2, brute: 3 };
/** Queries the native kernel takes in one call. */
const NATIVE_MOST = 1 << 24;

/** Per query: the matched entry's index and distance, or −1 and −1. */
export interface BankMatches {
  index: Int32Array;
  distance: Int32Array;
}

export interface BankMatcher {
  readonly bank: HashBank;
  /** Which kernel answers: the native one, or its JavaScript twin. */
  readonly kernel: MatchKernel;
  /** Every query of `hashes` (n × 32 bytes) at once. */
  matchMany(hashes: Uint8Array, maxDistance: number, strategy?: MatchStrategy): BankMatches;
  /** One query. */
  match(hash: Uint8Array, maxDistance: number): BankMatch | null;
  /** Bytes the index holds: 0 before the first indexed batch, and for banks scanned without one. */
  indexBytes(): number;
}

/** A whole number of bits from 0 to 256 (the scenario's matchDistance); anything else is refused. */
export function checkMaxDistance(maxDistance: number): void {
  if (typeof maxDistance !== 'number') throw new TypeError('maxDistance must be a number');
  if (!Number.isInteger(maxDistance) || maxDistance < 0 || maxDistance > 256) {
    throw new RangeError('maxDistance must be a whole number of bits from 0 to 256');
  }
}

function checkQueries(hashes: Uint8Array): number {
  if (!(hashes instanceof Uint8Array)) throw new TypeError('queries must be a Uint8Array');
  if (hashes.length % HASH_BYTES !== 0) throw new RangeError('queries must be a whole number of 32-byte hashes');
  return hashes.length / HASH_BYTES;
}

/** The native kernel, if it loaded and has the matcher (a build from before it would not). */
function nativeMatcher(): typeof native {
  return native && typeof native.matchMany === 'function' && typeof native.matchIndex === 'function' ? native : null;
}

/** Whether the native matcher is there (it is unless BLINDSPOT_NATIVE=0 or this machine could not build it). */
export function nativeMatcherLoaded(): boolean {
  return nativeMatcher() !== null;
}

/** How the native matcher counts bits here ("popcnt": the instruction, found at run time; "builtin"; "portable"), or null where it did not load. */
export function nativeMatchKernel(): string | null {
  return nativeMatcher()?.matchKernel() ?? null;
}

// ---------------------------------------------------------------------------------------
// The JavaScript twin

/** Chunk c (0..15) of the hash whose bytes start at `o`: bytes 2c and 2c + 1, little-endian. */
function chunkAt(bytes: Uint8Array, o: number, c: number): number {
  return (bytes[o + 2 * c] as number) | ((bytes[o + 2 * c + 1] as number) << 8);
}

/** The twin's index: the same tables as the native one, in typed arrays. */
export class SketchIndex {
  /** Per table: BUCKETS + 1 offsets (table c at c × (BUCKETS + 1)), into ids and sketches of table c at c × size. */
  readonly offsets: Int32Array;
  readonly ids: Int32Array;
  /** Three words per table entry: chunks (c+1, c+2), (c+3, c+4), (c+5, c+6). */
  readonly sketch: Uint32Array;

  constructor(readonly bank: HashBank) {
    const { size, entries } = bank;
    this.offsets = new Int32Array(CHUNKS * (BUCKETS + 1));
    this.ids = new Int32Array(CHUNKS * size);
    this.sketch = new Uint32Array(3 * CHUNKS * size);
    const fill = new Int32Array(BUCKETS);
    for (let c = 0; c < CHUNKS; c++) {
      const ob = c * (BUCKETS + 1);
      const offsets = this.offsets;
      for (let e = 0; e < size; e++) {
        const v = ob + chunkAt(entries, e * HASH_BYTES, c) + 1;
        offsets[v] = (offsets[v] as number) + 1;
      }
      for (let v = 0; v < BUCKETS; v++) offsets[ob + v + 1] = (offsets[ob + v + 1] as number) + (offsets[ob + v] as number);
      fill.set(offsets.subarray(ob, ob + BUCKETS));
      const base = c * size;
      // Ascending entry ids within each bucket (the fill goes in entry order).
      for (let e = 0, o = 0; e < size; e++, o += HASH_BYTES) {
        const v = chunkAt(entries, o, c);
        const at = base + (fill[v] as number);
        fill[v] = (fill[v] as number) + 1;
        this.ids[at] = e;
        for (let k = 0; k < 3; k++) {
          this.sketch[3 * at + k] = (chunkAt(entries, o, (c + 1 + 2 * k) & 15) | (chunkAt(entries, o, (c + 2 + 2 * k) & 15) << 16)) >>> 0;
        }
      }
    }
  }

  get bytes(): number {
    return this.offsets.byteLength + this.ids.byteLength + this.sketch.byteLength;
  }
}

/** Every 16-bit mask with at most `radius` bits set, and its bit count. */
function masksWithin(radius: number): { mask: Int32Array; weight: Int32Array } {
  const mask: number[] = [];
  const weight: number[] = [];
  for (let x = 0; x < BUCKETS; x++) {
    const w = popcount32(x);
    if (w <= radius) {
      mask.push(x);
      weight.push(w);
    }
  }
  return { mask: Int32Array.from(mask), weight: Int32Array.from(weight) };
}
const MASKS = [0, 1, 2].map(masksWithin);

/** The queries' words (8 per query, little-endian) for the full distance. */
function queryWords(hashes: Uint8Array, n: number): Uint32Array {
  const w = new Uint32Array(8 * n);
  for (let i = 0; i < 8 * n; i++) {
    const o = 4 * i;
    w[i] = ((hashes[o] as number) | ((hashes[o + 1] as number) << 8) | ((hashes[o + 2] as number) << 16) | ((hashes[o + 3] as number) << 24)) >>> 0;
  }
  return w;
}

/** The full distance between query j (its words in qw) and bank entry e. */
function fullDistance(words: Uint32Array, e: number, qw: Uint32Array, j: number): number {
  const b = e * 8;
  const q = j * 8;
  return (
    popcount32((words[b] as number) ^ (qw[q] as number)) +
    popcount32((words[b + 1] as number) ^ (qw[q + 1] as number)) +
    popcount32((words[b + 2] as number) ^ (qw[q + 2] as number)) +
    popcount32((words[b + 3] as number) ^ (qw[q + 3] as number)) +
    popcount32((words[b + 4] as number) ^ (qw[q + 4] as number)) +
    popcount32((words[b + 5] as number) ^ (qw[q + 5] as number)) +
    popcount32((words[b + 6] as number) ^ (qw[q + 6] as number)) +
    popcount32((words[b + 7] as number) ^ (qw[q + 7] as number))
  );
}

/** Query j's sketch words for table c, into out at `at`. */
function querySketch(hashes: Uint8Array, j: number, c: number, out: Uint32Array, at: number): void {
  const o = j * HASH_BYTES;
  for (let k = 0; k < 3; k++) out[at + k] = (chunkAt(hashes, o, (c + 1 + 2 * k) & 15) | (chunkAt(hashes, o, (c + 2 + 2 * k) & 15) << 16)) >>> 0;
}

/**
 * Checks table c's bucket range [lo, hi) for query j whose probe has `w` bits: each
 * table entry whose sketch bound is within reach is checked in full and offered.
 */
function checkBucket(
  ix: SketchIndex,
  lo: number,
  hi: number,
  w: number,
  qs: Uint32Array,
  qsAt: number,
  qw: Uint32Array,
  j: number,
  bestIndex: Int32Array,
  bestDistance: Int32Array,
): void {
  const sketch = ix.sketch;
  const words = ix.bank.words;
  const s0 = qs[qsAt] as number,
    s1 = qs[qsAt + 1] as number,
    s2 = qs[qsAt + 2] as number;
  let limit = (bestDistance[j] as number) - w;
  for (let i = lo; i < hi; i++) {
    const t = 3 * i;
    const d = popcount32((sketch[t] as number) ^ s0) + popcount32((sketch[t + 1] as number) ^ s1) + popcount32((sketch[t + 2] as number) ^ s2);
    if (d > limit) continue;
    const e = ix.ids[i] as number;
    const full = fullDistance(words, e, qw, j);
    const best = bestDistance[j] as number;
    if (full < best || (full === best && ((bestIndex[j] as number) < 0 || e < (bestIndex[j] as number)))) {
      bestDistance[j] = full;
      bestIndex[j] = e;
      limit = full - w;
    }
  }
}

function probeJs(ix: SketchIndex, hashes: Uint8Array, n: number, radius: number, bestIndex: Int32Array, bestDistance: Int32Array): void {
  const { mask, weight } = MASKS[radius] as { mask: Int32Array; weight: Int32Array };
  const qw = queryWords(hashes, n);
  const qs = new Uint32Array(3);
  const size = ix.bank.size;
  const offsets = ix.offsets;
  for (let j = 0; j < n; j++) {
    for (let c = 0; c < CHUNKS; c++) {
      querySketch(hashes, j, c, qs, 0);
      const v0 = chunkAt(hashes, j * HASH_BYTES, c);
      const ob = c * (BUCKETS + 1);
      const base = c * size;
      for (let m = 0; m < mask.length; m++) {
        const v = ob + (v0 ^ (mask[m] as number));
        const lo = offsets[v] as number;
        const hi = offsets[v + 1] as number;
        if (hi > lo) checkBucket(ix, base + lo, base + hi, weight[m] as number, qs, 0, qw, j, bestIndex, bestDistance);
      }
    }
  }
}

function sweepJs(ix: SketchIndex, hashes: Uint8Array, n: number, radius: number, bestIndex: Int32Array, bestDistance: Int32Array): void {
  const { mask, weight } = MASKS[radius] as { mask: Int32Array; weight: Int32Array };
  const masks = mask.length;
  const qw = queryWords(hashes, n);
  const qs = new Uint32Array(3 * n);
  const chunk = new Int32Array(n);
  const count = new Int32Array(BUCKETS + 1);
  const keys = new Int32Array(n * masks);
  const size = ix.bank.size;
  const offsets = ix.offsets;
  for (let c = 0; c < CHUNKS; c++) {
    count.fill(0);
    for (let j = 0; j < n; j++) {
      const v0 = chunkAt(hashes, j * HASH_BYTES, c);
      chunk[j] = v0;
      querySketch(hashes, j, c, qs, 3 * j);
      for (let m = 0; m < masks; m++) {
        const v = (v0 ^ (mask[m] as number)) + 1;
        count[v] = (count[v] as number) + 1;
      }
    }
    for (let v = 0; v < BUCKETS; v++) count[v + 1] = (count[v + 1] as number) + (count[v] as number);
    // After the fill, count[v] is the end of bucket v's keys (and the start of v + 1's).
    for (let j = 0; j < n; j++) {
      const v0 = chunk[j] as number;
      for (let m = 0; m < masks; m++) {
        const v = v0 ^ (mask[m] as number);
        const at = count[v] as number;
        keys[at] = j * 256 + m;
        count[v] = at + 1;
      }
    }
    const ob = c * (BUCKETS + 1);
    const base = c * size;
    let start = 0;
    for (let v = 0; v < BUCKETS; v++) {
      const end = count[v] as number;
      if (end === start) continue;
      const lo = base + (offsets[ob + v] as number);
      const hi = base + (offsets[ob + v + 1] as number);
      if (hi > lo) {
        for (let k = start; k < end; k++) {
          const key = keys[k] as number;
          const j = key >>> 8;
          checkBucket(ix, lo, hi, weight[key & 0xff] as number, qs, 3 * j, qw, j, bestIndex, bestDistance);
        }
      }
      start = end;
    }
  }
}

/**
 * The JavaScript twin of the native matchMany: the same strategies and the same answers.
 * `index` null scans the bank.
 */
export function matchManyJs(index: SketchIndex | null, bank: HashBank, hashes: Uint8Array, maxDistance: number, strategy: MatchStrategy = 'auto'): BankMatches {
  checkMaxDistance(maxDistance);
  const n = checkQueries(hashes);
  const outIndex = new Int32Array(n).fill(-1);
  const outDistance = new Int32Array(n).fill(-1);
  const radius = Math.floor(maxDistance / CHUNKS);
  let how = strategy;
  if (index === null) {
    if (how === 'probe' || how === 'sweep') throw new RangeError('probe and sweep need an index');
    how = 'brute';
  }
  if (radius > MAX_RADIUS) how = 'brute';
  if (how === 'brute' || index === null) {
    for (let j = 0; j < n; j++) {
      const m = matchBank(bank, hashes.subarray(j * HASH_BYTES, (j + 1) * HASH_BYTES), maxDistance);
      if (m) {
        outIndex[j] = m.index;
        outDistance[j] = m.distance;
      }
    }
    return { index: outIndex, distance: outDistance };
  }
  const masks = (MASKS[radius] as { mask: Int32Array }).mask.length;
  if (how === 'auto') how = n * masks >= SWEEP_FROM ? 'sweep' : 'probe';
  outDistance.fill(maxDistance);
  if (how === 'probe') probeJs(index, hashes, n, radius, outIndex, outDistance);
  else sweepJs(index, hashes, n, radius, outIndex, outDistance);
  for (let j = 0; j < n; j++) if ((outIndex[j] as number) < 0) outDistance[j] = -1;
  return { index: outIndex, distance: outDistance };
}

// ---------------------------------------------------------------------------------------
// The matcher

export interface MatcherOptions {
  /** Which kernel: the native one where it loaded (the default), or the JavaScript twin. */
  kernel?: MatchKernel;
  /** Banks from this many entries get an index; smaller ones are scanned. Default INDEX_FROM_ENTRIES. */
  indexFrom?: number;
}

/**
 * The matcher for a bank: exactly brute force's answers, by an index where that is
 * faster, on the native kernel where it loaded. The index is built on first use.
 */
export function bankMatcher(bank: HashBank, options: MatcherOptions = {}): BankMatcher {
  const kernels = options.kernel === 'js' ? null : nativeMatcher();
  if (options.kernel === 'native' && !kernels) throw new Error('the native matcher is not loaded (BLINDSPOT_NATIVE=0, or packages/native was not built)');
  const indexed = bank.size >= (options.indexFrom ?? INDEX_FROM_ENTRIES);
  let nativeIndex: NativeBankIndex | null = null;
  let jsIndex: SketchIndex | null = null;
  const matchMany = kernels
    ? (hashes: Uint8Array, maxDistance: number, strategy: MatchStrategy = 'auto'): BankMatches => {
        const n = checkQueries(hashes);
        checkMaxDistance(maxDistance);
        const out = { index: new Int32Array(n), distance: new Int32Array(n) };
        const brute = !indexed || Math.floor(maxDistance / CHUNKS) > MAX_RADIUS || strategy === 'brute';
        if (!brute && nativeIndex === null) nativeIndex = kernels.matchIndex(bank.entries);
        // The kernel takes at most 2^24 queries a call.
        for (let from = 0; from < n || from === 0; from += NATIVE_MOST) {
          const to = Math.min(n, from + NATIVE_MOST);
          kernels.matchMany(
            brute ? null : nativeIndex,
            bank.entries,
            hashes.subarray(from * HASH_BYTES, to * HASH_BYTES),
            maxDistance,
            out.index.subarray(from, to),
            out.distance.subarray(from, to),
            brute ? 3 : STRATEGY_CODE[strategy],
          );
        }
        return out;
      }
    : (hashes: Uint8Array, maxDistance: number, strategy: MatchStrategy = 'auto'): BankMatches => {
        checkMaxDistance(maxDistance);
        const brute = !indexed || Math.floor(maxDistance / CHUNKS) > MAX_RADIUS || strategy === 'brute';
        if (!brute) jsIndex ??= new SketchIndex(bank);
        return matchManyJs(brute ? null : jsIndex, bank, hashes, maxDistance, brute ? 'brute' : strategy);
      };
  return {
    bank,
    kernel: kernels ? 'native' : 'js',
    matchMany,
    match(hash, maxDistance) {
      const r = matchMany(hash, maxDistance);
      if (r.index.length !== 1) throw new RangeError('match takes one 32-byte hash');
      const index = r.index[0] as number;
      return index < 0 ? null : { index, distance: r.distance[0] as number };
    },
    indexBytes() {
      if (nativeIndex !== null && kernels) return kernels.matchIndexBytes(nativeIndex);
      return jsIndex?.bytes ?? 0;
    },
  };
}
