/**
 * `blindspot calibrate`: fits chosen fields of a scenario (each within a range) to
 * targets (targets.ts) with Nelder–Mead (nelder-mead.ts) on the sum of squared misses in
 * tolerances, Σ ((mean − value) / tolerance)². Every evaluation runs every scenario the
 * targets need at the same N seeds (common random numbers), so the objective is a fixed
 * function of the fields and the fit is reproducible from (files, seed). Writes the
 * fitted scenario with each fitted value commented, the fit table and the trace.
 */
import { isMap, isScalar, parseDocument } from 'yaml';
import type { RunResult, Scenario } from '@blindspot/core';
import { csvLine } from '../figures';
import { InputError, memoryCheck } from '../load';
import { formatProblem } from '@blindspot/core/scenario';
import { checkCollisions, destinationOf, fileStem, folderName, jsonText, printable, writeFiles, writtenLines, type PlannedFile } from '../output';
import { RunsProgress } from '../progress';
import { RunPool } from '../sweep-pool';
import { resumedLine, runCached } from './run-cache';
import { factorValue, parseVary, type Factor } from './factors';
import { nelderMead } from './nelder-mead';
import { checkOutputPath, outputOf } from './outputs';
import { threadsFor } from './replicate-command';
import { replicationSeeds } from './replications';
import { readSource, variantOf } from './sensitivity';
import { estimate, type Estimate } from './stats';
import { readTargets, type Target } from './targets';
import { calibrationHtml } from './calibrate-html';
import { formatEstimate } from './replications-format';

export interface CalibrateOptions {
  targets: string;
  vary: readonly string[];
  replications: number;
  budget: number;
  /** Evaluate the targets at the file's own values only: the fit table, no search. */
  check?: boolean;
  seed?: number;
  workers?: number;
  batchSize: number;
  json: boolean;
  out?: string;
  force: boolean;
}

export interface FitRow {
  target: string;
  output: string;
  value: number;
  tolerance: number;
  simulated: Estimate;
  within: boolean;
  source?: string;
}

export interface TracePoint {
  evaluation: number;
  values: Record<string, number>;
  objective: number;
  best: number;
}

export interface CalibrationDocument {
  method: string;
  scenario: { name: string; file: string; seed: number };
  targetsFile: string;
  replications: number;
  seeds: number[];
  fields: (Factor & { fitted: number })[];
  objective: number;
  evaluations: number;
  converged: boolean;
  /** --check: the file's own values evaluated, nothing fitted. */
  checked: boolean;
  fit: FitRow[];
  trace: TracePoint[];
  /** The fitted scenario file's text. */
  fittedScenario: string;
}

type Source = ReturnType<typeof readSource>;

/** Sets each fitted field in the scenario's text, with a comment saying it was fitted and what it was; other comments stay. */
export function fittedText(source: Source, fields: readonly (Factor & { fitted: number })[], targetsFile: string): string {
  const doc = parseDocument(source.text);
  for (const f of fields) {
    const keys: (string | number)[] = [];
    let node: unknown = source.data;
    for (const key of f.path.split('.')) {
      if (Array.isArray(node)) {
        const i = node.findIndex((e) => (e as { name?: unknown })?.name === key);
        keys.push(i);
        node = node[i];
      } else {
        keys.push(key);
        node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
      }
    }
    const before = doc.getIn(keys, true);
    const was = isScalar(before) ? `was ${String(before.value)}` : 'was the default';
    doc.setIn(keys, f.fitted);
    const note = ` ${f.path.split('.').pop()} fitted by blindspot calibrate to ${targetsFile} (${was}; range ${f.low}..${f.high})`;
    // In a flow mapping (`{ count: 8 }`) a comment would break the line: it goes after the mapping.
    const parent = doc.getIn(keys.slice(0, -1), true);
    if (isMap(parent) && parent.flow) parent.comment = parent.comment ? `${parent.comment};${note}` : note;
    else {
      const after = doc.getIn(keys, true);
      // The line's own comment (its source or "assumption") stays, after the note.
      if (isScalar(after)) after.comment = isScalar(before) && before.comment ? `${note};${before.comment}` : note;
    }
  }
  return doc.toString({ lineWidth: 0 });
}

