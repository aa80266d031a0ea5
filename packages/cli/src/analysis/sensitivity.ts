/**
 * `blindspot sensitivity`: which assumptions move an output the most. Morris screening
 * (morris.ts) over the factors (factors.ts): r trajectories of k + 1 runs each, every
 * trajectory at its own seed (replicationSeeds of the scenario's), so the runs of a
 * trajectory share their random numbers and an elementary effect is the factor's, not
 * chance's. With --against, every point also runs the baseline scenario with the same
 * values and seed, and the output compares the two (outputs.ts).
 */
import type { RunResult, Scenario } from '@blindspot/core';
import { formatProblem, parseScenarioYaml, validateScenario } from '@blindspot/core/scenario';
import { runEmbedded } from '@blindspot/pipeline/embedded';
import { csvLine } from '../figures';
import { InputError, readScenarioText } from '../load';
import { withSeed } from '../options';
import { checkCollisions, destinationOf, fileStem, folderName, jsonText, printable, writeFiles, writtenLines, type PlannedFile } from '../output';
import { runAllCached } from './run-cache';
import { applyFactors, assumptionFactors, parseVary, factorValue, type Factor } from './factors';
import { morrisDesign, morrisEffects, type MorrisDesign, type MorrisEffect } from './morris';
import { sobolDesign, sobolIndices, type SobolDesign, type SobolIndex } from './sobol';
import { checkOutputPath, defaultOutput, outputOf, outputWords, parseOutput, type OutputSpec } from './outputs';
import { checkReplicationMemory, threadsFor } from './replicate-command';
import { replicationSeeds } from './replications';
import { sensitivityHtml } from './sensitivity-html';

export interface SensitivityOptions {
  vary: readonly string[];
  against?: string;
  output?: string;
  /** morris (default) or sobol. */
  method?: 'morris' | 'sobol';
  trajectories: number;
  levels: number;
  /** Sobol: rows of the Saltelli design. */
  samples?: number;
  seed?: number;
  workers?: number;
  batchSize: number;
  json: boolean;
  out?: string;
  force: boolean;
}

/** A scenario file read for varying: its parsed data (to apply values to) and its validated scenario. */
interface Source {
  file: string;
  text: string;
  data: unknown;
  scenario: Scenario;
}

export function readSource(path: string): Source {
  const { text, file } = readScenarioText(path);
  const yaml = parseScenarioYaml(text);
  if (!yaml.ok) throw new InputError(yaml.problems.map((p) => formatProblem(file, p)));
  const checked = validateScenario(yaml.data, file, yaml.doc, yaml.counter);
  if (!checked.ok) throw new InputError(checked.problems.map((p) => formatProblem(file, p)));
  return { file, text, data: yaml.data, scenario: checked.scenario };
}

/** The scenario of `source` with the factors at `xs` and the given seed, or the problems with it (naming each factor's value). */
export function variantOf(
  source: Source,
  factors: readonly Factor[],
  xs: readonly number[],
  seed: number,
): { ok: true; scenario: Scenario } | { ok: false; problems: string[] } {
  const applied = applyFactors(source.data, factors, xs);
  const values = factors.map((f, i) => `${f.path}=${factorValue(f, xs[i] as number)}`).join(' ');
  if (!applied.ok) return { ok: false, problems: [`${source.file}: ${applied.message}`] };
  const checked = validateScenario(applied.doc, source.file);
  if (!checked.ok) return { ok: false, problems: checked.problems.map((p) => `${values}: ${formatProblem(source.file, p)}`) };
  return { ok: true, scenario: { ...checked.scenario, seed } };
}

export interface RankedFactor extends Factor {
  rank: number;
  /** The ranking measure: μ* (Morris) or the total index (Sobol). */
  score: number;
  /** Morris: mean effect, mean absolute effect, their spread, and every elementary effect. */
  mu?: number;
  muStar?: number;
  sigma?: number | null;
  effects?: number[];
  /** Sobol: first-order and total indices with their 95% bootstrap intervals. */
  sobol?: SobolIndex;
}

/** What --json prints and the JSON file holds. */
export interface SensitivityDocument {
  method: string;
  scenario: { name: string; file: string; seed: number };
  against: { name: string; file: string } | null;
  output: { spec: string; words: string };
  design:
    | { method: 'morris'; trajectories: number; levels: number; delta: number; runs: number; seeds: number[] }
    | { method: 'sobol'; samples: number; runs: number; seeds: number[] };
  /** Every factor, ranked by its score (largest first). */
  factors: RankedFactor[];
  /** Fields marked "assumption" that could not be varied by default, and why. */
  skipped: string[];
  /** The output at every point of every trajectory (Morris) or row (Sobol), with the values it ran at. */
  points: { trajectory: number; seed: number; values: Record<string, number>; output: number }[];
}

