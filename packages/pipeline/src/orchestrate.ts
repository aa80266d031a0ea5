/**
 * Run coordination for the command line: submit a run to the services over Redis and
 * wait for its result document. The services may be processes the command started
 * itself or services running elsewhere (compose, other machines). A run the command
 * gives up on (timeout, failure, a service gone, interrupted) is cancelled before it
 * returns: its keys deleted, the services told to drop it (cancel.ts).
 */
import { progressOver, runPlatforms } from './platform-runs';
import { randomBytes } from 'node:crypto';
import type { RunResult, Scenario } from '@blindspot/core';
import { batchLayout } from '@blindspot/core/layout';
import { QUEUES, RunKeys, generateJobId } from './bullmq/keys';
import { Queues } from './bullmq/queues';
import { RUN_KEY_TTL_SECONDS } from './bullmq/ordered';
import type { JobAuthenticator } from './bullmq/authenticator';
import { createCluster, createRedis, isClusterNode, scanKeys, waitForRedis } from './bullmq/connection';
import { redactUrl, redactorForUrl, safeMessage } from './redact';
import { within } from './net';
import { cancelRun } from './bullmq/cancel';
import { agreePartitions } from './bullmq/partitions';
import { type GroupProgress, readProgress } from './bullmq/progress';
import type { RedisClient } from './bullmq/connection';

export interface SubmitOptions {
  url: string;
  /** Signs the run's definition and its generate job: the services' job key. */
  auth: JobAuthenticator;
  prefix: string;
  /** How many partitions the deployment has (BLINDSPOT_PARTITIONS; default 1). */
  partitions?: number;
  file: string;
  batchSize: number;
  /** Generation jobs the run is split into (1 to 64, default 1): as many generators as this can work on it at once. The result does not depend on it. */
  groups?: number;
  /** Give up after this long without a result (ms). */
  timeoutMs: number;
  /** Called while waiting; returning a message aborts the run (e.g. a service died). */
  check?: () => string | null;
  /** Called with the run id once the result is in, before the run's keys are deleted. */
  beforeCleanup?: (run: string) => Promise<void>;
  /** Called while waiting with the messages generated so far and the simulated day reached. */
  onProgress?: (messages: number, day: number) => void;
  /** Aborting it (Ctrl-C) stops the wait: the run is cancelled and RunInterrupted thrown. */
  signal?: AbortSignal;
  /**
   * Called once a run it gave up on is cancelled: stops the services this command
   * started. A job they were working on when the run was cancelled may have enqueued
   * another, and nobody is left to drop it: the cancellation is then made again.
   */
  stopServices?: () => Promise<void>;
}

export class RunFailed extends Error {
  override name = 'RunFailed';
}

/** The wait was aborted (SubmitOptions.signal); the run was cancelled. */
export class RunInterrupted extends RunFailed {
  override name = 'RunInterrupted';
}

const POLL_MS = 50;
/** How long the command waiting on a run rides out a Redis outage (a restart) before giving up. */
const OUTAGE_TOLERANCE_MS = 60_000;
/** How long one poll for the result may wait for Redis to answer. */
const POLL_BOUND_MS = 5_000;
/** How long cancelling an abandoned run may take (Redis may be the reason it was abandoned). */
export const CANCEL_BOUND_MS = 5_000;

