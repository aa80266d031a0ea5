/**
 * `run` and `compare` with --replications N: every scenario at N seeds derived from the
 * first scenario's seed (the same seeds for all, so a comparison pairs its runs), in
 * parallel on worker threads (embedded) or one after another over BullMQ (each run
 * spread over every replica of the services); then means, intervals and the paired
 * changes, in the terminal, the result documents, the HTML report and CSV.
 */
import { availableParallelism } from 'node:os';
import type { RunResult, Scenario } from '@blindspot/core';
import { formatProblem } from '@blindspot/core/scenario';
import { csvLine, figuresCsv } from '../figures';
import { InputError, memoryCheck, type LoadedScenario } from '../load';
import { FileNames, fileStem, jsonText, type PlannedFile } from '../output';
import { perDayCsv, perMonthCsv, renderHtml, type ReplicatedInput } from '../report-html';
import { runAllCached } from './run-cache';
import { compareReplicated, replicate, replicationSeeds, type ChangeEstimate, type Replicated } from './replications';
import { formatReplicated, formatReplicatedComparison } from './replications-format';

/** What the files of a replicated run or comparison are rendered from. */
export interface ReplicatedOutcome {
  reps: Replicated[];
  /** Each scenario after the first against the first. */
  changes: Record<string, ChangeEstimate>[];
}

/** The comparison document: each scenario's summary (its runs are in its own document) and every change. */
export function comparisonDocument(o: ReplicatedOutcome) {
  const [first] = o.reps;
  return {
    level: first?.level,
    replications: first?.replications,
    seeds: first?.seeds,
    scenarios: o.reps.map(({ runs: _runs, ...summary }) => summary),
    changes: o.changes.map((figures, i) => ({ against: first?.mean.scenario.name, scenario: o.reps[i + 1]?.mean.scenario.name, figures })),
  };
}

/** Every figure's mean and interval, one row per (scenario, figure); with the change against the first for later scenarios. */
export function intervalsCsv(o: ReplicatedOutcome): string {
  const header = [
    'scenario',
    'figure',
    'replications',
    'mean',
    'low',
    'high',
    'sd',
    'change.mean',
    'change.low',
    'change.high',
    'change.unpairedLow',
    'change.unpairedHigh',
    'ratio.mean',
    'ratio.low',
    'ratio.high',
  ];
  const rows = o.reps.flatMap((rep, i) =>
    Object.entries(rep.figures).map(([path, e]) => {
      const c = i === 0 ? undefined : o.changes[i - 1]?.[path];
      return [
        rep.mean.scenario.name,
        path,
        e.n,
        e.mean,
        e.low,
        e.high,
        e.sd,
        c?.difference.mean,
        c?.difference.low,
        c?.difference.high,
        c?.unpaired.low,
        c?.unpaired.high,
        c?.ratio?.mean,
        c?.ratio?.low,
        c?.ratio?.high,
      ];
    }),
  );
  return `${[header, ...rows].map(csvLine).join('\n')}\n`;
}

/** Every replication's headline figures, one row each (labelled `name #k`). */
function replicationsCsv(reps: readonly Replicated[]): string {
  const runs = reps.flatMap((r) => r.runs);
  const labels = reps.flatMap((r) => r.runs.map((_x, k) => `${r.mean.scenario.name} #${k + 1}`));
  return figuresCsv(labels, runs);
}

const htmlInput = (o: ReplicatedOutcome): ReplicatedInput => ({
  level: o.reps[0]?.level ?? 0.95,
  replications: o.reps[0]?.replications ?? 1,
  figures: o.reps.map((r) => r.figures),
  series: o.reps.map((r) => r.series),
  changes: o.changes,
});

