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

/**
 * Worker threads kept between batches of runs (a calibration runs many small batches):
 * `run` takes a batch and gives its results in order, rejecting on the first failure;
 * `close` stops the threads.
 */
export class RunPool {
  private readonly threads: Worker[] = [];
  private busy = false;
  private closed = false;

  constructor(private readonly size: number = availableParallelism()) {}

  /** `onResult` gets each run as it finishes (by its index in `jobs`): to keep it before the batch is done. */
  async run(jobs: readonly SweepJob[], onDone?: (done: number) => void, onResult?: (index: number, result: RunResult) => void): Promise<RunResult[]> {
    if (this.closed) throw new Error('the run pool is closed');
    if (this.busy) throw new Error('the run pool is running another batch');
    if (jobs.length === 0) return [];
    this.busy = true;
    while (this.threads.length < Math.min(this.size, jobs.length)) this.threads.push(startTsWorker(new URL('./sweep-worker.ts', import.meta.url)));
    const results: RunResult[] = new Array(jobs.length);
    const used = this.threads.slice(0, Math.min(this.size, jobs.length));
    let next = 0;
    let done = 0;
    let finished = false;
    const listeners: (() => void)[] = [];
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
        for (const w of used) {
          const onMessage = (reply: SweepReply) => {
            if ('error' in reply) return fail(new Error(`run ${reply.index + 1} of ${jobs.length} failed: ${reply.error}`));
            results[reply.index] = reply.result;
            try {
              onResult?.(reply.index, reply.result);
            } catch (err) {
              return fail(err instanceof Error ? err : new Error(String(err)));
            }
            done++;
            onDone?.(done);
            if (done === jobs.length) {
              finished = true;
              resolve();
            } else feed(w);
          };
          const onError = (err: Error) => fail(new Error(`a run worker failed: ${err.message}`));
          const onExit = (exitCode: number) => fail(new Error(`a run worker stopped before its runs were done (exit code ${exitCode})`));
          w.on('message', onMessage);
          w.on('error', onError);
          w.on('exit', onExit);
          listeners.push(() => {
            w.off('message', onMessage);
            w.off('error', onError);
            w.off('exit', onExit);
          });
          feed(w);
        }
      });
    } catch (err) {
      // A failed batch may leave runs under way: the threads go, and the pool with them.
      await this.close();
      throw err;
    } finally {
      finished = true;
      for (const off of listeners) off();
      this.busy = false;
    }
    return results;
  }

  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((w) => w.terminate()));
  }
}

/** Runs every job, at most `workers` at a time, on threads started for it; rejects on the first failure. */
export async function runInWorkers(jobs: readonly SweepJob[], options: PoolOptions = {}): Promise<RunResult[]> {
  if (jobs.length === 0) return [];
  const pool = new RunPool(Math.max(1, Math.min(options.workers ?? availableParallelism(), jobs.length)));
  try {
    return await pool.run(jobs, options.onDone);
  } finally {
    await pool.close();
  }
}