export interface PreparedSensitivity {
  source: Source;
  baseline?: Source;
  factors: Factor[];
  skipped: string[];
  output: OutputSpec;
  design: MorrisDesign | SobolDesign;
  /** Each group of points (a trajectory or a row) and its seed. */
  groups: number[][][];
  seeds: number[];
  /** Scenario (and baseline) of every point, trajectory by trajectory. */
  jobs: { scenario: Scenario; file: string }[];
  perPoint: number;
}

/** Every check before anything runs: files, factors, output, design and every variant. */
export function prepareSensitivity(path: string, options: SensitivityOptions): PreparedSensitivity {
  const read = (p: string) => {
    const s = readSource(p);
    return { ...s, scenario: withSeed(s.scenario, options.seed) };
  };
  const problems: string[] = [];
  let source: Source | undefined;
  let baseline: Source | undefined;
  for (const [p, set] of [
    [path, (s: Source) => (source = s)],
    ...(options.against === undefined ? [] : [[options.against, (s: Source) => (baseline = s)] as const]),
  ] as const) {
    try {
      set(read(p));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      problems.push(...err.lines);
    }
  }
  if (problems.length > 0 || !source) throw new InputError(problems);
  const output = options.output === undefined ? defaultOutput(baseline !== undefined) : parseOutput(options.output, baseline !== undefined);
  let factors: Factor[];
  let skipped: string[] = [];
  if (options.vary.length > 0) factors = parseVary(options.vary, source.data);
  else {
    ({ factors, skipped } = assumptionFactors(source.text));
    if (factors.length === 0)
      throw new InputError([
        `${source.file}: no number in it is marked "assumption", so there is nothing to vary by default; give ${'--vary <field.path>=<low>..<high>'}`,
      ]);
  }
  const sobol = options.method === 'sobol';
  const design = sobol
    ? sobolDesign(factors.length, options.samples ?? 32, source.scenario.seed)
    : morrisDesign(factors.length, options.trajectories, options.levels, source.scenario.seed);
  const groups = 'rows' in design ? design.rows : design.trajectories.map((pts) => pts.map((p) => p.x));
  // Each trajectory (or row) at its own seed: its points share their random numbers.
  const seeds = replicationSeeds(source.scenario.seed, groups.length);
  const jobs: { scenario: Scenario; file: string }[] = [];
  const bad = new Set<string>();
  groups.forEach((points, t) => {
    for (const x of points) {
      for (const s of baseline ? [source as Source, baseline] : [source as Source]) {
        const v = variantOf(s, factors, x, seeds[t] as number);
        if (!v.ok) for (const line of v.problems) bad.add(line);
        else jobs.push({ scenario: v.scenario, file: s.file });
      }
    }
  });
  if (bad.size > 0) throw new InputError([...[...bad].slice(0, 10), ...(bad.size > 10 ? [`... and ${bad.size - 10} more; narrow the ranges`] : [])]);
  return { source, ...(baseline ? { baseline } : {}), factors, skipped, output, design, groups, seeds, jobs, perPoint: baseline ? 2 : 1 };
}

