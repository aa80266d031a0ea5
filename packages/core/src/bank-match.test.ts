/**
 * The batched matcher against brute force: the native kernel, its JavaScript twin and
 * matchBank give the same answers, on random banks around the index threshold and
 * larger, with planted near neighbours at r − 1, r and r + 1, duplicates and ties, for
 * radii from 0 to 256 (past 47 both fall back to brute force), by every strategy.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { native } from '@blindspot/native';
import { bankMatcher, matchManyJs, nativeMatcherLoaded, SketchIndex, type BankMatches, type MatchStrategy } from './bank-match';
import { HASH_BYTES, bankEntry, buildBank, matchBank, perturb, randomHash, type HashBank } from './hash';
import { INDEX_FROM_ENTRIES } from './hash-index';
import { Random } from './random';

const NATIVE_BUILD = new URL('../../native/build', import.meta.url);
const STRATEGIES: MatchStrategy[] = ['auto', 'probe', 'sweep', 'brute'];

describe('the native matcher', () => {
  it('is loaded wherever packages/native was built (no silent fallback to the twin)', () => {
    if (process.env.BLINDSPOT_NATIVE === '0') {
      expect(nativeMatcherLoaded()).toBe(false);
      expect(bankMatcher(buildBank(1, 10)).kernel).toBe('js');
    } else if (existsSync(NATIVE_BUILD)) {
      expect(native, `packages/native/build exists but ${native?.path ?? 'the module'} did not load`).not.toBeNull();
      expect(nativeMatcherLoaded()).toBe(true);
      expect(bankMatcher(buildBank(1, 10)).kernel).toBe('native');
      expect(native?.matchKernel()).toMatch(/^(popcnt|builtin|portable)$/);
    } else {
      // No build at all (a machine without a compiler): the twin answers.
      expect(bankMatcher(buildBank(1, 10)).kernel).toBe('js');
    }
  });
});

/**
 * A bank with planted structure, and queries on it: random hashes; perturbed copies of
 * entries at exactly r − 1, r, r + 1 bits; entries duplicated further up the bank (ties
 * at distance 0 and at any distance); two entries planted at the same distance from a
 * query (a tie the lowest index must win); a query with a closer entry above a farther.
 */
function plantedCase(seed: number, size: number, r: number, queries: number): { bank: HashBank; hashes: Uint8Array } {
  const rng = Random.derive(seed, 'planted');
  const bank = buildBank(seed, size);
  const q: Uint8Array[] = [];
  const put = (index: number, hash: Uint8Array) => bank.entries.set(hash, index * HASH_BYTES);
  // Duplicates: a tenth of the bank's low entries copied higher up.
  for (let i = 0; i < Math.min(50, size >> 3); i++) put(size - 1 - rng.int(size >> 1), bankEntry(bank, rng.int(size >> 1)).slice());
  while (q.length < queries) {
    const kind = rng.int(6);
    const d = (x: number) => Math.max(0, Math.min(256, x));
    if (kind === 0) q.push(randomHash(rng));
    else if (kind === 1) q.push(perturb(bankEntry(bank, rng.int(size)), d(r - 1 + rng.int(3)), rng));
    else if (kind === 2) {
      // A tie: two entries at the same distance from the query, the higher one planted first.
      const query = randomHash(rng);
      const dist = d(r - 1 + rng.int(3));
      const a = rng.int(size);
      const b = rng.int(size);
      put(a, perturb(query, dist, rng));
      put(b, perturb(query, dist, rng));
      q.push(query);
    } else if (kind === 3) {
      // A closer entry above a farther one.
      const query = randomHash(rng);
      put(rng.int(Math.max(1, size >> 1)), perturb(query, d(r), rng));
      put((size >> 1) + rng.int(size - (size >> 1)), perturb(query, d(r - 2), rng));
      q.push(query);
    } else if (kind === 4) q.push(bankEntry(bank, rng.int(size)).slice());
    else q.push(perturb(bankEntry(bank, rng.int(size)), rng.int(Math.max(1, 2 * r + 2)), rng));
  }
  const hashes = new Uint8Array(q.length * HASH_BYTES);
  q.forEach((h, i) => {
    hashes.set(h, i * HASH_BYTES);
  });
  return { bank, hashes };
}

