/**
 * The shell every service runs in: configuration from the environment, one Redis
 * connection, workers bound to stage handlers, and a bounded, idempotent shutdown on
 * SIGTERM or SIGINT (a second signal exits at once). Jobs of a cancelled run are
 * dropped (cancel.ts); a malformed job is dead-lettered, and fails its run at once if it
 * holds the id of one of the run's batches that can then no longer arrive (lost-batch.ts).
 */
import { DelayedError, Worker, WaitingError, type Job } from 'bullmq';
import { parseEnv, ConfigError, type ServiceConfig, type ServiceName } from '../config';
import { createLogger, type Logger } from '../log';
import { openRedis, reportErrors } from './connection';
import { redactUrl, redactorForUrl, safeMessage } from '../redact';
import { QUEUE_CATALOG, Queues, SERVICE_QUEUES, type ConsumedQueue, type JobData } from './queues';
import { QUEUES, RunKeys, deadLetterJobId, parseJobId, type QueueName } from './keys';
import { RUN_KEY_TTL_SECONDS } from './ordered';
import { RunCancelledError, isCancelled, writeUnlessCancelled } from './cancel';
import { lostAtDeadLetter } from './lost-batch';
import { ListenError, ServiceMetrics, startHttp } from './metrics';
import { MalformedJobError, parseJob, runIdSchema } from './wire';
import { ForgedJobError, JobAuthenticator } from './authenticator';
import { deadLetterOf, keepDeadLetters } from './dead-letters';
import { PartitionsMismatch, agreePartitions } from './partitions';
import type { RedisClient } from './connection';

/** A handler for queue `Q`: it receives the job's data parsed against the queue's schema. */
export type JobHandler<Q extends QueueName> = (data: JobData<Q>, job: Job<JobData<Q>>, token: string | undefined) => Promise<void>;

export interface ServiceContext {
  readonly name: ServiceName;
  readonly config: ServiceConfig;
  readonly log: Logger;
  readonly redis: RedisClient;
  readonly queues: Queues;
  /** Signs and checks jobs and run definitions under the deployment's job key. */
  readonly auth: JobAuthenticator;
  keys(run: string): RunKeys;
  /** Aborted when the service starts shutting down: long handlers stop at the next safe point. */
  readonly stopping: AbortSignal;
  /**
   * Binds `handler` to one of the queues this service consumes (SERVICE_QUEUES), once.
   * The job's authenticator is checked first and its data parsed against its queue's
   * schema; a forged job, or a malformed one (or a MalformedJobError from the handler),
   * goes to the dead-letter queue with its reason. A malformed job is counted against
   * the run it names; a forged one against none: it is not the run's.
   * `concurrency` overrides WORKER_CONCURRENCY for this queue. The handler is bound to
   * the queue of every partition (one worker each); it gets the jobs of them all.
   */
  work<Q extends ConsumedQueue>(queue: Q, handler: JobHandler<Q>, concurrency?: number): Worker[];
  /** Hands an active job back to the queue, unfinished, without using up an attempt. */
  release(job: Job, token: string | undefined): Promise<never>;
  /** Hands an active job back to the queue to be taken again in `ms` (by any worker), without using up an attempt. */
  defer(job: Job, token: string | undefined, ms: number): Promise<never>;
  /** Records a fatal error for a run so the command waiting on it stops (nothing, if the run was cancelled). */
  failRun(run: string, message: string): Promise<void>;
  /** This process's Prometheus series (jobs, durations and dead letters are counted for every handler). */
  readonly metrics: ServiceMetrics;
}

/** The run a job names, if it names one in the form run ids take (a malformed job may not). */
function runOf(data: unknown): string | null {
  const run = runIdSchema.safeParse(data && typeof data === 'object' ? (data as { run?: unknown }).run : undefined);
  return run.success ? run.data : null;
}

/** Seconds a run's error outlives it, for a command that comes back to read it. */
const RUN_ERROR_TTL_SECONDS = 86_400;

/** A service bound no handler, or two, to a queue it consumes, or one to a queue it does not: it must not start. */
export class WiringError extends Error {
  override name = 'WiringError';
}

/** Shutdown must finish inside compose's 10-second grace period. */
export const SHUTDOWN_BOUND_MS = 8_000;

export interface RunningService {
  context: ServiceContext;
  /** Where /metrics, /healthz and /readyz answer. */
  httpUrl: string;
  close(): Promise<void>;
}

