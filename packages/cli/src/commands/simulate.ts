/**
 * `blindspot run` and `blindspot compare`: run scenarios, embedded or over BullMQ, print
 * the figures and write the result documents, an HTML report and CSV.
 */
import { runsOf } from '@blindspot/pipeline/platform-runs';
import type { RunResult } from '@blindspot/core';
import { runEmbeddedParallel } from '@blindspot/pipeline/embedded';
import { compareResults, formatComparison, formatTable, summarize } from '../format';
import { InputError, loadAll, type LoadedScenario } from '../load';
import * as opt from '../options';
import {
  FileNames,
  jsonText,
  checkCollisions,
  destinationOf,
  fileStem,
  folderName,
  writeFiles,
  writtenLines,
  type Destination,
  type PlannedFile,
} from '../output';
import { Progress } from '../progress';
import { listenForInterrupt } from '../interrupt';
import { figuresCsv } from '../figures';
import { perDayCsv, perMonthCsv, platformsCsv, renderHtml, reportsCsv } from '../report-html';
import { defineCommand, type Values } from './command';
import { jobKeyForRun, jobKeyProblemFor } from '../job-key';
import * as rep from '../analysis/replicate-command';

const options = {
  json: opt.json,
  out: opt.out,
  force: opt.force,
  seed: opt.seed,
  replications: opt.replications,
  workers: opt.workers,
  batchSize: opt.batchSize,
  redis: opt.redis,
  externalServices: opt.externalServices,
  replicas: opt.replicas,
  prefix: opt.prefix,
  partitions: opt.partitions,
  timeout: opt.timeout,
  logLevel: opt.logLevel,
};

type Options = Values<typeof options>;

/** Options that only mean something over BullMQ. */
function transportProblems(v: Options): string[] {
  const problems: string[] = [];
  if (v.externalServices && v.redis === undefined) problems.push('--external-services needs --redis <url>');
  if (Object.keys(v.replicas).length > 0 && v.redis === undefined) problems.push('--replicas needs --redis <url>');
  const jobKey = v.redis === undefined ? null : jobKeyProblemFor(v.externalServices);
  if (jobKey) problems.push(jobKey);
  if (v.workers !== undefined && v.redis !== undefined)
    problems.push('--workers sets the worker threads of embedded replications; over BullMQ, scale the services with --replicas');
  return problems;
}

export const runCommand = defineCommand({
  name: 'run',
  summary: 'run one scenario; print its figures, write its result and report',
  usage: ['run <scenario.yaml> [options]'],
  about:
    'Runs the scenario on this machine (or over BullMQ with --redis), prints its figures and\nwrites the result document (JSON), an HTML report and CSV into a new folder under\nresults/ (results/latest points to it), or into --out <dir>.',
  operands: { min: 1, max: 1, problem: 'run takes exactly one scenario file' },
  options,
  check: transportProblems,
  run: (v, files) => simulate('run', files, v),
});

export const compareCommand = defineCommand({
  name: 'compare',
  summary: 'run two or more scenarios and show how the figures change',
  usage: ['compare <a.yaml> <b.yaml> [<more.yaml> ...] [options]'],
  about:
    "Runs each scenario as run does, prints the change of every figure from the first to the\nsecond (with more than two, a table of all), and writes comparison.json, comparison.html\nand CSV beside each scenario's result document.",
  operands: { min: 2, max: Number.POSITIVE_INFINITY, problem: 'compare takes two or more scenario files' },
  options,
  check: transportProblems,
  run: (v, files) => simulate('compare', files, v),
});

/** What the files are rendered from once the runs are done. */
interface Outcome {
  results: RunResult[];
  /** compare: `{ a, b, change }` for two, `{ results, changes }` for more. */
  comparison?: unknown;
}

const labelsOf = (results: RunResult[]) => results.map((r) => r.scenario.name);

