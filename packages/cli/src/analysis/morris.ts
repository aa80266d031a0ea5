/**
 * Morris's elementary-effects screening (M. D. Morris, "Factorial sampling plans for
 * preliminary computational experiments", Technometrics 33(2), 1991, 161–174), with the
 * μ* measure of Campolongo, Cariboni and Saltelli ("An effective screening design for
 * sensitivity analysis of large models", Environmental Modelling & Software 22, 2007,
 * 1509–1518).
 *
 * Each of k factors is scaled to [0, 1] over its range and takes one of p levels
 * {0, 1/(p−1), …, 1}. A trajectory starts at a random grid point and moves one factor
 * at a time, in random order, by Δ = p / (2(p − 1)) (up where it can, else down): k + 1
 * runs give one elementary effect per factor, EE_i = (y(x ± Δ e_i) − y(x)) / (±Δ), the
 * change of the output per whole range of the factor. Over r trajectories:
 * μ (mean effect: its sign says which way the output moves), μ* (mean absolute effect:
 * the ranking, robust to effects of both signs) and σ (their spread: interactions or
 * non-linearity, and for a simulation also chance).
 */
import { Random } from '@blindspot/core';
import { mean, sampleSd } from './stats';

export interface MorrisPoint {
  /** Each factor's place in [0, 1]. */
  x: number[];
  /** Which factor moved to reach this point from the one before, and by how much (±Δ); none for a trajectory's first point. */
  moved?: { factor: number; step: number };
}

export interface MorrisDesign {
  factors: number;
  levels: number;
  delta: number;
  /** r trajectories of k + 1 points each. */
  trajectories: MorrisPoint[][];
}

/** The Morris design: `trajectories` random trajectories over `factors` factors on a grid of `levels` levels (even, ≥ 2). */
export function morrisDesign(factors: number, trajectories: number, levels: number, seed: number): MorrisDesign {
  if (!(Number.isInteger(factors) && factors >= 1)) throw new RangeError('morrisDesign: at least one factor');
  if (!(Number.isInteger(levels) && levels >= 2 && levels % 2 === 0)) throw new RangeError('morrisDesign: the levels must be an even number, 2 or more');
  const random = Random.derive(seed, 'morris design');
  const delta = levels / (2 * (levels - 1));
  const grid = (i: number) => i / (levels - 1);
  const out: MorrisPoint[][] = [];
  for (let t = 0; t < trajectories; t++) {
    let x = Array.from({ length: factors }, () => grid(random.int(levels)));
    const order = random.shuffle(Array.from({ length: factors }, (_, i) => i));
    const points: MorrisPoint[] = [{ x: [...x] }];
    for (const factor of order) {
      const up = (x[factor] as number) + delta <= 1 + 1e-12;
      const step = up ? delta : -delta;
      x = [...x];
      x[factor] = Math.min(1, Math.max(0, (x[factor] as number) + step));
      points.push({ x: [...x], moved: { factor, step } });
    }
    out.push(points);
  }
  return { factors, levels, delta, trajectories: out };
}

export interface MorrisEffect {
  /** Mean elementary effect: the output's change over the factor's whole range, on average. */
  mu: number;
  /** Mean absolute elementary effect: the ranking measure. */
  muStar: number;
  /** Standard deviation of the elementary effects (null from one trajectory). */
  sigma: number | null;
  /** Every elementary effect, one per trajectory (fewer where the output could not be computed). */
  effects: number[];
}

/** Each factor's μ, μ* and σ from the outputs of the design's points, trajectory by trajectory. */
export function morrisEffects(design: MorrisDesign, outputs: readonly (readonly number[])[]): MorrisEffect[] {
  const effects: number[][] = Array.from({ length: design.factors }, () => []);
  design.trajectories.forEach((points, t) => {
    const ys = outputs[t];
    if (!ys || ys.length !== points.length)
      throw new RangeError(`morrisEffects: trajectory ${t + 1} has ${ys?.length ?? 0} outputs for ${points.length} points`);
    points.forEach((p, j) => {
      if (!p.moved) return;
      const ee = ((ys[j] as number) - (ys[j - 1] as number)) / p.moved.step;
      // An output that could not be computed at either point (a ratio of nothing) gives no effect.
      if (Number.isFinite(ee)) (effects[p.moved.factor] as number[]).push(ee);
    });
  });
  return effects.map((ee) => {
    const sd = sampleSd(ee);
    if (ee.length === 0) return { mu: Number.NaN, muStar: Number.NaN, sigma: null, effects: ee };
    return { mu: mean(ee), muStar: mean(ee.map(Math.abs)), sigma: Number.isFinite(sd) ? sd : null, effects: ee };
  });
}