/** Starts a service in this process; `setup` binds its workers. */
export async function startService(
  name: ServiceName,
  env: Record<string, string | undefined>,
  setup: (ctx: ServiceContext) => void | Promise<void>,
): Promise<RunningService> {
  const config = parseEnv(env);
  const log = createLogger(name, config.LOG_LEVEL, config.LOG_FORMAT);
  const redis = await openRedis(config.REDIS_URL, 'worker', log);
  const redact = redactorForUrl(config.REDIS_URL);
  const auth = new JobAuthenticator(config.BLINDSPOT_JOB_KEY);
  const partitions = config.BLINDSPOT_PARTITIONS;
  const queues = new Queues(redis, config.BLINDSPOT_PREFIX, auth, log, false, partitions);
  const workers: Worker[] = [];
  /** The queues a handler is bound to. */
  const bound = new Set<QueueName>();
  const stopping = new AbortController();
  const { consumes, watches } = SERVICE_QUEUES[name];
  const metrics = new ServiceMetrics(name, queues, [...consumes, ...watches]);

  const context: ServiceContext = {
    name,
    config,
    log,
    redis,
    queues,
    auth,
    keys: (run) => new RunKeys(config.BLINDSPOT_PREFIX, run, partitions),
    stopping: stopping.signal,
    metrics,
    async release(job, token) {
      await job.moveToWait(token);
      metrics.jobs.inc({ queue: job.queueName, outcome: 'released' });
      log.info({ queue: job.queueName, jobId: job.id }, 'job released for another worker');
      throw new WaitingError();
    },
    async defer(job, token, ms) {
      await job.moveToDelayed(Date.now() + ms, token);
      metrics.jobs.inc({ queue: job.queueName, outcome: 'deferred' });
      log.debug({ queue: job.queueName, jobId: job.id, ms }, 'job deferred');
      throw new DelayedError();
    },
    work(queue, handler, concurrency) {
      if (!(consumes as readonly QueueName[]).includes(queue))
        throw new WiringError(`${name} does not consume queue "${queue}" (it consumes ${consumes.join(', ')})`);
      if (bound.has(queue)) throw new WiringError(`${name} binds two handlers to queue "${queue}"`);
      bound.add(queue);
      const { schema, what } = QUEUE_CATALOG[queue];
      // Zero until a job is refused, rather than absent: a dashboard of dead letters shows 0, not "no data".
      metrics.deadLetters.inc({ queue }, 0);
      /** Jobs this worker dead-lettered: removed once BullMQ has marked them done, payload and all. */
      const deadLettered = new Set<string>();
      /** A job of a cancelled run is completed without effect (and so removed). */
      const drop = (job: Job, run: string) => {
        metrics.jobs.inc({ queue, outcome: 'cancelled' });
        log.debug({ queue, jobId: job.id, run }, 'job of a cancelled run dropped');
      };
      const processJob = async (job: Job<JobData<typeof queue>>, token: string | undefined): Promise<void> => {
        const run = runOf(job.data);
        if (run && (await isCancelled(redis, context.keys(run)))) return drop(job, run);
        const timer = metrics.jobSeconds.startTimer({ queue });
        try {
          const data = parseJob(schema, auth.verify(queue, job.id, job.data), what) as JobData<typeof queue>;
          await handler(data, job, token);
          metrics.jobs.inc({ queue, outcome: 'completed' });
        } catch (err) {
          if (err instanceof WaitingError || err instanceof DelayedError) throw err;
          // Cancelled under the handler (its keys deleted): whatever failed, there is nothing to retry.
          if (err instanceof RunCancelledError) return drop(job, err.run);
          if (run && (await isCancelled(redis, context.keys(run)))) return drop(job, run);
          if (err instanceof MalformedJobError || err instanceof ForgedJobError) {
            const forged = err instanceof ForgedJobError;
            metrics.jobs.inc({ queue, outcome: 'dead_lettered' });
            metrics.deadLetters.inc({ queue });
            const plainId = deadLetterJobId(queue, job.id);
            const letter = deadLetterOf(queue, job, run, forged, err.message);
            await queues.send(QUEUES.deadLetter, `${queue}-${forged ? 'forged' : 'malformed'}`, letter, plainId);
            await keepDeadLetters(queues.get(QUEUES.deadLetter), config.DEAD_LETTER_RETENTION_HOURS * 3_600_000, config.DEAD_LETTER_MAX);
            log.error(
              { queue, jobId: job.id, run, reason: err.message, bytes: letter.bytes },
              forged ? 'forged job dead-lettered' : 'malformed job dead-lettered',
            );
            // Done with, not failed: BullMQ would keep a failed job, payload and all, for a day.
            if (job.id) deadLettered.add(job.id);
            // A forged job is not the run's: it counts against none, and its id (which it
            // cannot have taken from a real batch: ids carry a tag) blocks nothing.
            if (forged) return;
            // A job holding a batch's id counts against that batch's run too, whatever its data names.
            const batch = parseJobId(queue, job.id);
            // A set of job ids, so a job dead-lettered twice (a retry after a crash) counts once.
            for (const named of new Set([run, batch?.run])) {
              if (named)
                await writeUnlessCancelled(redis, context.keys(named), RUN_KEY_TTL_SECONDS, [{ sadd: context.keys(named).deadLettered, member: plainId }]);
            }
            const lost = batch && (await lostAtDeadLetter(redis, queues, context.keys(batch.run), batch, job, err.message));
            if (lost && batch) await context.failRun(batch.run, lost);
            return;
          }
          metrics.jobs.inc({ queue, outcome: 'failed' });
          throw err;
        } finally {
          timer();
        }
      };
      // One worker per partition: the same handler on the queue of each.
      const partitionWorkers = queues.all(queue).map(
        (partitionQueue) =>
          new Worker<JobData<typeof queue>>(queue, processJob, {
            connection: redis,
            prefix: partitionQueue.opts.prefix,
            concurrency: concurrency ?? config.WORKER_CONCURRENCY,
            lockDuration: config.LOCK_DURATION_MS,
            stalledInterval: config.STALLED_INTERVAL_MS,
            maxStalledCount: 10,
            autorun: true,
          }),
      );
      for (const worker of partitionWorkers) {
        // A forged job may ask to be kept when done (removeOnComplete: false): it is removed regardless.
        worker.on('completed', (job) => {
          if (!job.id || !deadLettered.delete(job.id)) return;
          job.remove().catch((err: unknown) => log.warn({ queue, jobId: job.id, err: safeMessage(err, redact) }, 'removing a dead-lettered job'));
        });
        worker.on('failed', (job, err) => log.warn({ queue, jobId: job?.id, attempts: job?.attemptsMade, err: safeMessage(err, redact) }, 'job failed'));
        reportErrors(worker, redact, (err) => log.error({ queue, err }, 'worker error'));
        workers.push(worker);
      }
      return partitionWorkers;
    },
    async failRun(run, message) {
      const keys = context.keys(run);
      if (await writeUnlessCancelled(redis, keys, RUN_ERROR_TTL_SECONDS, [{ set: keys.error, value: JSON.stringify({ service: name, message }) }])) {
        log.error({ run, reason: message }, 'run failed');
      }
    },
  };

  let http: Awaited<ReturnType<typeof startHttp>>;
  try {
    await agreePartitions(redis, config.BLINDSPOT_PREFIX, partitions);
    await setup(context);
    const unbound = consumes.filter((q) => !bound.has(q));
    if (unbound.length > 0) throw new WiringError(`${name} binds no handler to queue ${unbound.map((q) => `"${q}"`).join(', ')}`);
    http = await startHttp({ host: config.HTTP_HOST, port: config.HTTP_PORT, metrics, redis, stopping: stopping.signal, log });
  } catch (err) {
    stopping.abort();
    await Promise.allSettled(workers.map((w) => w.close()));
    await queues.close();
    redis.disconnect();
    throw err;
  }
  log.info({ redis: redactUrl(config.REDIS_URL), prefix: config.BLINDSPOT_PREFIX, queues: workers.map((w) => w.name), http: http.url }, 'service started');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stopping.abort();
      // Each step on its own so one failure does not skip the rest.
      await Promise.allSettled(workers.map((w) => w.close()));
      http.server.closeAllConnections();
      await new Promise<void>((resolve) => http.server.close(() => resolve()));
      try {
        await queues.close();
      } catch (err) {
        log.warn({ err: safeMessage(err, redact) }, 'closing queues');
      }
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
      log.info('service stopped');
    })();
    return closing;
  };
  return { context, httpUrl: http.url, close };
}