function brute(bank: HashBank, hashes: Uint8Array, r: number): BankMatches {
  const n = hashes.length / HASH_BYTES;
  const out = { index: new Int32Array(n).fill(-1), distance: new Int32Array(n).fill(-1) };
  for (let j = 0; j < n; j++) {
    const m = matchBank(bank, hashes.subarray(j * HASH_BYTES, (j + 1) * HASH_BYTES), r);
    if (m) {
      out.index[j] = m.index;
      out.distance[j] = m.distance;
    }
  }
  return out;
}

/** Every kernel and strategy on one case, each against brute force; the number of matches. */
function agree(bank: HashBank, hashes: Uint8Array, r: number, label: string, jsStrategies = STRATEGIES): number {
  const expected = brute(bank, hashes, r);
  const kernels = [bankMatcher(bank, { kernel: 'js', indexFrom: 0 })];
  if (nativeMatcherLoaded()) kernels.push(bankMatcher(bank, { kernel: 'native', indexFrom: 0 }));
  for (const m of kernels) {
    for (const strategy of m.kernel === 'js' ? jsStrategies : STRATEGIES) {
      const got = m.matchMany(hashes, r, strategy);
      expect([...got.index], `${label} ${m.kernel} ${strategy}: index`).toEqual([...expected.index]);
      expect([...got.distance], `${label} ${m.kernel} ${strategy}: distance`).toEqual([...expected.distance]);
    }
  }
  // The default matcher (brute force below the index threshold, the index from it).
  const auto = bankMatcher(bank).matchMany(hashes, r);
  expect([...auto.index], `${label} default matcher`).toEqual([...expected.index]);
  expect([...auto.distance], `${label} default matcher`).toEqual([...expected.distance]);
  return expected.index.filter((i) => i >= 0).length;
}

describe('matchMany: native == JavaScript twin == brute force', () => {
  const radius = fc.oneof(
    fc.constantFrom(0, 1, 15, 16, 17, 30, 31, 32, 33, 47, 48, 64, 255, 256),
    fc.integer({ min: 0, max: 256 }),
    fc.integer({ min: 0, max: 47 }),
  );

  it('on banks around the index threshold', () => {
    let matched = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(1, 7, 100, INDEX_FROM_ENTRIES - 1, INDEX_FROM_ENTRIES, INDEX_FROM_ENTRIES + 1, 9_000),
        radius,
        (seed, size, r) => {
          const { bank, hashes } = plantedCase(seed, size, r, 120);
          matched += agree(bank, hashes, r, `seed ${seed}, bank ${size}, r ${r}`);
        },
      ),
      { numRuns: 40, seed: 20251201 },
    );
    // The property is only worth something if many queries did match.
    expect(matched).toBeGreaterThan(1_500);
  }, 180_000);

  it('on larger banks, with batches big enough for the sweep to be chosen', () => {
    let matched = 0;
    for (const [seed, size, r] of [
      [11, 40_000, 31],
      [12, 25_000, 30],
      [13, 15_000, 47],
      [14, 15_000, 15],
    ] as const) {
      // 3,000 queries: n × 17 probes ≥ 3/4 × 2^16, so auto sweeps at r 16..47 (and probes at r < 16).
      // The twin's brute strategy is matchBank itself: it is left to the smaller banks.
      const { bank, hashes } = plantedCase(seed, size, r, 3_000);
      matched += agree(bank, hashes, r, `seed ${seed}, bank ${size}, r ${r}`, ['auto', 'probe', 'sweep']);
    }
    expect(matched).toBeGreaterThan(3_000);
  }, 180_000);

  it('finds the lowest index among equally close entries', () => {
    const bank = buildBank(9, 6_000);
    bank.words.set(bank.words.subarray(10 * 8, 11 * 8), 3000 * 8);
    bank.words.set(bank.words.subarray(10 * 8, 11 * 8), 5999 * 8);
    const query = perturb(bankEntry(bank, 10), 7, Random.derive(1, 'tie'));
    for (const kernel of nativeMatcherLoaded() ? (['js', 'native'] as const) : (['js'] as const)) {
      const m = bankMatcher(bank, { kernel });
      for (const strategy of STRATEGIES) {
        const r = m.matchMany(query, 31, strategy);
        expect([r.index[0], r.distance[0]], `${kernel} ${strategy}`).toEqual([10, 7]);
      }
      expect(m.match(query, 31)).toEqual({ index: 10, distance: 7 });
      expect(m.match(query, 6)).toBeNull();
    }
  });

  it('answers an empty batch, and an empty bank', () => {
    for (const kernel of nativeMatcherLoaded() ? (['js', 'native'] as const) : (['js'] as const)) {
      const m = bankMatcher(buildBank(3, 5_000), { kernel });
      expect(m.matchMany(new Uint8Array(0), 31)).toEqual({ index: new Int32Array(0), distance: new Int32Array(0) });
      const empty = bankMatcher(buildBank(3, 0), { kernel, indexFrom: 0 });
      for (const strategy of STRATEGIES) expect([...empty.matchMany(new Uint8Array(64), 31, strategy).index]).toEqual([-1, -1]);
    }
  });
});

