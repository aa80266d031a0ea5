/**
 * The tables past what a Map or a Set holds (2^24 entries), and exact below it: every
 * key kept, none confused, against a Set or Map on the same keys.
 */
import { describe, expect, it } from 'vitest';
import { Random } from './random';
import { LargeMap, NumberList, NumberMap, NumberSet, mixKey, sortedHas, sortedIndexOf } from './tables';

const PAST_A_SET = 2 ** 24 + 1_000;

/** Keys as the population makes them: pairs a·users + b of ten million accounts. */
const pairKey = (rng: Random) => {
  const users = 10_000_000;
  const a = rng.int(users);
  const b = rng.int(users);
  return a < b ? a * users + b : b * users + a;
};

describe('NumberSet', () => {
  it('answers as a Set does, growing from nothing', () => {
    const rng = Random.derive(1, 'set');
    const set = new NumberSet();
    const want = new Set<number>();
    let wrong = 0;
    for (let i = 0; i < 200_000; i++) {
      // Repeats on purpose: a small range.
      const k = i % 3 === 0 ? rng.int(50_000) : pairKey(rng);
      if (set.add(k) === want.has(k)) wrong++;
      want.add(k);
    }
    expect(set.size).toBe(want.size);
    for (const k of want) if (!set.has(k)) wrong++;
    for (let i = 0; i < 50_000; i++) {
      const k = pairKey(rng);
      if (set.has(k) !== want.has(k)) wrong++;
    }
    expect(wrong).toBe(0);
    const keys: number[] = [];
    set.forEachKey((k) => keys.push(k));
    expect(keys.sort((a, b) => a - b)).toEqual([...want].sort((a, b) => a - b));
  });

  it('holds keys from 0 to 2^53 - 2 and refuses others', () => {
    const set = new NumberSet(4);
    for (const k of [0, 1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER - 1]) expect(set.add(k)).toBe(true);
    expect(set.has(2 ** 32 - 1)).toBe(false);
    expect(set.size).toBe(5);
    for (const bad of [-1, Number.MAX_SAFE_INTEGER, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => set.add(bad)).toThrow(RangeError);
  });

  it('sized for what it will hold, it never grows', () => {
    const set = new NumberSet(1_000);
    const capacity = set.capacity;
    for (let k = 0; k < 1_000; k++) set.add(k * 7919);
    expect(set.capacity).toBe(capacity);
    expect(capacity).toBeLessThan(1_500);
  });

  it(`holds more than a Set can (${PAST_A_SET} keys), the population's pairs of ten million accounts`, () => {
    const rng = Random.derive(2, 'big');
    const set = new NumberSet(PAST_A_SET);
    const first: number[] = [];
    let added = 0;
    while (set.size < PAST_A_SET) {
      const k = pairKey(rng);
      if (set.add(k)) added++;
      if (first.length < 1_000) first.push(k);
    }
    expect(added).toBe(PAST_A_SET);
    expect(set.size).toBeGreaterThan(2 ** 24);
    for (const k of first) expect(set.has(k)).toBe(true);
    for (const k of first) expect(set.add(k)).toBe(false);
    expect(set.size).toBe(PAST_A_SET);
  }, 60_000);
});

describe('NumberMap', () => {
  it('answers as a Map does, growing from nothing', () => {
    const rng = Random.derive(3, 'map');
    const map = new NumberMap();
    const want = new Map<number, number>();
    let wrong = 0;
    for (let i = 0; i < 100_000; i++) {
      const k = i % 2 === 0 ? rng.int(20_000) : pairKey(rng);
      if (map.add(k, 1) !== (want.get(k) ?? 0) + 1) wrong++;
      want.set(k, (want.get(k) ?? 0) + 1);
    }
    map.set(12, 0.5);
    want.set(12, 0.5);
    expect(map.size).toBe(want.size);
    for (const [k, v] of want) if (map.get(k) !== v) wrong++;
    expect(wrong).toBe(0);
    expect(map.get(10_000_000 * 10_000_000)).toBeUndefined();
    expect(map.has(12)).toBe(true);
  });
});

describe('LargeMap', () => {
  it('answers as a Map does', () => {
    const rng = Random.derive(4, 'large');
    const map = new LargeMap<{ n: number }>();
    const want = new Map<number, { n: number }>();
    let wrong = 0;
    for (let i = 0; i < 50_000; i++) {
      const k = rng.int(30_000);
      if (i % 5 === 4) {
        if (map.delete(k) !== want.delete(k)) wrong++;
        continue;
      }
      const v = { n: i };
      map.set(k, v);
      want.set(k, v);
    }
    expect(wrong).toBe(0);
    expect(map.size).toBe(want.size);
    expect(new Map([...map])).toEqual(want);
    expect(map.has(30_001)).toBe(false);
  });

  it(`holds more than a Map can (${PAST_A_SET} entries)`, () => {
    const map = new LargeMap<number>();
    for (let k = 0; k < PAST_A_SET; k++) map.set(k, k);
    expect(map.size).toBe(PAST_A_SET);
    for (let k = 0; k < PAST_A_SET; k += 9_973) expect(map.get(k)).toBe(k);
    expect(map.get(PAST_A_SET)).toBeUndefined();
  }, 60_000);
});

describe('NumberList', () => {
  it('keeps what is pushed, in order', () => {
    const list = new NumberList();
    const want: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      list.push(i * 1.5);
      want.push(i * 1.5);
    }
    expect(list.length).toBe(10_000);
    expect([...list]).toEqual(want);
    expect(Array.from(list.view())).toEqual(want);
  });
});

describe('sorted search', () => {
  it('finds what an ascending range holds, and only that', () => {
    const sorted = Int32Array.from([2, 3, 5, 8, 13, 21, 34]);
    expect(sortedIndexOf(sorted, 13)).toBe(4);
    expect(sortedIndexOf(sorted, 4)).toBe(-1);
    expect(sortedIndexOf(sorted, 2, 1)).toBe(-1);
    expect(sortedIndexOf(sorted, 34, 0, 6)).toBe(-1);
    expect([...sorted].every((x) => sortedHas(sorted, x))).toBe(true);
    expect(sortedHas(new Int32Array(0), 0)).toBe(false);
  });

  it('spreads keys over the hash evenly', () => {
    const buckets = new Int32Array(16);
    for (let k = 0; k < 160_000; k++) {
      const b = mixKey(k * 10_000_000) % 16;
      buckets[b] = (buckets[b] as number) + 1;
    }
    for (const n of buckets) expect(Math.abs(n - 10_000)).toBeLessThan(500);
  });
});