/** Runs the calibrate command; throws InputError for bad input before anything runs. */
export async function calibrate(path: string, options: CalibrateOptions): Promise<void> {
  const started = new Date();
  const dest = destinationOf(options.out, options.force);
  const main = readSource(path);
  const mainScenario = options.seed === undefined ? main.scenario : { ...main.scenario, seed: options.seed };
  const targetsFile = readTargets(options.targets);
  const vary = options.vary.length > 0 ? options.vary : targetsFile.fit;
  if (vary.length === 0) throw new InputError([`${targetsFile.file}: nothing to fit: give fit: in the targets file, or --vary <field.path>=<low>..<high>`]);
  const factors = parseVary(vary, main.data);
  // Every scenario the targets name, read once.
  const sources = new Map<string, Source>([['', main]]);
  const problems: string[] = [];
  for (const t of targetsFile.targets) {
    for (const p of [t.scenario, t.against]) {
      if (p === null || sources.has(p)) continue;
      try {
        sources.set(p, readSource(p));
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        problems.push(...err.lines.map((l) => `${targetsFile.file}: target "${t.name}": ${l}`));
      }
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  const keyOf = (p: string | null) => p ?? '';
  const needed = [...new Set(targetsFile.targets.flatMap((t) => [keyOf(t.scenario), ...(t.against === null ? [] : [t.against])]))];
  const seeds = replicationSeeds(mainScenario.seed, options.replications);
  // The corners and the start must be valid scenarios in every file.
  const start = factors.map((f) => (f.base === null ? 0.5 : Math.min(1, Math.max(0, (f.base - f.low) / (f.high - f.low)))));
  const bad = new Set<string>();
  for (const key of needed) {
    for (const xs of [start, factors.map(() => 0), factors.map(() => 1)]) {
      const v = variantOf(sources.get(key) as Source, factors, xs, seeds[0] as number);
      if (!v.ok) for (const l of v.problems) bad.add(l);
    }
  }
  if (bad.size > 0) throw new InputError([...bad]);
  const workers = threadsFor(needed.length * options.replications, options.workers);
  const memory = needed.flatMap((k) => {
    const s = sources.get(k) as Source;
    const p = memoryCheck(s.scenario, { scanThreads: 0, runsAtOnce: workers });
    return p ? [formatProblem(s.file, p)] : [];
  });
  if (memory.length > 0) throw new InputError(memory);

  const stem = `calibrate-${fileStem(mainScenario.name)}`;
  const files: PlannedFile<CalibrationDocument>[] = [
    ...(options.check ? [] : [{ name: `${stem}.yaml`, render: (d: CalibrationDocument) => d.fittedScenario }]),
    { name: `${stem}.json`, render: jsonText },
    { name: `${stem}-fit.csv`, render: fitCsv },
    { name: `${stem}-trace.csv`, render: traceCsv },
    { name: `${stem}.html`, render: calibrationHtml },
  ];
  checkCollisions(
    dest,
    files.map((f) => f.name),
  );

  const pool = new RunPool(workers);
  const perEvaluation = needed.length * options.replications;
  const progress = new RunsProgress(`calibrate ${mainScenario.name}`, (options.check ? 1 : options.budget) * perEvaluation);
  const clock = performance.now();
  const trace: TracePoint[] = [];
  const estimates = new Map<string, Estimate[]>();
  const cache = new Map<string, RunResult>();
  let runsDone = 0;
  let reused = 0;
  let checked = false;
  const valuesAt = (x: readonly number[]) => factors.map((f, i) => factorValue(f, x[i] as number));
  const evaluate = async (points: number[][]): Promise<number[]> => {
    // Every run the points need that is not done yet, in one batch.
    const jobs: { key: string; scenario: Scenario; file: string }[] = [];
    for (const x of points) {
      for (const k of needed) {
        for (const seed of seeds) {
          const key = `${k}|${seed}|${valuesAt(x).join(',')}`;
          if (cache.has(key) || jobs.some((j) => j.key === key)) continue;
          const s = sources.get(k) as Source;
          const v = variantOf(s, factors, x, seed);
          if (!v.ok) throw new InputError(v.problems);
          jobs.push({ key, scenario: v.scenario, file: s.file });
        }
      }
    }
    const base = runsDone;
    const { results, reused: fromCache } = await runCached(
      pool,
      jobs.map((j) => ({ scenario: j.scenario, file: j.file, batchSize: options.batchSize })),
      (done) => progress.update(base + done),
    );
    runsDone += jobs.length;
    reused += fromCache;
    for (const [i, j] of jobs.entries()) cache.set(j.key, results[i] as RunResult);
    return points.map((x) => {
      const values = valuesAt(x);
      const run = (k: string, seed: number) => cache.get(`${k}|${seed}|${values.join(',')}`) as RunResult;
      const per = targetsFile.targets.map((t: Target) => {
        if (!checked) checkOutputPath(t.output, run(keyOf(t.scenario), seeds[0] as number), `${targetsFile.file}: target "${t.name}": output`);
        return estimate(seeds.map((seed) => outputOf(t.output, run(keyOf(t.scenario), seed), t.against === null ? undefined : run(t.against, seed))));
      });
      checked = true;
      const objective = per.reduce((s, e, i) => {
        const t = targetsFile.targets[i] as Target;
        const miss = (e.mean - t.value) / t.tolerance;
        return s + (Number.isFinite(miss) ? miss * miss : 1e12);
      }, 0);
      estimates.set(values.join(','), per);
      const best = Math.min(objective, ...trace.map((p) => p.objective));
      trace.push({ evaluation: trace.length + 1, values: Object.fromEntries(factors.map((f, i) => [f.path, values[i] as number])), objective, best });
      return objective;
    });
  };
  let result: Awaited<ReturnType<typeof nelderMead>>;
  try {
    if (options.check) {
      const [f] = await evaluate([start]);
      result = { best: { x: start, f: f as number }, evaluations: 1, converged: false };
    } else result = await nelderMead(evaluate, start, { budget: options.budget, xTolerance: 1e-3 });
  } finally {
    progress.done();
    await pool.close();
  }
  const seconds = (performance.now() - clock) / 1000;
  const resumed = resumedLine(reused, runsDone);
  if (resumed) process.stderr.write(`${resumed}\n`);
  const bestValues = valuesAt(result.best.x);
  const fields = factors.map((f, i) => ({ ...f, fitted: bestValues[i] as number }));
  const per = estimates.get(bestValues.join(',')) as Estimate[];
  const fit: FitRow[] = targetsFile.targets.map((t, i) => {
    const e = per[i] as Estimate;
    return {
      target: t.name,
      output: `${t.output.text}${t.scenario ? ` of ${shortName(t.scenario)}` : ''}${t.against ? ` against ${shortName(t.against)}` : ''}`,
      value: t.value,
      tolerance: t.tolerance,
      simulated: e,
      within: Math.abs(e.mean - t.value) <= t.tolerance,
      ...(t.source === undefined ? {} : { source: t.source }),
    };
  });
  const doc: CalibrationDocument = {
    method: options.check
      ? "the targets at the file's own values (--check: no search)"
      : 'Nelder–Mead simplex (Nelder and Mead 1965) on Σ ((mean − value) / tolerance)², every evaluation at the same seeds',
    scenario: { name: mainScenario.name, file: main.file, seed: mainScenario.seed },
    targetsFile: targetsFile.file,
    replications: options.replications,
    seeds,
    fields,
    objective: result.best.f,
    evaluations: trace.length,
    converged: result.converged,
    checked: options.check === true,
    fit,
    trace,
    fittedScenario: fittedText(main, fields, targetsFile.file),
  };
  const written = writeFiles(dest, () => folderName(started, 'calibrate', [fileStem(mainScenario.name)]), files, doc);
  const summary = `${trace.length} evaluations (${runsDone} runs) on ${workers} worker${workers === 1 ? '' : 's'} in ${seconds.toFixed(1)} s`;
  if (options.json) {
    process.stdout.write(jsonText(doc));
    process.stderr.write(`calibrate: ${summary}\n`);
  } else process.stdout.write(`${formatCalibration(doc, summary)}\n`);
  for (const line of writtenLines(written)) (options.json ? process.stderr : process.stdout).write(`${line}\n`);
}

const shortName = (p: string) => p.split(/[\\/]/).pop() ?? p;

const pad = (cells: string[][]) => {
  const widths = (cells[0] ?? []).map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells.map((r) =>
    r
      .map((x, c) => (c === 0 ? x.padEnd(widths[c] as number) : x.padStart(widths[c] as number)))
      .join('  ')
      .trimEnd(),
  );
};

const num = (x: number) => Number(x.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 6 });

/** The fit table and the fitted values, for the terminal. */
export function formatCalibration(doc: CalibrationDocument, summary: string): string {
  const fitCells = [
    ['target', 'output', 'value', 'simulated (95%)', 'within?'],
    ...doc.fit.map((r) => [r.target, r.output, `${num(r.value)} ± ${num(r.tolerance)}`, formatEstimate(r.simulated), r.within ? 'yes' : 'NO']),
  ];
  const fieldCells = [
    ['field', 'range', 'in file', 'fitted'],
    ...doc.fields.map((f) => [f.path, `${num(f.low)}..${num(f.high)}`, f.base === null ? 'default' : num(f.base), num(f.fitted)]),
  ];
  const lines = [
    `Blindspot calibration: ${doc.scenario.name} (${doc.scenario.file}) to ${doc.targetsFile}`,
    `  ${doc.method}; ${doc.replications} replications per evaluation; ${summary}; ${doc.checked ? 'checked, not fitted' : doc.converged ? 'converged' : 'stopped at the budget'}; objective ${num(doc.objective)}`,
    '',
    ...pad(fieldCells),
    '',
    ...pad(fitCells),
    '',
    `"simulated" is the mean over the ${doc.replications} replications at the fitted values ± the half-width of its 95% interval; "within?" says whether the mean is within the tolerance of the value.`,
  ];
  return printable(lines.join('\n'));
}

export function fitCsv(doc: CalibrationDocument): string {
  const header = ['target', 'output', 'value', 'tolerance', 'simulated.mean', 'simulated.low', 'simulated.high', 'within', 'source'];
  const rows = doc.fit.map((r) => [r.target, r.output, r.value, r.tolerance, r.simulated.mean, r.simulated.low, r.simulated.high, r.within, r.source]);
  return `${[header, ...rows].map(csvLine).join('\n')}\n`;
}

export function traceCsv(doc: CalibrationDocument): string {
  const fields = doc.fields.map((f) => f.path);
  const header = ['evaluation', ...fields, 'objective', 'best'];
  const rows = doc.trace.map((p) => [p.evaluation, ...fields.map((f) => p.values[f]), p.objective, p.best]);
  return `${[header, ...rows].map(csvLine).join('\n')}\n`;
}