describe('matchMany refuses malformed arguments (throws, never crashes)', () => {
  const bank = buildBank(5, 5_000);
  const q = new Uint8Array(64);
  it.each(['js', 'native'] as const)('%s', (kernel) => {
    if (kernel === 'native' && !nativeMatcherLoaded()) {
      expect(() => bankMatcher(bank, { kernel })).toThrow(/not loaded/);
      return;
    }
    const m = bankMatcher(bank, { kernel });
    for (const d of [-1, 257, 31.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => m.matchMany(q, d), `distance ${d}`).toThrow(RangeError);
    expect(() => m.matchMany(q, '31' as unknown as number)).toThrow(TypeError);
    expect(() => m.matchMany(new Uint8Array(33), 31)).toThrow(RangeError);
    expect(() => m.matchMany(new Uint32Array(16) as unknown as Uint8Array, 31)).toThrow(TypeError);
    expect(() => m.match(q, 31)).toThrow(RangeError);
  });

  it('native: the kernel checks every argument itself', () => {
    if (!native || !nativeMatcherLoaded()) {
      expect(existsSync(NATIVE_BUILD) && process.env.BLINDSPOT_NATIVE !== '0').toBe(false);
      return;
    }
    const k = native;
    const index = k.matchIndex(bank.entries);
    // 16 tables of 2^16 + 1 offsets and, per entry, a 12-byte sketch and a 4-byte id; and the index's own header.
    const tables = 16 * (65_537 * 4 + bank.size * 16);
    expect(k.matchIndexBytes(index) - tables).toBeGreaterThanOrEqual(0);
    expect(k.matchIndexBytes(index) - tables).toBeLessThan(256);
    const oi = new Int32Array(2);
    const od = new Int32Array(2);
    const bad: [string, () => unknown, ErrorConstructor][] = [
      ['no arguments', () => (k.matchMany as unknown as () => void)(), TypeError],
      ['index not an index', () => k.matchMany({} as never, bank.entries, q, 31, oi, od), TypeError],
      ['index a buffer', () => k.matchMany(Buffer.alloc(8) as never, bank.entries, q, 31, oi, od), TypeError],
      ['entries of another size', () => k.matchMany(index, bank.entries.subarray(32), q, 31, oi, od), RangeError],
      ['entries not bytes', () => k.matchMany(index, bank.words as never, q, 31, oi, od), TypeError],
      ['queries not whole hashes', () => k.matchMany(index, bank.entries, q.subarray(1), 31, oi, od), RangeError],
      ['outputs too short', () => k.matchMany(index, bank.entries, q, 31, new Int32Array(1), od), RangeError],
      ['outputs too long', () => k.matchMany(index, bank.entries, q, 31, oi, new Int32Array(3)), RangeError],
      ['outputs of the wrong type', () => k.matchMany(index, bank.entries, q, 31, new Uint32Array(2) as never, od), TypeError],
      ['distance fractional', () => k.matchMany(index, bank.entries, q, 1.5, oi, od), RangeError],
      ['distance negative', () => k.matchMany(index, bank.entries, q, -1, oi, od), RangeError],
      ['distance too large', () => k.matchMany(index, bank.entries, q, 257, oi, od), RangeError],
      ['distance not a number', () => k.matchMany(index, bank.entries, q, '31' as never, oi, od), TypeError],
      ['strategy unknown', () => k.matchMany(index, bank.entries, q, 31, oi, od, 4), RangeError],
      ['probe without an index', () => k.matchMany(null, bank.entries, q, 31, oi, od, 1), RangeError],
      ['index of a non-hash bank', () => k.matchIndex(new Uint8Array(33)), RangeError],
      ['index of no bytes', () => k.matchIndex('bank' as never), TypeError],
    ];
    for (const [what, call, type] of bad) expect(call, what).toThrow(type);
    // And it still answers afterwards.
    k.matchMany(index, bank.entries, bankEntry(bank, 7), 31, oi.subarray(0, 1), od.subarray(0, 1));
    expect([oi[0], od[0]]).toEqual([7, 0]);
  });
});

describe('the JavaScript twin on its own', () => {
  it('holds the same tables as it says (256 bytes per entry and 4 MiB of offsets)', () => {
    const bank = buildBank(2, 10_000);
    const ix = new SketchIndex(bank);
    expect(ix.bytes).toBe(16 * 10_000 * 16 + 16 * 65_537 * 4);
    const { hashes } = plantedCase(2, 10_000, 31, 50);
    expect(matchManyJs(ix, bank, hashes, 31)).toEqual(brute(bank, hashes, 31));
  });
});

describe('the native matcher in worker threads', () => {
  it('answers in two threads at once what brute force answers here', async () => {
    if (!native || !nativeMatcherLoaded()) {
      expect(existsSync(NATIVE_BUILD) && process.env.BLINDSPOT_NATIVE !== '0').toBe(false);
      return;
    }
    const { bank, hashes } = plantedCase(21, 30_000, 31, 3_000);
    const expected = brute(bank, hashes, 31);
    // Each thread loads the module itself and builds its own index from a copy of the bank.
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const k = require(workerData.path);
      const index = k.matchIndex(workerData.entries);
      const n = workerData.hashes.length / 32;
      const out = [];
      for (const strategy of [0, 1, 2, 3]) {
        const oi = new Int32Array(n), od = new Int32Array(n);
        k.matchMany(strategy === 3 ? null : index, workerData.entries, workerData.hashes, 31, oi, od, strategy);
        out.push([Array.from(oi), Array.from(od)]);
      }
      parentPort.postMessage(out);`;
    const run = () =>
      new Promise<[number[], number[]][]>((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { path: native?.path, entries: bank.entries.slice(), hashes: hashes.slice() } });
        w.once('message', resolve);
        w.once('error', reject);
      });
    const results = await Promise.all([run(), run()]);
    for (const perThread of results) {
      for (const [index, distance] of perThread) {
        expect(index).toEqual([...expected.index]);
        expect(distance).toEqual([...expected.distance]);
      }
    }
    expect(expected.index.filter((i) => i >= 0).length).toBeGreaterThan(1_000);
  });
});
