import { describe, expect, it } from 'vitest';
import { Random } from './random';

function draws(rng: Random, n: number): number[] {
  return Array.from({ length: n }, () => rng.uint32());
}

describe('Random.derive', () => {
  it('gives the same sequence for the same (seed, label)', () => {
    const a = Random.derive(12345, 'traffic');
    const b = Random.derive(12345, 'traffic');
    expect(draws(a, 200)).toEqual(draws(b, 200));
  });

  it('gives different sequences for different labels', () => {
    const a = draws(Random.derive(12345, 'traffic'), 50);
    const b = draws(Random.derive(12345, 'population'), 50);
    expect(a).not.toEqual(b);
    // Not merely shifted or mostly equal: independent streams share almost no values.
    const shared = a.filter((x) => b.includes(x)).length;
    expect(shared).toBeLessThan(3);
  });

  it('gives different sequences for different seeds, including seeds that differ only above 2^32', () => {
    expect(draws(Random.derive(1, 'x'), 20)).not.toEqual(draws(Random.derive(2, 'x'), 20));
    expect(draws(Random.derive(7, 'x'), 20)).not.toEqual(draws(Random.derive(7 + 2 ** 32, 'x'), 20));
    expect(draws(Random.derive(0, 'x'), 20)).not.toEqual(draws(Random.derive(2 ** 40, 'x'), 20));
  });

  it('produces unsigned 32-bit integers', () => {
    const rng = Random.derive(99, 'u32');
    for (const x of draws(rng, 5000)) {
      expect(Number.isInteger(x)).toBe(true);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(2 ** 32);
    }
  });
});

describe('Random draws', () => {
  it('next() is in [0, 1)', () => {
    const rng = Random.derive(1, 'next');
    let sum = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
    }
    // Uniform mean 0.5, sd of the mean ~0.002.
    expect(Math.abs(sum / 20_000 - 0.5)).toBeLessThan(0.02);
  });

  it('int(n) is an integer in [0, n) and reaches every value', () => {
    const rng = Random.derive(3, 'int');
    for (const n of [1, 2, 3, 7, 10, 1000]) {
      const seen = new Set<number>();
      for (let i = 0; i < 20 * n + 200; i++) {
        const x = rng.int(n);
        expect(Number.isInteger(x)).toBe(true);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThan(n);
        seen.add(x);
      }
      if (n <= 10) expect(seen.size).toBe(n);
    }
  });

  it('chance(0) is never true and chance(1) always is', () => {
    const rng = Random.derive(4, 'chance');
    for (let i = 0; i < 1000; i++) {
      expect(rng.chance(0)).toBe(false);
      expect(rng.chance(1)).toBe(true);
    }
  });

  it.each([0.05, 0.5, 3, 20, 59, 61, 250])('poisson(%s) has mean and variance about lambda', (lambda) => {
    const rng = Random.derive(5, `poisson-${lambda}`);
    const n = 20_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const k = rng.poisson(lambda);
      expect(Number.isInteger(k)).toBe(true);
      expect(k).toBeGreaterThanOrEqual(0);
      sum += k;
      sumSq += k * k;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    // Six standard errors of the mean, plus a little for the normal approximation's rounding.
    expect(Math.abs(mean - lambda)).toBeLessThan(6 * Math.sqrt(lambda / n) + 0.01);
    expect(variance).toBeGreaterThan(lambda * 0.85);
    expect(variance).toBeLessThan(lambda * 1.15 + 0.01);
  });

  it('poisson of zero or a negative rate is 0', () => {
    const rng = Random.derive(6, 'p0');
    for (let i = 0; i < 100; i++) {
      expect(rng.poisson(0)).toBe(0);
      expect(rng.poisson(-3)).toBe(0);
    }
  });

  it('exponential has about the given mean and is non-negative', () => {
    const rng = Random.derive(7, 'exp');
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const x = rng.exponential(6);
      expect(x).toBeGreaterThanOrEqual(0);
      sum += x;
    }
    expect(Math.abs(sum / n - 6)).toBeLessThan(6 * (6 / Math.sqrt(n)));
  });

  it('normal has about the given mean and sd', () => {
    const rng = Random.derive(8, 'normal');
    const n = 20_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.normal(10, 2);
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / n;
    const sd = Math.sqrt(sumSq / n - mean * mean);
    expect(Math.abs(mean - 10)).toBeLessThan(0.1);
    expect(Math.abs(sd - 2)).toBeLessThan(0.1);
  });

  it('fill() is deterministic, covers lengths that are not multiples of 4, and uses all byte values', () => {
    const a = Random.derive(9, 'fill').fill(new Uint8Array(4099));
    const b = Random.derive(9, 'fill').fill(new Uint8Array(4099));
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(256);
    // The tail beyond the last whole word is filled too (not left at zero).
    const tails = Array.from({ length: 50 }, (_, i) => Random.derive(i, 'tail').fill(new Uint8Array(7))[6]);
    expect(tails.some((x) => x !== 0)).toBe(true);
  });
});

describe('Random.shuffle', () => {
  it('returns the same array, permuted', () => {
    const rng = Random.derive(10, 'shuffle');
    for (const n of [0, 1, 2, 5, 50, 500]) {
      const items = Array.from({ length: n }, (_, i) => i);
      const out = rng.shuffle(items);
      expect(out).toBe(items);
      expect([...out].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
      if (n >= 50) expect(out).not.toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });

  it('puts every element in every position about equally often', () => {
    const rng = Random.derive(11, 'shuffle-uniform');
    const n = 4;
    const trials = 24_000;
    const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let t = 0; t < trials; t++) {
      const out = rng.shuffle([0, 1, 2, 3]);
      out.forEach((v, pos) => {
        (counts[v] as number[])[pos]! += 1;
      });
    }
    for (const row of counts) for (const c of row) expect(Math.abs(c - trials / n)).toBeLessThan(400);
  });

  it('is deterministic for the same stream', () => {
    const a = Random.derive(12, 's').shuffle(Array.from({ length: 100 }, (_, i) => i));
    const b = Random.derive(12, 's').shuffle(Array.from({ length: 100 }, (_, i) => i));
    expect(a).toEqual(b);
  });
});