function newRunId(): string {
  return `r${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/** Connects a short-lived client, failing within seconds with the URL it could not reach. */
export async function connectClient(url: string): Promise<RedisClient> {
  const single = createRedis(url, 'client');
  try {
    await waitForRedis(single, url, 5_000);
    if (!(await isClusterNode(single))) return single;
  } catch (err) {
    single.disconnect();
    throw err;
  }
  single.disconnect();
  // A cluster node: the connection is to the whole cluster, whichever node the URL names.
  const cluster = createCluster(url, 'client');
  try {
    await waitForRedis(cluster, url, 5_000);
  } catch (err) {
    cluster.disconnect();
    throw err;
  }
  return cluster;
}

/** Stores the run's definition and queues it for the generator. Returns the run id. */
export async function submitRun(
  redis: RedisClient,
  scenario: Scenario,
  options: { prefix: string; partitions?: number; file: string; batchSize: number; auth: JobAuthenticator; run?: string; groups?: number },
): Promise<string> {
  const run = options.run ?? newRunId();
  const partitions = options.partitions ?? 1;
  await agreePartitions(redis, options.prefix, partitions);
  const keys = new RunKeys(options.prefix, run, partitions);
  // One platform's run of a world of several: the scenario as that run sees it is stored
  // (it loads back to the same run, see core scenario/platforms.ts), the platform in the options.
  const { platform, ...stored } = scenario;
  const scenarioJson = JSON.stringify(stored);
  const layout = batchLayout(scenario, options.batchSize, options.groups ?? 1);
  const optionsJson = JSON.stringify({
    batchSize: options.batchSize,
    groups: layout.groups,
    parts: layout.parts,
    ...(platform === undefined ? {} : { platform }),
  });
  await redis
    .multi()
    .set(keys.scenario, scenarioJson, 'EX', RUN_KEY_TTL_SECONDS)
    .set(keys.file, options.file, 'EX', RUN_KEY_TTL_SECONDS)
    .set(keys.options, optionsJson, 'EX', RUN_KEY_TTL_SECONDS)
    .set(keys.definitionAuth, options.auth.runDefinition(run, scenarioJson, options.file, optionsJson), 'EX', RUN_KEY_TTL_SECONDS)
    .exec();
  const queues = new Queues(redis, options.prefix, options.auth, undefined, false, partitions);
  try {
    // One generation job per group; any generator takes any of them.
    for (let group = 0; group < layout.groups; group++) {
      await queues.send(QUEUES.generate, 'run', group === 0 ? { run } : { run, group }, generateJobId(run, group), keys.partition);
    }
  } finally {
    await queues.close();
  }
  return run;
}

/** Submits a run and waits for its result (a world of several platforms: a run per platform, one after the other, see platform-runs.ts). */
export async function submitAndWait(redis: RedisClient, scenario: Scenario, options: SubmitOptions): Promise<RunResult> {
  const progress = progressOver(options.onProgress, scenario.durationDays);
  return runPlatforms(scenario, (s, i) => {
    const onProgress = progress(i);
    return submitOneAndWait(redis, s, { ...options, ...(onProgress ? { onProgress } : {}) });
  });
}

async function submitOneAndWait(redis: RedisClient, scenario: Scenario, options: SubmitOptions): Promise<RunResult> {
  if (options.signal?.aborted) throw new RunInterrupted('interrupted before the run was submitted');
  const started = performance.now();
  const run = newRunId();
  try {
    // BullMQ waits for a lost connection to come back, however long that takes (a
    // rotated password never lets it): the submission is bounded like the wait.
    const bound = Math.min(SUBMIT_BOUND_MS, options.timeoutMs);
    await within(
      submitRun(redis, scenario, { ...options, run }),
      bound,
      () => new RunFailed(`could not submit run ${run} to Redis at ${redactUrl(options.url)} within ${Math.round(bound / 1000)} s`),
    );
    return await waitForResult(redis, run, started, options);
  } catch (err) {
    // However the wait ended, nobody will read this run's result: cancel it, so the
    // services stop work on it and its secrets and ground truth do not sit in Redis.
    let problem = await cancelWithin(redis, options, run);
    if (!problem && options.stopServices) {
      await options.stopServices();
      problem = await cancelWithin(redis, options, run);
    }
    if (err instanceof RunFailed) {
      err.message += problem
        ? `; it could not be cancelled (${problem}): its keys expire within ${Math.round(RUN_KEY_TTL_SECONDS / 86_400)} days`
        : '; the run was cancelled: its keys are deleted and the services drop its work';
    }
    throw err;
  }
}

/** How long submitting a run may take at most (and no longer than --timeout). */
const SUBMIT_BOUND_MS = 30_000;

/** Cancels `run` within CANCEL_BOUND_MS: null if done, else what went wrong. */
async function cancelWithin(redis: RedisClient, options: SubmitOptions, run: string): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer from Redis within ${CANCEL_BOUND_MS / 1000} s`), CANCEL_BOUND_MS);
  });
  try {
    return await Promise.race([cancelRun(redis, options.prefix, run, options.partitions).then(() => null), bound]);
  } catch (err) {
    return safeMessage(err, redactorForUrl(options.url));
  } finally {
    clearTimeout(timer);
  }
}

/** Sleeps `ms`, or less if `signal` is aborted meanwhile. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** `promise`, or a RunInterrupted as soon as `signal` is aborted (a Redis that stopped answering must not hold Ctrl-C up). */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, run: string): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new RunInterrupted(`interrupted while waiting for run ${run}`));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function waitForResult(redis: RedisClient, run: string, started: number, options: SubmitOptions): Promise<RunResult> {
  const keys = new RunKeys(options.prefix, run, options.partitions);
  let outageSince: number | undefined;
  for (;;) {
    if (options.signal?.aborted) throw new RunInterrupted(`interrupted while waiting for run ${run}`);
    let polled: [string | null, string | null, GroupProgress];
    try {
      // A connection that reconnected with a rotated password is never ready again and
      // holds its commands unanswered: each poll is bounded, and counts as an outage.
      const [[result, error], progress] = await unlessAborted(
        within(
          Promise.all([redis.mget(keys.result, keys.error), readProgress(redis, keys)]),
          POLL_BOUND_MS,
          () => new Error(`no answer from Redis within ${POLL_BOUND_MS / 1000} s`),
        ),
        options.signal,
        run,
      );
      polled = [result ?? null, error ?? null, progress];
      outageSince = undefined;
    } catch (err) {
      if (err instanceof RunInterrupted) throw err;
      // Redis restarting: the services wait it out and so does this; the run resumes.
      // Within --timeout: an outage does not extend it.
      outageSince ??= performance.now();
      const lost = performance.now() - outageSince;
      if (lost > OUTAGE_TOLERANCE_MS || performance.now() - started > options.timeoutMs) {
        throw new RunFailed(`lost Redis at ${redactUrl(options.url)} for ${Math.round(lost / 1000)} s: ${safeMessage(err, redactorForUrl(options.url))}`);
      }
      await pause(250, options.signal);
      continue;
    }
    const [result, error, progress] = polled;
    if (result) {
      let doc: RunResult;
      try {
        doc = options.auth.verifyResult(run, result) as RunResult;
      } catch (err) {
        throw new RunFailed((err as Error).message);
      }
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
    if (progress.batches > 0) options.onProgress?.(progress.messages, progress.day);
    if (performance.now() - started > options.timeoutMs) {
      throw new RunFailed(
        `run ${run} produced no result within ${Math.round(options.timeoutMs / 1000)} s (are the services running against ${redactUrl(options.url)} with prefix ${options.prefix}?)`,
      );
    }
    await pause(POLL_MS, options.signal);
  }
}

/** Deletes every key of a finished run, its secrets included. */
async function cleanup(redis: RedisClient, keys: RunKeys): Promise<void> {
  for (const pattern of keys.patterns) {
    const found = await scanKeys(redis, pattern);
    for (let i = 0; i < found.length; i += 500) await redis.del(...found.slice(i, i + 500));
  }
}
