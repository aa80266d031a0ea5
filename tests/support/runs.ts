/** Looking at a run under way from a test: its id, how far it got, what it left in Redis. */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES, RunKeys, runKeyPattern, runOfKey, scanKeys } from '@blindspot/pipeline/bullmq';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for `condition`, failing after `timeoutMs` with `what` (and `detail()`, e.g. service logs). */
export async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs: number, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s\n${detail()}`);
    await sleep(50);
  }
}

/** The id of the one run under `prefix`, once it has one. */
export async function runId(redis: Redis, prefix: string, timeoutMs = 60_000): Promise<string> {
  let run: string | null = null;
  await waitFor(
    `no run appeared under ${prefix}`,
    async () => {
      const keys = await scanKeys(redis, runKeyPattern(prefix));
      run = keys.length === 1 ? runOfKey(prefix, keys[0] as string) : null;
      return run !== null;
    },
    timeoutMs,
  );
  return run as unknown as string;
}

/** The highest batch the generator has enqueued (-1: none): the run's first generation group's, which is the whole run's when it has one. */
export async function generatedSoFar(redis: Redis, prefix: string, run: string): Promise<number> {
  return Number((await redis.hget(new RunKeys(prefix, run).generated, '0')) ?? '-1');
}

/** Every key of the run, its secrets included (the run's own patterns). */
export async function keysOfRun(redis: Redis, prefix: string, run: string): Promise<string[]> {
  const found: string[] = [];
  for (const pattern of new RunKeys(prefix, run).patterns) found.push(...(await scanKeys(redis, pattern)));
  return found;
}

const PIPELINE_QUEUES = [QUEUES.generate, QUEUES.scan, QUEUES.metadata, QUEUES.report] as const;

/** Ids of the run's jobs in the pipeline's queues, in any state, and the number of jobs waiting or active in all. */
export async function jobsOfRun(redis: Redis, prefix: string, run: string): Promise<{ ids: string[]; pending: number }> {
  const ids: string[] = [];
  let pending = 0;
  for (const name of PIPELINE_QUEUES) {
    const queue = new Queue(name, { connection: redis, prefix });
    try {
      const all = await queue.getRanges(['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'], 0, -1);
      ids.push(...all.filter((id) => id === run || id.startsWith(`${run}.`)));
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      pending += Object.values(counts).reduce((a, b) => a + b, 0);
    } finally {
      await queue.close();
    }
  }
  return { ids, pending };
}