/** The ranking and the document, from the results of every job in order. */
export function analyse(prep: PreparedSensitivity, results: readonly RunResult[]): SensitivityDocument {
  const { design, factors, output, perPoint, seeds, groups } = prep;
  const outputs: number[][] = [];
  const points: SensitivityDocument['points'] = [];
  let k = 0;
  groups.forEach((pts, t) => {
    const ys: number[] = [];
    for (const x of pts) {
      const r = results[k] as RunResult;
      const b = perPoint === 2 ? (results[k + 1] as RunResult) : undefined;
      k += perPoint;
      const y = outputOf(output, r, b);
      ys.push(y);
      points.push({
        trajectory: t + 1,
        seed: seeds[t] as number,
        values: Object.fromEntries(factors.map((f, i) => [f.path, factorValue(f, x[i] as number)])),
        output: y,
      });
    }
    outputs.push(ys);
  });
  let scored: Omit<RankedFactor, 'rank'>[];
  let method: string;
  let about: SensitivityDocument['design'];
  if ('rows' in design) {
    const indices = sobolIndices(design, outputs, prep.source.scenario.seed);
    scored = factors.map((f, i) => ({ ...f, score: (indices[i] as SobolIndex).total, sobol: indices[i] as SobolIndex }));
    method = "Sobol' indices, Saltelli's design and estimators (Saltelli et al. 2010; total index by Jansen 1999), ranked by the total index";
    about = { method: 'sobol', samples: design.samples, runs: results.length, seeds };
  } else {
    const effects = morrisEffects(design, outputs);
    scored = factors.map((f, i) => ({ ...f, ...(effects[i] as MorrisEffect), score: (effects[i] as MorrisEffect).muStar }));
    method = 'Morris elementary effects (Morris 1991), ranked by μ* (Campolongo, Cariboni and Saltelli 2007)';
    about = { method: 'morris', trajectories: design.trajectories.length, levels: design.levels, delta: design.delta, runs: results.length, seeds };
  }
  const ranked = scored
    // Largest score first; a factor whose output could never be computed last.
    .sort((a, b) => (Number.isNaN(b.score) ? -1 : Number.isNaN(a.score) ? 1 : b.score - a.score))
    .map((f, i) => ({ ...f, rank: i + 1 }));
  return {
    method,
    scenario: { name: prep.source.scenario.name, file: prep.source.file, seed: prep.source.scenario.seed },
    against: prep.baseline ? { name: prep.baseline.scenario.name, file: prep.baseline.file } : null,
    output: { spec: output.text, words: outputWords(output, prep.baseline?.scenario.name) },
    design: about,
    factors: ranked,
    skipped: prep.skipped,
    points,
  };
}

/** The columns of the ranking for the method used: header, and each factor's cells (as numbers). */
export function measureColumns(doc: SensitivityDocument): { header: string[]; csv: string[]; cells: (f: RankedFactor) => (number | null)[] } {
  if (doc.design.method === 'sobol') {
    return {
      header: ['total', 'total 95%', 'first-order', 'first 95%'],
      csv: ['total', 'totalLow', 'totalHigh', 'first', 'firstLow', 'firstHigh'],
      cells: (f) => {
        const x = f.sobol as SobolIndex;
        return [x.total, x.totalLow, x.totalHigh, x.first, x.firstLow, x.firstHigh];
      },
    };
  }
  return {
    header: ['μ*', 'μ', 'σ'],
    csv: ['muStar', 'mu', 'sigma', 'effects'],
    cells: (f) => [f.muStar ?? null, f.mu ?? null, f.sigma ?? null, f.effects?.length ?? 0],
  };
}

const num = (x: number | null, d = 3) =>
  x === null || Number.isNaN(x) ? 'n/a' : Number(x.toPrecision(d)).toLocaleString('en-US', { maximumFractionDigits: 6 });

/** The ranking as a table for the terminal. */
export function formatSensitivity(doc: SensitivityDocument, summary: string): string {
  const m = measureColumns(doc);
  const sobol = doc.design.method === 'sobol';
  const measureCells = (f: RankedFactor) => {
    const c = m.cells(f);
    return sobol
      ? [num(c[0] ?? null), `${num(c[1] ?? null)}..${num(c[2] ?? null)}`, num(c[3] ?? null), `${num(c[4] ?? null)}..${num(c[5] ?? null)}`]
      : c.slice(0, 3).map((x) => num(x));
  };
  const cells = [
    ['rank', 'field', 'range', 'in file', ...m.header],
    ...doc.factors.map((f) => [String(f.rank), f.path, `${num(f.low)}..${num(f.high)}`, f.base === null ? 'default' : num(f.base), ...measureCells(f)]),
  ];
  const widths = cells[0]?.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length))) ?? [];
  const line = (r: string[]) =>
    r
      .map((x, c) => (c === 1 ? x.padEnd(widths[c] as number) : x.padStart(widths[c] as number)))
      .join('  ')
      .trimEnd();
  const against = doc.against ? ` against ${doc.against.name} (${doc.against.file})` : '';
  const d = doc.design;
  const designWords =
    d.method === 'sobol' ? `${d.samples} rows of ${doc.factors.length + 2} points` : `${d.trajectories} trajectories, ${d.levels} levels, Δ = ${num(d.delta)}`;
  const lines = [
    `Blindspot sensitivity: ${doc.scenario.name} (${doc.scenario.file})${against}`,
    `  output: ${doc.output.words}`,
    `  ${doc.method}: ${designWords}; ${summary}`,
    '',
    ...cells.map(line),
    '',
    sobol
      ? "total: the share of the output's variance the field has any part in, alone or with others (the ranking; near 0: the field can be fixed anywhere in its range); first-order: the share it causes alone. Intervals: 95% bootstrap over the rows. Each row runs at its own seed, its runs sharing their random numbers."
      : 'μ*: the mean absolute change of the output when the field moves across its whole range, the others held (the ranking); μ: the same with its sign (+: the output rises with the field); σ: how much that change varies from trajectory to trajectory (interactions, non-linearity and chance). Each trajectory runs at its own seed, its runs sharing their random numbers.',
    ...(doc.skipped.length > 0 ? ['', `Not varied: ${doc.skipped.join('; ')}`] : []),
  ];
  return printable(lines.join('\n'));
}

