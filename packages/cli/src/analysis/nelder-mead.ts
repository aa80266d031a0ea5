/**
 * Nelder–Mead simplex minimisation in the unit cube (J. A. Nelder and R. Mead, "A simplex
 * method for function minimization", The Computer Journal 7(4), 1965, 308–313; the
 * standard coefficients and ordering of J. C. Lagarias et al., "Convergence properties of
 * the Nelder–Mead simplex method in low dimensions", SIAM J. Optim. 9(1), 1998, 112–147).
 * Points outside the cube are clamped onto it. Derivative-free and robust to a rough
 * objective; with common random numbers (every evaluation at the same seeds) a noisy
 * simulation's objective is a fixed function of the parameters, so the search is
 * reproducible.
 */

export interface Evaluation {
  x: number[];
  f: number;
}

export interface NelderMeadOptions {
  /** At most this many evaluations of the objective. */
  budget: number;
  /** The first simplex's edge (default 0.25 of the cube). */
  step?: number;
  /** Stop when every vertex is within this of the best, in every coordinate (default 1e-3). */
  xTolerance?: number;
  /** Stop when every vertex's value is within this of the best (default 1e-9). */
  fTolerance?: number;
}

const clamp = (x: number[]) => x.map((v) => Math.min(1, Math.max(0, v)));

/**
 * Minimises `f` from `start`. `evaluate` takes several points at once (the first
 * simplex's vertices are independent, so they can be evaluated in parallel) and returns
 * their values in order.
 */
export async function nelderMead(
  evaluate: (points: number[][]) => Promise<number[]>,
  start: readonly number[],
  options: NelderMeadOptions,
): Promise<{ best: Evaluation; evaluations: number; converged: boolean }> {
  const n = start.length;
  const step = options.step ?? 0.25;
  const xTol = options.xTolerance ?? 1e-3;
  const fTol = options.fTolerance ?? 1e-9;
  let used = 0;
  const evalMany = async (points: number[][]): Promise<Evaluation[]> => {
    const xs = points.map(clamp);
    used += xs.length;
    const fs = await evaluate(xs);
    return xs.map((x, i) => ({ x, f: fs[i] as number }));
  };
  const first = clamp([...start]);
  const vertices = [
    first,
    ...Array.from({ length: n }, (_, i) => {
      const v = [...first];
      v[i] = (v[i] as number) + step <= 1 ? (v[i] as number) + step : (v[i] as number) - step;
      return v;
    }),
  ];
  let simplex = await evalMany(vertices);
  const done = () => {
    const best = simplex[0] as Evaluation;
    return simplex.every((v) => Math.abs(v.f - best.f) <= fTol) || simplex.every((v) => v.x.every((c, i) => Math.abs(c - (best.x[i] as number)) <= xTol));
  };
  const point = (centroid: number[], worst: number[], t: number) => centroid.map((c, i) => c + t * (c - (worst[i] as number)));
  for (;;) {
    simplex.sort((a, b) => a.f - b.f);
    if (done()) return { best: simplex[0] as Evaluation, evaluations: used, converged: true };
    if (used >= options.budget) return { best: simplex[0] as Evaluation, evaluations: used, converged: false };
    const worst = simplex[n] as Evaluation;
    const centroid = Array.from({ length: n }, (_, i) => simplex.slice(0, n).reduce((s, v) => s + (v.x[i] as number), 0) / n);
    const [r] = await evalMany([point(centroid, worst.x, 1)]);
    const best = simplex[0] as Evaluation;
    const second = simplex[n - 1] as Evaluation;
    if ((r as Evaluation).f < best.f) {
      if (used >= options.budget) {
        simplex[n] = r as Evaluation;
        continue;
      }
      const [e] = await evalMany([point(centroid, worst.x, 2)]);
      simplex[n] = (e as Evaluation).f < (r as Evaluation).f ? (e as Evaluation) : (r as Evaluation);
      continue;
    }
    if ((r as Evaluation).f < second.f) {
      simplex[n] = r as Evaluation;
      continue;
    }
    if (used >= options.budget) continue;
    // Contract: outside when the reflection beat the worst, else inside.
    const outside = (r as Evaluation).f < worst.f;
    const [c] = await evalMany([point(centroid, worst.x, outside ? 0.5 : -0.5)]);
    if ((c as Evaluation).f < (outside ? (r as Evaluation).f : worst.f)) {
      simplex[n] = c as Evaluation;
      continue;
    }
    if (used + n > options.budget) {
      // No room for a shrink: keep the better of what we have.
      if ((c as Evaluation).f < worst.f) simplex[n] = c as Evaluation;
      return { best: [...simplex].sort((a, b) => a.f - b.f)[0] as Evaluation, evaluations: used, converged: false };
    }
    // Shrink towards the best.
    const shrunk = await evalMany(simplex.slice(1).map((v) => v.x.map((c2, i) => (best.x[i] as number) + 0.5 * (c2 - (best.x[i] as number)))));
    simplex = [best, ...shrunk];
  }
}
