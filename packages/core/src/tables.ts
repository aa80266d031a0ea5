/**
 * Tables for what grows with accounts, contact pairs, conversations or messages. A
 * JavaScript Map or Set holds at most 2^24 entries (and throws past them), an array about
 * 2^27 (and the process dies past them); a world of ten million accounts has ten times
 * 2^24 contact pairs and more conversations. So:
 *
 *   - NumberSet and NumberMap: integer keys (0 ≤ key < 2^53) in open addressing on typed
 *     arrays, 8 bytes a slot for a set and 16 for a map, outside the JavaScript heap and
 *     bounded only by memory (and by typed arrays' 2^32 elements);
 *   - LargeMap: any value under an integer key, spread over several Maps, for what is
 *     sparse and holds objects;
 *   - NumberList: a list of numbers that grows in one typed array.
 *
 * Exact: no table forgets or confuses a key. Iteration order is slot order, not insertion
 * order; nothing that depends on insertion order iterates them.
 */

/** Keys are stored plus one, so a zeroed slot (what a new typed array holds) is empty. */
const EMPTY = 0;
/** The largest key: key + 1 must stay an exact double. */
const MAX_KEY = Number.MAX_SAFE_INTEGER - 1;
/** Most slots in use before a table grows: linear probing stays short below it. */
const MAX_LOAD = 0.75;
/** Typed arrays hold at most 2^32 elements. */
const MAX_SLOTS = 2 ** 32;

