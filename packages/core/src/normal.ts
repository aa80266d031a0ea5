/** The normal distribution's tail, for the memory model's estimate of what routes flag. */

/** P(X ≥ x) for X normal (sd 0: a step). Abramowitz & Stegun 7.1.26, error below 1e-7. */
export function upperTail(x: number, mean: number, sd: number): number {
  if (!(sd > 0)) return mean >= x ? 1 : 0;
  const z = (x - mean) / (sd * Math.SQRT2);
  const t = 1 / (1 + 0.3275911 * Math.abs(z));
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-z * z);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** Share of scores (clipped to 0..1) at or above a threshold. */
export function shareAbove(threshold: number, d: { mean: number; sd: number }): number {
  return threshold <= 0 ? 1 : threshold > 1 ? 0 : upperTail(threshold, d.mean, d.sd);
}
