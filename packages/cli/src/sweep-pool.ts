/**
 * Runs scenarios embedded on worker threads, several at once. A run is a function of
 * (scenario, seed), so which thread runs which variant, and in what order they finish,
 * changes nothing but `timing`; results come back in task order.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '@blindspot/pipeline/threads';
import type { RunResult, Scenario } from '@blindspot/core';

export interface SweepJob {
  scenario: Scenario;
  /** The scenario file, as recorded in the result. */
  file: string;
  batchSize: number;
}

export interface SweepTask extends SweepJob {
  index: number;
}

export type SweepReply = { index: number; result: RunResult } | { index: number; error: string };

export interface PoolOptions {
  /** Threads to start (default: one per core); never more than there are jobs. */
  workers?: number;
  /** Called each time a run finishes, with the number finished so far. */
  onDone?: (done: number) => void;
}

/** Runs every job, at most `workers` at a time; rejects on the first failure. */
export async function runInWorkers(jobs: readonly SweepJob[], options: PoolOptions = {}): Promise<RunResult[]> {
  if (jobs.length === 0) return [];
  const count = Math.max(1, Math.min(options.workers ?? availableParallelism(), jobs.length));
  const results: RunResult[] = new Array(jobs.length);
  const threads: Worker[] = [];
  let next = 0;
  let done = 0;
  let finished = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        if (finished) return;
        finished = true;
        reject(err);
      };
      const feed = (w: Worker) => {
        if (finished || next >= jobs.length) return;
        const index = next++;
        const task: SweepTask = { ...(jobs[index] as SweepJob), index };
        w.postMessage(task);
      };
      for (let i = 0; i < count; i++) {
        const w = startTsWorker(new URL('./sweep-worker.ts', import.meta.url));
        threads.push(w);
        w.on('message', (reply: SweepReply) => {
          if ('error' in reply) return fail(new Error(`run ${reply.index + 1} of ${jobs.length} failed: ${reply.error}`));
          results[reply.index] = reply.result;
          done++;
          options.onDone?.(done);
          if (done === jobs.length) {
            finished = true;
            resolve();
          } else feed(w);
        });
        w.on('error', (err) => fail(new Error(`a sweep worker failed: ${err.message}`)));
        w.on('exit', (exitCode) => fail(new Error(`a sweep worker stopped before the sweep was done (exit code ${exitCode})`)));
        feed(w);
      }
    });
  } finally {
    finished = true;
    await Promise.all(threads.map((w) => w.terminate()));
  }
  return results;
}