/** A well-mixed 32-bit hash of an integer below 2^53 (its two 32-bit halves, murmur3's finalizer). */
export function mixKey(key: number): number {
  let h = (key >>> 0) ^ Math.imul((key / 4294967296) >>> 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function checkKey(key: number): void {
  if (!(key >= 0 && key <= MAX_KEY)) throw new RangeError(`table key must be an integer from 0 to 2^53 - 2, got ${key}`);
}

/** Slots for `entries` entries within the load limit. */
function slotsFor(entries: number): number {
  const slots = Math.max(8, Math.ceil(Math.max(0, entries) / MAX_LOAD) + 1);
  if (slots > MAX_SLOTS) throw new RangeError(`a table of ${entries} entries is more than typed arrays hold`);
  return slots;
}

/**
 * The open-addressing core: keys (plus one) in a Float64Array, linear probing from a
 * slot spread over any number of slots (multiply-shift, so the table is exactly as large
 * as asked), growing to twice its size past MAX_LOAD.
 */
abstract class OpenTable {
  protected keys: Float64Array;
  protected count = 0;

  constructor(expected: number) {
    this.keys = new Float64Array(slotsFor(expected));
  }

  /** Entries in the table. */
  get size(): number {
    return this.count;
  }

  /** Slots the table has (its memory is that many times 8 bytes, or 16 for a map). */
  get capacity(): number {
    return this.keys.length;
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  protected slot(key: number): number {
    const keys = this.keys;
    const slots = keys.length;
    const stored = key + 1;
    let i = Math.floor((mixKey(key) * slots) / 4294967296);
    for (;;) {
      const k = keys[i] as number;
      if (k === stored || k === EMPTY) return i;
      if (++i === slots) i = 0;
    }
  }

  /** Whether one more entry would pass the load limit. */
  protected full(): boolean {
    return this.count + 1 > this.keys.length * MAX_LOAD;
  }

  /** Doubles the slots, moving every entry. */
  protected grow(): void {
    const old = this.keys;
    const slots = Math.min(MAX_SLOTS, old.length * 2);
    if (slots === old.length) throw new RangeError('table full: typed arrays hold at most 2^32 slots');
    this.keys = new Float64Array(slots);
    this.grown(old);
  }

  /** Moves every entry of the old key array (and what goes with it) into the new one. */
  protected abstract grown(old: Float64Array): void;

  /** Calls `f` with every key, in slot order. */
  forEachKey(f: (key: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as number;
      if (k !== EMPTY) f(k - 1);
    }
  }
}

/** A set of integers from 0 to 2^53 - 2 with no limit but memory. */
export class NumberSet extends OpenTable {
  /** `expected`: the entries it will hold, so that it never has to grow. */
  constructor(expected = 0) {
    super(expected);
  }

  has(key: number): boolean {
    checkKey(key);
    return this.keys[this.slot(key)] !== EMPTY;
  }

  /** Adds `key`; true if it was not there before. */
  add(key: number): boolean {
    checkKey(key);
    let i = this.slot(key);
    if (this.keys[i] !== EMPTY) return false;
    if (this.full()) {
      this.grow();
      i = this.slot(key);
    }
    this.keys[i] = key + 1;
    this.count++;
    return true;
  }

  protected grown(old: Float64Array): void {
    for (let j = 0; j < old.length; j++) {
      const k = old[j] as number;
      if (k !== EMPTY) this.keys[this.slot(k - 1)] = k;
    }
  }
}

/** A map from integers (0 to 2^53 - 2) to numbers, with no limit but memory. */
export class NumberMap extends OpenTable {
  private values: Float64Array;

  /** `expected`: the entries it will hold, so that it never has to grow. */
  constructor(expected = 0) {
    super(expected);
    this.values = new Float64Array(this.keys.length);
  }

  has(key: number): boolean {
    checkKey(key);
    return this.keys[this.slot(key)] !== EMPTY;
  }

  get(key: number): number | undefined {
    checkKey(key);
    const i = this.slot(key);
    return this.keys[i] === EMPTY ? undefined : this.values[i];
  }

  set(key: number, value: number): void {
    checkKey(key);
    let i = this.slot(key);
    if (this.keys[i] === EMPTY) {
      if (this.full()) {
        this.grow();
        i = this.slot(key);
      }
      this.keys[i] = key + 1;
      this.count++;
    }
    this.values[i] = value;
  }

  /** Adds `by` to the value under `key` (0 if absent) and returns the sum. */
  add(key: number, by: number): number {
    const sum = (this.get(key) ?? 0) + by;
    this.set(key, sum);
    return sum;
  }

  protected grown(old: Float64Array): void {
    const oldValues = this.values;
    this.values = new Float64Array(this.keys.length);
    for (let j = 0; j < old.length; j++) {
      const k = old[j] as number;
      if (k === EMPTY) continue;
      const i = this.slot(k - 1);
      this.keys[i] = k;
      this.values[i] = oldValues[j] as number;
    }
  }
}

/** Maps a LargeMap spreads its keys over: each holds 2^24 entries, so all of them 2^28. */
const SHARDS = 16;

/**
 * A Map from integers (0 to 2^53 - 2) to any values, past the 2^24 entries one Map holds:
 * the keys are spread over SHARDS Maps by their hash. For sparse keys with object values
 * (per-account state that only some accounts have); what is dense belongs in a typed array.
 */
export class LargeMap<V> {
  private readonly shards: Map<number, V>[] = Array.from({ length: SHARDS }, () => new Map<number, V>());

  private shard(key: number): Map<number, V> {
    checkKey(key);
    return this.shards[mixKey(key) % SHARDS] as Map<number, V>;
  }

  get size(): number {
    let n = 0;
    for (const s of this.shards) n += s.size;
    return n;
  }

  has(key: number): boolean {
    return this.shard(key).has(key);
  }

  get(key: number): V | undefined {
    return this.shard(key).get(key);
  }

  set(key: number, value: V): this {
    this.shard(key).set(key, value);
    return this;
  }

  delete(key: number): boolean {
    return this.shard(key).delete(key);
  }

  /** Every entry, shard by shard (insertion order within a shard). */
  *entries(): IterableIterator<[number, V]> {
    for (const s of this.shards) yield* s.entries();
  }

  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries();
  }
}

/** A list of numbers in one Float64Array that doubles when full: 8 bytes an entry, past what an array holds. */
export class NumberList {
  private items = new Float64Array(16);
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(x: number): void {
    if (this.count === this.items.length) {
      const bigger = new Float64Array(Math.min(MAX_SLOTS, this.items.length * 2));
      if (bigger.length === this.items.length) throw new RangeError('list full: typed arrays hold at most 2^32 entries');
      bigger.set(this.items);
      this.items = bigger;
    }
    this.items[this.count++] = x;
  }

  /** The entries so far (a view: pushing may replace the array it views). */
  view(): Float64Array {
    return this.items.subarray(0, this.count);
  }

  *[Symbol.iterator](): IterableIterator<number> {
    for (let i = 0; i < this.count; i++) yield this.items[i] as number;
  }
}

/** Whether the ascending array `sorted` holds `x` (binary search). */
export function sortedHas(sorted: ArrayLike<number>, x: number, from = 0, to = sorted.length): boolean {
  return sortedIndexOf(sorted, x, from, to) >= 0;
}

/** The index of `x` in the ascending range [from, to) of `sorted`, or -1 (binary search). */
export function sortedIndexOf(sorted: ArrayLike<number>, x: number, from = 0, to = sorted.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const v = sorted[mid] as number;
    if (v < x) lo = mid + 1;
    else if (v > x) hi = mid;
    else return mid;
  }
  return -1;
}
