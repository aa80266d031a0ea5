/**
 * Replications: one scenario run at N seeds derived from its own, summarised as a mean
 * and a 95% interval for every figure of the result document; and two or more scenarios
 * replicated at the same seeds (common random numbers), with the interval of each
 * change from the paired differences.
 */
import { Random, type RunResult } from '@blindspot/core';
import { estimate, LEVEL, mean, pairedDifference, pairedRatio, unpairedDifference, type Estimate } from './stats';

/**
 * The seeds of N replications: the scenario's own seed first (so replication 1 is the
 * run `run` gives without --replications), then seeds drawn from (seed, k): a function
 * of the seed alone, so the same command gives the same replications, and nearby seeds
 * do not share replications.
 */
export function replicationSeeds(seed: number, n: number): number[] {
  const seeds = [seed];
  const seen = new Set(seeds);
  for (let k = 1; seeds.length < n; k++) {
    const r = Random.derive(seed, `replication ${k}`);
    // 53 bits: the schema's seeds run to Number.MAX_SAFE_INTEGER.
    const s = (r.uint32() & 0x1fffff) * 2 ** 32 + r.uint32();
    if (!seen.has(s)) {
      seen.add(s);
      seeds.push(s);
    }
  }
  return seeds;
}

type Json = unknown;
const isRecord = (x: Json): x is Record<string, Json> => x !== null && typeof x === 'object' && !Array.isArray(x);
/** A list of named entries (the platforms): keyed by name in figure paths. */
const isNamedList = (x: Json): x is Record<string, Json>[] => Array.isArray(x) && x.length > 0 && x.every((e) => isRecord(e) && typeof e.name === 'string');
const isNumberList = (x: Json): x is number[] => Array.isArray(x) && x.every((e) => typeof e === 'number');

/** Parts of a result that are not figures of the model. */
const NOT_FIGURES = new Set(['scenario', 'timing', 'warnings']);

/**
 * Every figure of a result by its path (`reports.total`, `cyberTips.reports`,
 * `platforms.facebook.rollout.ratio.reports`): its numbers outside lists, a list of
 * named entries keyed by name. Nulls (a share of nothing) are left out. Per-day and
 * per-month series are in `seriesOf`.
 */
export function figuresOf(r: RunResult): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (x: Json, path: string) => {
    if (typeof x === 'number') {
      if (Number.isFinite(x)) out.set(path, x);
    } else if (isNamedList(x)) {
      for (const e of x) walk(e, `${path}.${e.name as string}`);
    } else if (isRecord(x)) {
      for (const [k, v] of Object.entries(x)) if (!(path === '' && NOT_FIGURES.has(k))) walk(v, path === '' ? k : `${path}.${k}`);
    }
  };
  walk(r, '');
  return out;
}

/** Every series (a list of numbers: per day, per month) of a result by its path. */
export function seriesOf(r: RunResult): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const walk = (x: Json, path: string) => {
    if (isNumberList(x) && x.length > 0) out.set(path, x);
    else if (isNamedList(x)) for (const e of x) walk(e, `${path}.${e.name as string}`);
    else if (isRecord(x)) for (const [k, v] of Object.entries(x)) if (!(path === '' && NOT_FIGURES.has(k))) walk(v, path === '' ? k : `${path}.${k}`);
  };
  walk(r, '');
  return out;
}

/** A series' mean and interval, day by day (or month by month). */
export interface SeriesBand {
  mean: number[];
  low: (number | null)[];
  high: (number | null)[];
}

/**
 * The mean of the replications as a result document: every number the mean of its
 * values (nulls left out; null if all are), every series the mean day by day, names and
 * settings from the first replication. Individual reports to police (`reports.list`) are
 * in each replication's own document, not here; warnings are those of any replication.
 */
