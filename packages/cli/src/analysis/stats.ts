/**
 * The statistics of replications: means, Student-t intervals, paired changes and ratios.
 *
 * The t quantile is the inverse of the t distribution's CDF, computed from the
 * regularized incomplete beta function (Abramowitz & Stegun 26.7.1 and 26.5.8; the
 * continued fraction evaluated by the modified Lentz method, Press et al., Numerical
 * Recipes, 3rd ed., §6.4) and inverted by bisection to double precision.
 */

/** ln Γ(x) for x > 0: Lanczos's approximation (g = 7, 9 terms; Numerical Recipes §6.1), error below 1e-15. */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The continued fraction of I_x(a, b) (Numerical Recipes §6.4, modified Lentz). */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), 0 ≤ x ≤ 1. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast on this side of the mean; use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) on the other.
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(x, a, b)) / a : 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function tCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p quantile of Student's t with `df` degrees of freedom (0 < p < 1, df > 0). */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`tQuantile: p must be between 0 and 1, got ${p}`);
  if (!(df > 0)) throw new RangeError(`tQuantile: df must be positive, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The confidence level of every interval Blindspot shows. */
export const LEVEL = 0.95;

/** A mean with its interval; `low`/`high` are null with fewer than two values. */
export interface Estimate {
  mean: number;
  /** The interval at LEVEL; null with fewer than two values. */
  low: number | null;
  high: number | null;
  /** Half the interval's width (t × standard error); null with fewer than two values. */
  halfWidth: number | null;
  /** Sample standard deviation of the values; null with fewer than two. */
  sd: number | null;
  n: number;
}

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length === 0 ? Number.NaN : s / xs.length;
}

export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

/** The t multiplier of an interval at `level` from n values. */
export const tMultiplier = (n: number, level = LEVEL) => tQuantile(1 - (1 - level) / 2, n - 1);

function estimateOf(m: number, sd: number, n: number, se: number, level: number): Estimate {
  if (n < 2 || !Number.isFinite(se)) return { mean: m, low: null, high: null, halfWidth: null, sd: n < 2 ? null : sd, n };
  const h = tMultiplier(n, level) * se;
  return { mean: m, low: m - h, high: m + h, halfWidth: h, sd, n };
}

/** The mean of independent replications and its Student-t interval: mean ± t(n−1) · s/√n. */
export function estimate(xs: readonly number[], level = LEVEL): Estimate {
  const n = xs.length;
  const sd = sampleSd(xs);
  return estimateOf(mean(xs), sd, n, sd / Math.sqrt(n), level);
}

/**
 * The change b − a from paired replications (replication i of both at the same seed):
 * the t interval of the differences. With common random numbers the differences vary
 * less than either run, so this interval is the narrow one.
 */
export function pairedDifference(a: readonly number[], b: readonly number[], level = LEVEL): Estimate {
  if (a.length !== b.length) throw new RangeError('pairedDifference: the two lists differ in length');
  return estimate(
    a.map((x, i) => (b[i] as number) - x),
    level,
  );
}

/**
 * The change b − a as if the runs were independent (Welch's interval, with the
 * Welch–Satterthwaite degrees of freedom): what the interval would be without common
 * random numbers, shown beside the paired one.
 */
export function unpairedDifference(a: readonly number[], b: readonly number[], level = LEVEL): Estimate {
  const n = Math.min(a.length, b.length);
  const m = mean(b) - mean(a);
  if (a.length < 2 || b.length < 2) return { mean: m, low: null, high: null, halfWidth: null, sd: null, n };
  const va = sampleSd(a) ** 2 / a.length;
  const vb = sampleSd(b) ** 2 / b.length;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { mean: m, low: m, high: m, halfWidth: 0, sd: 0, n };
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const h = tQuantile(1 - (1 - level) / 2, df) * se;
  return { mean: m, low: m - h, high: m + h, halfWidth: h, sd: null, n };
}

/**
 * The ratio of means mean(b) / mean(a) from paired replications, with the delta-method
 * interval of a ratio estimator: R ± t(n−1) · s(b − R·a) / (√n · mean(a)) (Cochran,
 * Sampling Techniques, 3rd ed., §6.4). Null when mean(a) is 0.
 */
export function pairedRatio(a: readonly number[], b: readonly number[], level = LEVEL): Estimate | null {
  if (a.length !== b.length) throw new RangeError('pairedRatio: the two lists differ in length');
  const ma = mean(a);
  if (!(ma !== 0)) return null;
  const r = mean(b) / ma;
  const residuals = a.map((x, i) => (b[i] as number) - r * x);
  const sd = sampleSd(residuals);
  // sd: the spread of one replication's ratio, s(b − R·a) / |mean(a)|, so that replicationsFor applies.
  return estimateOf(r, sd / Math.abs(ma), a.length, sd / (Math.sqrt(a.length) * Math.abs(ma)), level);
}

/**
 * How many replications give an interval of half-width `target` for values whose
 * standard deviation is `sd`: the smallest n with t(n−1) · sd/√n ≤ target.
 */
export function replicationsFor(sd: number, target: number, level = LEVEL): number {
  if (!(target > 0)) throw new RangeError('replicationsFor: the target half-width must be positive');
  if (sd === 0) return 2;
  for (let n = 2; n < 1_000_000; n++) if (tMultiplier(n, level) * (sd / Math.sqrt(n)) <= target) return n;
  return 1_000_000;
}