/** The ranking as CSV, one row per factor. */
export function sensitivityCsv(doc: SensitivityDocument): string {
  const m = measureColumns(doc);
  const header = ['rank', 'field', 'low', 'high', 'base', 'from', ...m.csv, 'output'];
  const rows = doc.factors.map((f) => [f.rank, f.path, f.low, f.high, f.base, f.from, ...m.cells(f), doc.output.spec]);
  return `${[header, ...rows].map(csvLine).join('\n')}\n`;
}

/** The output at every point, one row each. */
function pointsCsv(doc: SensitivityDocument): string {
  const fields = doc.factors.map((f) => f.path).sort();
  const header = ['trajectory', 'seed', ...fields, doc.output.spec];
  const rows = doc.points.map((p) => [p.trajectory, p.seed, ...fields.map((f) => p.values[f]), p.output]);
  return `${[header, ...rows].map(csvLine).join('\n')}\n`;
}

/** Runs the sensitivity command; throws InputError for bad input before anything runs. */
export async function sensitivity(path: string, options: SensitivityOptions): Promise<void> {
  const started = new Date();
  const dest = destinationOf(options.out, options.force);
  const prep = prepareSensitivity(path, options);
  // The output's path, checked on a run small enough to take a moment: the scenario as given, for one simulated day.
  const probe = { ...prep.source.scenario, durationDays: 1, burnInDays: 0 } as Scenario;
  checkOutputPath(prep.output, tryProbe(probe, prep.source.file) ?? runFirst(prep));
  const stem = `sensitivity-${fileStem(prep.source.scenario.name)}`;
  const files: PlannedFile<SensitivityDocument>[] = [
    { name: `${stem}.json`, render: jsonText },
    { name: `${stem}.csv`, render: sensitivityCsv },
    { name: `${stem}-points.csv`, render: pointsCsv },
    { name: `${stem}.html`, render: sensitivityHtml },
  ];
  checkCollisions(
    dest,
    files.map((f) => f.name),
  );
  const workers = threadsFor(prep.jobs.length, options.workers);
  checkReplicationMemory(
    [prep.source, ...(prep.baseline ? [prep.baseline] : [])].map((s) => ({ scenario: s.scenario, file: s.file })),
    workers,
  );
  const clock = performance.now();
  const results = await runAllCached(
    prep.jobs.map((j) => ({ ...j, batchSize: options.batchSize })),
    workers,
    `sensitivity ${prep.source.scenario.name}`,
  );
  const seconds = (performance.now() - clock) / 1000;
  const doc = analyse(prep, results);
  const written = writeFiles(dest, () => folderName(started, 'sensitivity', [fileStem(prep.source.scenario.name)]), files, doc);
  const summary = `${results.length} runs on ${workers} worker${workers === 1 ? '' : 's'} in ${seconds.toFixed(1)} s`;
  if (options.json) {
    process.stdout.write(jsonText(doc));
    process.stderr.write(`sensitivity: ${summary}\n`);
  } else process.stdout.write(`${formatSensitivity(doc, summary)}\n`);
  for (const line of writtenLines(written)) (options.json ? process.stderr : process.stdout).write(`${line}\n`);
}

/** A one-day run of the scenario, or null where one day is not a valid scenario (a rollout starting later). */
function tryProbe(scenario: Scenario, file: string): RunResult | null {
  const checked = validateScenario(JSON.parse(JSON.stringify(scenario)), file);
  if (!checked.ok) return null;
  return runEmbedded(checked.scenario, { file, batchSize: 1000 });
}

/** The first job's run, for checking the output where a one-day run is not possible. */
function runFirst(prep: PreparedSensitivity): RunResult {
  const first = prep.jobs[0];
  if (!first) throw new InputError(['nothing to run']);
  return runEmbedded(first.scenario, { file: first.file, batchSize: 1000 });
}