/** The HTML report, the per-day and per-month CSV and the figures of a run or comparison: one line per file. */
function reportFiles(stem: string, title: string): PlannedFile<Outcome>[] {
  return [
    { name: `${stem}.html`, render: ({ results }) => renderHtml({ title, labels: labelsOf(results), results }) },
    { name: `${stem}-per-day.csv`, render: ({ results }) => perDayCsv(labelsOf(results), results) },
    { name: `${stem}-per-month.csv`, render: ({ results }) => perMonthCsv(labelsOf(results), results) },
    { name: `${stem}-figures.csv`, render: ({ results }) => figuresCsv(labelsOf(results), results) },
  ];
}

/**
 * Every file of the command, named before anything runs: one stem per scenario (two
 * scenarios of one name, or one named "comparison", get `-2`), and the comparison's own.
 */
export function planFiles(command: 'run' | 'compare', loaded: readonly LoadedScenario[]): PlannedFile<Outcome>[] {
  const names = new FileNames();
  const title = `Blindspot: ${loaded.map((l) => l.scenario.name).join(loaded.length === 2 ? ' and ' : ', ')}`;
  const comparison =
    command === 'compare'
      ? names.claim('comparison', (stem) => [{ name: `${stem}.json`, render: (o: Outcome) => jsonText(o.comparison) }, ...reportFiles(stem, title)])
      : [];
  const own = loaded.map((l, i) =>
    names.claim(fileStem(l.scenario.name), (stem) => [
      { name: `${stem}.json`, render: (o: Outcome) => jsonText(o.results[i]) },
      ...(command === 'run' ? reportFiles(stem, title) : []),
      { name: `${stem}-reports.csv`, render: (o: Outcome) => reportsCsv(o.results[i] as RunResult) },
      // A world of several platforms: a row per platform, and the total.
      ...(l.scenario.platforms ? [{ name: `${stem}-platforms.csv`, render: (o: Outcome) => platformsCsv(o.results[i] as RunResult) }] : []),
    ]),
  );
  // In the order of old: the result documents, the comparison's files, the reports to police.
  return [...own.map((files) => files[0] as PlannedFile<Outcome>), ...comparison, ...own.flatMap((files) => files.slice(1))];
}

async function simulate(command: 'run' | 'compare', files: string[], v: Options): Promise<number> {
  const started = new Date();
  // Every problem with the files and the output folder at once, before anything runs.
  const problems: string[] = [];
  let dest: Destination | undefined;
  let loaded: LoadedScenario[] = [];
  try {
    dest = destinationOf(v.out, v.force);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    problems.push(...err.lines);
  }
  try {
    loaded = loadAll(files).map((l) => ({ ...l, scenario: opt.withSeed(l.scenario, v.seed) }));
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    problems.push(...err.lines);
  }
  if (problems.length > 0 || dest === undefined) throw new InputError(problems);
  if (v.replications > 1) return simulateReplicated(command, loaded, v, dest, started);
  const planned = planFiles(command, loaded);
  checkCollisions(
    dest,
    planned.map((f) => f.name),
  );

  const results = await runAll(loaded, v);
  const outcome: Outcome = { results };
  let text: string;
  let doc: unknown;
  if (command === 'run') {
    const [r] = results as [RunResult];
    doc = r;
    text = summarize(r);
  } else if (results.length === 2) {
    const [a, b] = results as [RunResult, RunResult];
    const c = compareResults(a, b);
    doc = outcome.comparison = c;
    text = formatComparison(c);
  } else {
    // More than two: every result, and each one's change against the first.
    const [first, ...rest] = results as [RunResult, ...RunResult[]];
    doc = outcome.comparison = {
      results,
      changes: rest.map((r) => ({ against: first.scenario.name, scenario: r.scenario.name, ...compareResults(first, r).change })),
    };
    text = formatTable(results);
  }
  return finish({ dest, started, command, loaded, planned, outcome, text, doc, json: v.json });
}

