/**
 * Run coordination for the command line: submit a run to the services over Redis and
 * wait for its result document. The services may be processes the command started
 * itself or services running elsewhere (compose, other machines).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RunResult, Scenario } from '@blindspot/core';
import { QUEUES, RunKeys } from './bullmq/keys';
import { Queues } from './bullmq/queues';
import { RUN_KEY_TTL_SECONDS } from './bullmq/ordered';
import { createRedis, redactUrl, redactorForUrl, safeMessage, scanKeys, waitForRedis } from './bullmq/connection';

export interface SubmitOptions {
  url: string;
  prefix: string;
  file: string;
  batchSize: number;
  /** Give up after this long without a result (ms). */
  timeoutMs: number;
  /** Called while waiting; returning a message aborts the run (e.g. a service died). */
  check?: () => string | null;
  /** Called with the run id once the result is in, before the run's keys are deleted. */
  beforeCleanup?: (run: string) => Promise<void>;
  /** Called while waiting with the messages generated so far and the simulated day reached. */
  onProgress?: (messages: number, day: number) => void;
}

export class RunFailed extends Error {
  override name = 'RunFailed';
}

const POLL_MS = 50;
/** How long the command waiting on a run rides out a Redis outage (a restart) before giving up. */
const OUTAGE_TOLERANCE_MS = 60_000;

function newRunId(): string {
  return `r${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/** Connects a short-lived client, failing within seconds with the URL it could not reach. */
export async function connectClient(url: string): Promise<Redis> {
  const redis = createRedis(url, 'client');
  try {
    await waitForRedis(redis, url, 5_000);
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return redis;
}

/** Stores the run's definition and queues it for the generator. Returns the run id. */
export async function submitRun(redis: Redis, scenario: Scenario, options: { prefix: string; file: string; batchSize: number }): Promise<string> {
  const run = newRunId();
  const keys = new RunKeys(options.prefix, run);
  await redis
    .multi()
    .set(keys.scenario, JSON.stringify(scenario), 'EX', RUN_KEY_TTL_SECONDS)
    .set(keys.file, options.file, 'EX', RUN_KEY_TTL_SECONDS)
    .set(keys.options, JSON.stringify({ batchSize: options.batchSize }), 'EX', RUN_KEY_TTL_SECONDS)
    .exec();
  const queues = new Queues(redis, options.prefix);
  try {
    await queues.get(QUEUES.generate).add('run', { run }, { jobId: run });
  } finally {
    await queues.close();
  }
  return run;
}

export async function submitAndWait(redis: Redis, scenario: Scenario, options: SubmitOptions): Promise<RunResult> {
  const started = performance.now();
  const run = await submitRun(redis, scenario, options);
  const keys = new RunKeys(options.prefix, run);
  let outageSince: number | undefined;
  for (;;) {
    let polled: (string | null)[];
    try {
      polled = await redis.mget(keys.result, keys.error, keys.progress);
      outageSince = undefined;
    } catch (err) {
      // Redis restarting: the services wait it out and so does this; the run resumes.
      // Within --timeout: an outage does not extend it.
      outageSince ??= performance.now();
      const lost = performance.now() - outageSince;
      if (lost > OUTAGE_TOLERANCE_MS || performance.now() - started > options.timeoutMs) {
        throw new RunFailed(`lost Redis at ${redactUrl(options.url)} for ${Math.round(lost / 1000)} s: ${safeMessage(err, redactorForUrl(options.url))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    const [result, error, progress] = polled;
    if (result) {
      const doc = JSON.parse(result) as RunResult;
      const wallSeconds = (performance.now() - started) / 1000;
      doc.timing = {
        transport: 'bullmq',
        wallSeconds: Math.round(wallSeconds * 1000) / 1000,
        messagesPerSecond: Math.round(doc.messages.total / Math.max(wallSeconds, 1e-9)),
      };
      await options.beforeCleanup?.(run);
      await cleanup(redis, keys);
      return doc;
    }
    if (error) {
      const { service, message } = JSON.parse(error) as { service: string; message: string };
      throw new RunFailed(`run ${run} failed in the ${service}: ${redactorForUrl(options.url)(message)}`);
    }
    const problem = options.check?.();
    if (problem) throw new RunFailed(problem);
    if (progress) {
      const { day, messages } = JSON.parse(progress) as { day: number; messages: number };
      options.onProgress?.(messages, day);
    }
    if (performance.now() - started > options.timeoutMs) {
      throw new RunFailed(
        `run ${run} produced no result within ${Math.round(options.timeoutMs / 1000)} s; are the services running against ${redactUrl(options.url)} with prefix ${options.prefix}?`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Deletes every key of a finished run, its secrets included. */
async function cleanup(redis: Redis, keys: RunKeys): Promise<void> {
  for (const pattern of keys.patterns) {
    const found = await scanKeys(redis, pattern);
    for (let i = 0; i < found.length; i += 500) await redis.del(...found.slice(i, i + 500));
  }
}
