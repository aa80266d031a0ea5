/**
 * Finished runs kept on disk, so that a replicated run, a sweep, a sensitivity analysis
 * or a calibration stopped part-way (Ctrl-C, a crash, a closed laptop) picks up where it
 * stopped: the same command again reruns only what was not finished. A run is a
 * function of (scenario, file name, model code), so it is stored under the SHA-256 of
 * those: the scenario as validated, the file name recorded in its result, and a hash of
 * every source file of the model (packages/core, packages/pipeline, packages/native), so
 * that a changed model never reuses an old run.
 *
 * The folder is BLINDSPOT_RUN_CACHE, else `.runs` under the results folder
 * (BLINDSPOT_OUT, else results/); BLINDSPOT_RUN_CACHE=off keeps nothing. Each run is one
 * JSON file, written whole (to a temporary name, then renamed), so a file is never half
 * a run. Deleting the folder loses nothing but time.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RunResult } from '@blindspot/core';
import { REPO_ROOT } from '../spawn';
import { RunsProgress } from '../progress';
import { RunPool, type SweepJob } from '../sweep-pool';

const MODEL_SOURCES = ['packages/core/src', 'packages/pipeline/src', 'packages/native/src'];

let modelHash: string | undefined;

/** A hash of every source file of the model (tests left out), computed once. */
export function modelCodeHash(): string {
  if (modelHash !== undefined) return modelHash;
  const h = createHash('sha256');
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!/\.test\.ts$/.test(name)) {
        h.update(relative(REPO_ROOT, path));
        h.update('\0');
        h.update(readFileSync(path));
        h.update('\0');
      }
    }
  };
  for (const dir of MODEL_SOURCES) walk(join(REPO_ROOT, dir));
  modelHash = h.digest('hex');
  return modelHash;
}

/** The cache folder, or null when BLINDSPOT_RUN_CACHE=off. */
export function cacheFolder(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.BLINDSPOT_RUN_CACHE === 'off') return null;
  return env.BLINDSPOT_RUN_CACHE || join(env.BLINDSPOT_OUT || 'results', '.runs');
}

export function runKey(job: Pick<SweepJob, 'scenario' | 'file'>): string {
  return createHash('sha256').update(modelCodeHash()).update('\0').update(job.file).update('\0').update(JSON.stringify(job.scenario)).digest('hex');
}

/** What a cached batch did: how many runs came from the cache. */
export interface CachedBatch {
  results: RunResult[];
  reused: number;
}

/**
 * Runs the jobs on the pool, taking every run already in the cache from it and keeping
 * every run as it finishes. `onDone` counts reused runs as done at once.
 */
export async function runCached(pool: RunPool, jobs: readonly SweepJob[], onDone?: (done: number) => void, folder = cacheFolder()): Promise<CachedBatch> {
  const results: (RunResult | undefined)[] = new Array(jobs.length);
  const keys = jobs.map((j) => (folder === null ? '' : runKey(j)));
  if (folder !== null) {
    mkdirSync(folder, { recursive: true });
    keys.forEach((k, i) => {
      try {
        results[i] = JSON.parse(readFileSync(join(folder, `${k}.json`), 'utf8')) as RunResult;
      } catch {
        // Not there (or unreadable): run it.
      }
    });
  }
  const missing = jobs.flatMap((_j, i) => (results[i] === undefined ? [i] : []));
  const reused = jobs.length - missing.length;
  if (reused > 0) onDone?.(reused);
  const fresh = await pool.run(
    missing.map((i) => jobs[i] as SweepJob),
    (done) => onDone?.(reused + done),
    (k, result) => {
      const i = missing[k] as number;
      results[i] = result;
      if (folder === null) return;
      const path = join(folder, `${keys[i]}.json`);
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(result));
      renameSync(tmp, path);
    },
  );
  fresh.forEach((r, k) => {
    results[missing[k] as number] = r;
  });
  return { results: results as RunResult[], reused };
}

/** A line for stderr when runs came from the cache: how many, and from where. */
export function resumedLine(reused: number, total: number, folder = cacheFolder()): string | null {
  if (reused === 0 || folder === null) return null;
  return `resumed: ${reused} of ${total} runs were already done (kept in ${folder}; BLINDSPOT_RUN_CACHE=off runs everything again)`;
}

/**
 * Runs every job on worker threads started for it, with a progress line (runs done and
 * time left) and the cache: the runs of an earlier, stopped invocation are not run again.
 */
export async function runAllCached(jobs: readonly SweepJob[], workers: number, label: string): Promise<RunResult[]> {
  const pool = new RunPool(workers);
  const progress = new RunsProgress(label, jobs.length);
  try {
    const { results, reused } = await runCached(pool, jobs, (done) => progress.update(done));
    progress.done();
    const line = resumedLine(reused, jobs.length);
    if (line) process.stderr.write(`${line}\n`);
    return results;
  } finally {
    progress.done();
    await pool.close();
  }
}
