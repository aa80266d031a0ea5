import { describe, expect, it } from 'vitest';
import { estimate, incompleteBeta, logGamma, pairedDifference, pairedRatio, replicationsFor, tCdf, tQuantile, unpairedDifference } from './stats';

describe('t quantile', () => {
  // Reference values: R's qt(p, df).
  it.each([
    [1, 12.7062047361747],
    [2, 4.302652729749464],
    [4, 2.7764451051977934],
    [9, 2.262157162798205],
    [29, 2.045229642132703],
    [99, 1.9842169515864165],
    [1000, 1.9623390808264078],
  ])('qt(0.975, %i)', (df, want) => {
    expect(tQuantile(0.975, df)).toBeCloseTo(want, 10);
  });

  it('matches other levels and is symmetric', () => {
    expect(tQuantile(0.995, 9)).toBeCloseTo(3.249835542, 8);
    expect(tQuantile(0.9, 3)).toBeCloseTo(1.6377443536962102, 10);
    expect(tQuantile(0.025, 9)).toBeCloseTo(-2.262157162798205, 10);
    expect(tQuantile(0.5, 5)).toBe(0);
    // Half degrees of freedom (Welch) are allowed.
    expect(tQuantile(0.975, 7.5)).toBeGreaterThan(tQuantile(0.975, 8));
    expect(tQuantile(0.975, 7.5)).toBeLessThan(tQuantile(0.975, 7));
  });

  it('inverts the CDF', () => {
    for (const df of [1, 3, 12.5, 40]) for (const p of [0.6, 0.9, 0.975, 0.999]) expect(tCdf(tQuantile(p, df), df)).toBeCloseTo(p, 12);
  });

  it('refuses what has no quantile', () => {
    expect(() => tQuantile(1, 3)).toThrow(/p must be between 0 and 1/);
    expect(() => tQuantile(0.9, 0)).toThrow(/df must be positive/);
  });

  it('has the special functions right', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    // I_x(1, 1) = x; I_x(2, 3) = 6x² − 8x³ + 3x⁴, which is 0.3483 at 0.3.
    expect(incompleteBeta(0.37, 1, 1)).toBeCloseTo(0.37, 12);
    expect(incompleteBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 12);
  });
});

describe('estimates', () => {
  it('gives the mean and the t interval', () => {
    const e = estimate([1, 2, 3, 4, 5]);
    expect(e.mean).toBe(3);
    expect(e.sd).toBeCloseTo(Math.sqrt(2.5), 12);
    const h = 2.7764451051977934 * (Math.sqrt(2.5) / Math.sqrt(5));
    expect(e.halfWidth).toBeCloseTo(h, 10);
    expect(e.low).toBeCloseTo(3 - h, 10);
    expect(e.high).toBeCloseTo(3 + h, 10);
  });

  it('has no interval from one value', () => {
    expect(estimate([7])).toEqual({ mean: 7, low: null, high: null, halfWidth: null, sd: null, n: 1 });
  });

  it('pairs replications: a shared shift cancels', () => {
    const a = [10, 20, 30, 40];
    const b = [12, 22, 32, 42];
    const paired = pairedDifference(a, b);
    expect(paired.mean).toBe(2);
    expect(paired.halfWidth).toBe(0);
    const unpaired = unpairedDifference(a, b);
    expect(unpaired.mean).toBe(2);
    expect(unpaired.halfWidth as number).toBeGreaterThan(10);
  });

  it('gives the ratio of means with its interval', () => {
    const a = [100, 110, 90, 105];
    const b = a.map((x) => x * 0.3);
    const r = pairedRatio(a, b);
    expect(r?.mean).toBeCloseTo(0.3, 12);
    expect(r?.halfWidth).toBeCloseTo(0, 12);
    const noisy = pairedRatio(a, [31, 32, 28, 30]);
    expect(noisy?.low as number).toBeLessThan(noisy?.mean as number);
    expect(noisy?.high as number).toBeGreaterThan(noisy?.mean as number);
    expect(pairedRatio([0, 0], [1, 2])).toBeNull();
  });

  it('says how many replications a precision needs', () => {
    // sd 10, half-width 2: n with t(n−1)·10/√n ≤ 2 is 99 (1.984·10/√99 = 1.994; n = 98 gives 2.005).
    expect(replicationsFor(10, 2)).toBe(99);
    expect(replicationsFor(0, 1)).toBe(2);
  });
});
