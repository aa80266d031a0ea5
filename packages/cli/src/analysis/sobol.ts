/**
 * Variance-based sensitivity indices (Sobol'), with the sampling design and estimators
 * of A. Saltelli et al., "Variance based sensitivity analysis of model output. Design and
 * estimator for the total sensitivity index", Computer Physics Communications 181, 2010,
 * 259–270: two independent N × k samples A and B of the unit cube, and for each factor i
 * the matrix A_B(i), A with its column i taken from B, N (k + 2) runs in all.
 *
 *   first-order  S_i  = (1/N) Σ f(B) (f(A_B(i)) − f(A)) / V        (Saltelli 2010, table 2 (b))
 *   total        ST_i = (1/2N) Σ (f(A) − f(A_B(i)))² / V           (Jansen 1999; table 2 (f))
 *
 * with V the variance of f over A and B together. S_i is the share of the output's
 * variance the factor causes alone; ST_i the share it has any part in (alone or with
 * others), so a factor with ST_i near 0 can be fixed anywhere in its range. Intervals:
 * 95% percentile bootstrap over the N rows (1000 resamples).
 */
import { Random } from '@blindspot/core';

export interface SobolDesign {
  factors: number;
  samples: number;
  /** Row j: the points A_j, B_j and A_B(i)_j for each factor i, in that order (k + 2 points). */
  rows: number[][][];
}

/** The Saltelli design: `samples` rows of k + 2 points each, drawn from (seed). */
export function sobolDesign(factors: number, samples: number, seed: number): SobolDesign {
  if (!(Number.isInteger(factors) && factors >= 1)) throw new RangeError('sobolDesign: at least one factor');
  if (!(Number.isInteger(samples) && samples >= 2)) throw new RangeError('sobolDesign: at least two samples');
  const random = Random.derive(seed, 'sobol design');
  const rows: number[][][] = [];
  for (let j = 0; j < samples; j++) {
    const a = Array.from({ length: factors }, () => random.next());
    const b = Array.from({ length: factors }, () => random.next());
    const mixed = Array.from({ length: factors }, (_, i) => a.map((x, c) => (c === i ? (b[c] as number) : x)));
    rows.push([a, b, ...mixed]);
  }
  return { factors, samples, rows };
}

export interface SobolIndex {
  first: number;
  firstLow: number;
  firstHigh: number;
  total: number;
  totalLow: number;
  totalHigh: number;
}

function indices(ys: readonly (readonly number[])[], k: number, rows: readonly number[]): { first: number[]; total: number[] } {
  const all: number[] = [];
  for (const j of rows) all.push(ys[j]?.[0] as number, ys[j]?.[1] as number);
  const m = all.reduce((s, x) => s + x, 0) / all.length;
  const v = all.reduce((s, x) => s + (x - m) * (x - m), 0) / (all.length - 1);
  const first = new Array<number>(k).fill(0);
  const total = new Array<number>(k).fill(0);
  if (!(v > 0)) return { first, total };
  for (let i = 0; i < k; i++) {
    let s = 0;
    let t = 0;
    for (const j of rows) {
      const y = ys[j] as number[];
      const fa = y[0] as number;
      const fb = y[1] as number;
      const fab = y[2 + i] as number;
      s += fb * (fab - fa);
      t += (fa - fab) * (fa - fab);
    }
    first[i] = s / rows.length / v;
    total[i] = t / (2 * rows.length) / v;
  }
  return { first, total };
}

/** Each factor's first-order and total index with bootstrap intervals, from the outputs of the design's rows (k + 2 each). */
export function sobolIndices(design: SobolDesign, outputs: readonly (readonly number[])[], seed: number, resamples = 1000): SobolIndex[] {
  const k = design.factors;
  // Rows whose output could not be computed at some point give nothing.
  const usable = outputs.flatMap((y, j) => (y.length === k + 2 && y.every(Number.isFinite) ? [j] : []));
  if (usable.length < 2) throw new RangeError('sobolIndices: fewer than two rows have an output at every point');
  const point = indices(outputs, k, usable);
  const random = Random.derive(seed, 'sobol bootstrap');
  const firsts: number[][] = Array.from({ length: k }, () => []);
  const totals: number[][] = Array.from({ length: k }, () => []);
  for (let b = 0; b < resamples; b++) {
    const rows = usable.map(() => usable[random.int(usable.length)] as number);
    const r = indices(outputs, k, rows);
    for (let i = 0; i < k; i++) {
      firsts[i]?.push(r.first[i] as number);
      totals[i]?.push(r.total[i] as number);
    }
  }
  const q = (xs: number[], p: number) => {
    const s = [...xs].sort((x, y) => x - y);
    return s[Math.min(s.length - 1, Math.max(0, Math.floor(p * s.length)))] as number;
  };
  return Array.from({ length: k }, (_, i) => ({
    first: point.first[i] as number,
    firstLow: q(firsts[i] as number[], 0.025),
    firstHigh: q(firsts[i] as number[], 0.975),
    total: point.total[i] as number,
    totalLow: q(totals[i] as number[], 0.025),
    totalHigh: q(totals[i] as number[], 0.975),
  }));
}