/**
 * An error nobody caught ends the process with one redacted line, not Node's dump of the
 * error object (which, for a failed AUTH, includes the password). `redact` knows the
 * secrets of REDIS_URL, and is asked at the time of the crash.
 */
export function exitOnCrash(name: string, redact: () => (text: string) => string): void {
  const crash = (err: unknown) => {
    process.stderr.write(`${name}: ${safeMessage(err, redact())}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

/**
 * Entry point for a service process: parses the environment (exit 2 with every problem
 * named), starts, and handles signals.
 */
export async function serviceMain(name: ServiceName, setup: (ctx: ServiceContext) => void | Promise<void>): Promise<void> {
  exitOnCrash(name, () => redactorForUrl(process.env.REDIS_URL ?? ''));
  let service: RunningService;
  try {
    service = await startService(name, process.env, setup);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof ListenError || err instanceof PartitionsMismatch) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof WiringError) {
      process.stderr.write(`${name}: refusing to start: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${name}: could not start: ${safeMessage(err, redactorForUrl(process.env.REDIS_URL ?? ''))}\n`);
    process.exit(1);
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      service.context.log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    service.context.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      service.context.log.error({ boundMs: SHUTDOWN_BOUND_MS }, 'shutdown took too long: exiting');
      process.exit(1);
    }, SHUTDOWN_BOUND_MS);
    timer.unref();
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