/** Every file, named before anything runs (as planFiles does for one seed). */
export function planReplicatedFiles(command: 'run' | 'compare', loaded: readonly LoadedScenario[]): PlannedFile<ReplicatedOutcome>[] {
  const names = new FileNames();
  const title = `Blindspot: ${loaded.map((l) => l.scenario.name).join(loaded.length === 2 ? ' and ' : ', ')}, replicated`;
  const labels = (o: ReplicatedOutcome) => o.reps.map((r) => r.mean.scenario.name);
  const means = (o: ReplicatedOutcome) => o.reps.map((r) => r.mean);
  const report = (stem: string): PlannedFile<ReplicatedOutcome>[] => [
    { name: `${stem}.html`, render: (o) => renderHtml({ title, labels: labels(o), results: means(o), replicated: htmlInput(o) }) },
    { name: `${stem}-intervals.csv`, render: intervalsCsv },
    { name: `${stem}-replications.csv`, render: (o) => replicationsCsv(o.reps) },
    { name: `${stem}-per-day.csv`, render: (o) => perDayCsv(labels(o), means(o)) },
    { name: `${stem}-per-month.csv`, render: (o) => perMonthCsv(labels(o), means(o)) },
  ];
  const comparison =
    command === 'compare'
      ? names.claim('comparison', (stem) => [{ name: `${stem}.json`, render: (o: ReplicatedOutcome) => jsonText(comparisonDocument(o)) }, ...report(stem)])
      : [];
  const own = loaded.map((l, i) =>
    names.claim(fileStem(l.scenario.name), (stem) => [
      { name: `${stem}.json`, render: (o: ReplicatedOutcome) => jsonText(o.reps[i]) },
      ...(command === 'run' ? report(stem) : []),
    ]),
  );
  return [...own.map((f) => f[0] as PlannedFile<ReplicatedOutcome>), ...comparison, ...own.flatMap((f) => f.slice(1))];
}

/**
 * The scenarios at every seed, replication by replication (all scenarios of replication
 * 1, then of 2, ...), each with its seed: the first scenario's seeds for all.
 */
export function replicationJobs(loaded: readonly LoadedScenario[], n: number): LoadedScenario[] {
  const seeds = replicationSeeds((loaded[0] as LoadedScenario).scenario.seed, n);
  return seeds.flatMap((seed) => loaded.map((l) => ({ ...l, scenario: { ...l.scenario, seed } })));
}

/** Lines saying which scenarios' own seeds a comparison's replications replace. */
export function seedNotes(loaded: readonly LoadedScenario[]): string[] {
  const [first, ...rest] = loaded;
  if (!first) return [];
  return rest
    .filter((l) => l.scenario.seed !== first.scenario.seed)
    .map(
      (l) =>
        `note: ${l.file} has seed ${l.scenario.seed}; its replications use ${first.file}'s seeds instead, so that replication k of every scenario shares its random numbers`,
    );
}

/** Refuses runs that would not fit in memory as many at once as there are worker threads. */
export function checkReplicationMemory(loaded: readonly LoadedScenario[], runsAtOnce: number): void {
  const problems = loaded.flatMap((l) => {
    const p = memoryCheck(l.scenario, { scanThreads: 0, runsAtOnce });
    return p ? [`--replications runs ${runsAtOnce} at once: ${formatProblem(l.file, p)}`] : [];
  });
  if (problems.length > 0) throw new InputError(problems);
}

/** Worker threads for the embedded runs: one per core (or `workers`), at most one per run. */
export const threadsFor = (jobs: number, workers?: number) => Math.max(1, Math.min(workers ?? availableParallelism(), jobs));

/** Runs every job embedded on worker threads, with progress and time left, resuming from the run cache; results in job order. */
export async function runReplicationsEmbedded(jobs: readonly LoadedScenario[], batchSize: number, workers: number, label: string): Promise<RunResult[]> {
  return runAllCached(
    jobs.map((j) => ({ scenario: j.scenario as Scenario, file: j.file, batchSize })),
    workers,
    label,
  );
}

/** Groups the results of replicationJobs back by scenario and summarises them. */
export function summarise(results: readonly RunResult[], scenarios: number): ReplicatedOutcome {
  const per = Array.from({ length: scenarios }, (_, s) => results.filter((_r, i) => i % scenarios === s));
  const reps = per.map((runs) => replicate(runs));
  const [first, ...rest] = per;
  const changes = rest.map((runs) => compareReplicated(first as RunResult[], runs));
  return { reps, changes };
}

/** The terminal text and the document --json prints. */
export function replicatedText(command: 'run' | 'compare', o: ReplicatedOutcome): { text: string; doc: unknown } {
  if (command === 'run') return { text: formatReplicated(o.reps[0] as Replicated), doc: o.reps[0] };
  return { text: formatReplicatedComparison(o.reps, o.changes), doc: comparisonDocument(o) };
}