/** Writes the planned files into the destination, prints the text (or the document under --json) and the paths written. */
function finish<R>(o: {
  dest: Destination;
  started: Date;
  command: string;
  loaded: readonly LoadedScenario[];
  planned: PlannedFile<R>[];
  outcome: R;
  text: string;
  doc: unknown;
  json: boolean;
}): number {
  const written = writeFiles(
    o.dest,
    () =>
      folderName(
        o.started,
        o.command,
        o.loaded.map((l) => fileStem(l.scenario.name)),
      ),
    o.planned,
    o.outcome,
  );
  process.stdout.write(o.json ? jsonText(o.doc) : `${o.text}\n`);
  // Paths go to stderr under --json so stdout stays one JSON document.
  for (const line of writtenLines(written)) (o.json ? process.stderr : process.stdout).write(`${line}\n`);
  return 0;
}

/** run and compare with --replications N (see ../analysis/replicate-command.ts). */
async function simulateReplicated(command: 'run' | 'compare', loaded: LoadedScenario[], v: Options, dest: Destination, started: Date): Promise<number> {
  const planned = rep.planReplicatedFiles(command, loaded);
  checkCollisions(
    dest,
    planned.map((f) => f.name),
  );
  const jobs = rep.replicationJobs(loaded, v.replications);
  const threads = rep.threadsFor(jobs.length, v.workers);
  if (v.redis === undefined) rep.checkReplicationMemory(loaded, threads);
  for (const note of rep.seedNotes(loaded)) process.stderr.write(`${note}\n`);
  const label = `${command} ${loaded.map((l) => l.scenario.name).join(', ')} × ${v.replications}`;
  const results = v.redis === undefined ? await rep.runReplicationsEmbedded(jobs, v.batchSize, threads, label) : await runAll(jobs, v);
  const outcome = rep.summarise(results, loaded.length);
  const { text, doc } = rep.replicatedText(command, outcome);
  return finish({ dest, started, command, loaded, planned, outcome, text, doc, json: v.json });
}

async function runAll(scenarios: LoadedScenario[], v: Options): Promise<RunResult[]> {
  const results: RunResult[] = [];
  if (v.redis === undefined) {
    for (const { scenario, file } of scenarios) {
      const progress = new Progress(scenario.name, runsOf(scenario) * scenario.durationDays);
      results.push(await runEmbeddedParallel(scenario, { file, batchSize: v.batchSize, onProgress: (m, day) => progress.update(m, day) }));
      progress.done();
    }
    return results;
  }
  // BullMQ and ioredis take a while to load: only when a run needs them.
  const [{ connectClient, submitAndWait }, { spawnServices }] = await Promise.all([import('@blindspot/pipeline/orchestrate'), import('../spawn')]);
  const url = v.redis;
  const jobKey = jobKeyForRun();
  let services: ReturnType<typeof spawnServices> | undefined;
  // Ctrl-C cancels the run under way (submitAndWait), then the services started here are stopped.
  const interrupt = listenForInterrupt(process.stderr, () => services?.terminate());
  try {
    const redis = await connectClient(url);
    try {
      if (!v.externalServices) {
        const env = { REDIS_URL: url, BLINDSPOT_PREFIX: v.prefix, BLINDSPOT_PARTITIONS: String(v.partitions), LOG_LEVEL: v.logLevel, ...jobKey.env };
        services = spawnServices(env, v.replicas);
      }
      for (const { scenario, file } of scenarios) {
        const progress = new Progress(scenario.name, runsOf(scenario) * scenario.durationDays);
        results.push(
          await submitAndWait(redis, scenario, {
            url,
            auth: jobKey.auth,
            prefix: v.prefix,
            partitions: v.partitions,
            file,
            batchSize: v.batchSize,
            // One generation job per generator started here, so every one of them works on the run.
            groups: v.replicas.generator ?? 1,
            timeoutMs: v.timeout,
            // After a signal the services it reaches exit on their own: not a problem to report.
            check: () => (interrupt.received() ? null : (services?.problem() ?? null)),
            onProgress: (messages, day) => progress.update(messages, day),
            signal: interrupt.signal,
            ...(services ? { stopServices: () => (services as NonNullable<typeof services>).stop() } : {}),
          }),
        );
        progress.done();
      }
      return results;
    } finally {
      await services?.stop();
      redis.disconnect();
    }
  } catch (err) {
    throw interrupt.explain(err);
  } finally {
    interrupt.dispose();
  }
}