export function meanResult(runs: readonly RunResult[]): RunResult {
  if (runs.length === 0) throw new RangeError('meanResult: no runs');
  const merge = (xs: Json[]): Json => {
    const [first] = xs;
    if (typeof first === 'number' || (first === null && xs.some((x) => typeof x === 'number'))) {
      const nums = xs.filter((x): x is number => typeof x === 'number');
      return nums.length === 0 ? null : mean(nums);
    }
    if (Array.isArray(first)) {
      if (isNumberList(first)) {
        const len = Math.max(...xs.map((x) => (x as number[]).length));
        return Array.from({ length: len }, (_, i) => mean(xs.map((x) => (x as number[])[i] ?? 0)));
      }
      if (isNamedList(first)) return first.map((_e, i) => merge(xs.map((x) => (x as Json[])[i])));
      return first;
    }
    if (isRecord(first)) return Object.fromEntries(Object.keys(first).map((k) => [k, merge(xs.map((x) => (isRecord(x) ? x[k] : undefined)))]));
    return first;
  };
  const m = merge(runs as unknown as Json[]) as RunResult;
  return {
    ...m,
    scenario: (runs[0] as RunResult).scenario,
    timing: (runs[0] as RunResult).timing,
    reports: { ...m.reports, list: [] },
    warnings: [...new Set(runs.flatMap((r) => r.warnings))],
  };
}

/** One scenario's replications, summarised. */
export interface Replicated {
  /** The confidence level of every interval. */
  level: number;
  replications: number;
  seeds: number[];
  /** The mean of the replications, as a result document (see meanResult). */
  mean: RunResult;
  /** Every figure's mean and interval, by path in the result document. */
  figures: Record<string, Estimate>;
  /** Every series' mean and interval, day by day, by path. */
  series: Record<string, SeriesBand>;
  /** Each replication's result document, in seed order. */
  runs: RunResult[];
}

function valuesAt(runs: readonly RunResult[]): Map<string, number[]> {
  const all = runs.map(figuresOf);
  const paths = new Set(all.flatMap((f) => [...f.keys()]));
  const out = new Map<string, number[]>();
  // A figure some replications lack (a share of nothing) is summarised over those that have it.
  for (const p of paths)
    out.set(
      p,
      all.flatMap((f) => (f.has(p) ? [f.get(p) as number] : [])),
    );
  return out;
}

export function replicate(runs: readonly RunResult[], level = LEVEL): Replicated {
  const figures: Record<string, Estimate> = {};
  for (const [p, xs] of valuesAt(runs)) figures[p] = estimate(xs, level);
  const series: Record<string, SeriesBand> = {};
  const all = runs.map(seriesOf);
  for (const p of all[0]?.keys() ?? []) {
    const lists = all.map((s) => s.get(p) ?? []);
    const len = Math.max(...lists.map((l) => l.length));
    const days = Array.from({ length: len }, (_, d) =>
      estimate(
        lists.map((l) => l[d] ?? 0),
        level,
      ),
    );
    series[p] = { mean: days.map((e) => e.mean), low: days.map((e) => e.low), high: days.map((e) => e.high) };
  }
  return { level, replications: runs.length, seeds: runs.map((r) => r.scenario.seed), mean: meanResult(runs), figures, series, runs: [...runs] };
}

/** A figure's change from one scenario to another over paired replications. */
export interface ChangeEstimate {
  a: Estimate;
  b: Estimate;
  /** b − a, from the paired differences (common random numbers). */
  difference: Estimate;
  /** b − a as if the runs were independent (Welch): what pairing saves. */
  unpaired: Estimate;
  /** mean(b) / mean(a), from the paired replications; null when mean(a) is 0. */
  ratio: Estimate | null;
}

/** Every figure's change from `a` to `b`, replication i of each at the same seed. */
export function compareReplicated(a: readonly RunResult[], b: readonly RunResult[], level = LEVEL): Record<string, ChangeEstimate> {
  if (a.length !== b.length) throw new RangeError('compareReplicated: the two scenarios have different numbers of replications');
  a.forEach((r, i) => {
    if (r.scenario.seed !== (b[i] as RunResult).scenario.seed) throw new RangeError(`compareReplicated: replication ${i + 1} was run at two seeds`);
  });
  const fa = a.map(figuresOf);
  const fb = b.map(figuresOf);
  const out: Record<string, ChangeEstimate> = {};
  for (const p of fa[0]?.keys() ?? []) {
    // Pairs where both have the figure.
    const pairs = fa.flatMap((f, i) => (f.has(p) && fb[i]?.has(p) ? [[f.get(p) as number, fb[i]?.get(p) as number] as const] : []));
    if (pairs.length === 0) continue;
    const xs = pairs.map(([x]) => x);
    const ys = pairs.map(([, y]) => y);
    out[p] = {
      a: estimate(xs, level),
      b: estimate(ys, level),
      difference: pairedDifference(xs, ys, level),
      unpaired: unpairedDifference(xs, ys, level),
      ratio: pairedRatio(xs, ys, level),
    };
  }
  return out;
}
