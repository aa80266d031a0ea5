/**
 * The shell every service runs in: configuration from the environment, one Redis
 * connection, workers bound to stage handlers, and a bounded, idempotent shutdown on
 * SIGTERM or SIGINT (a second signal exits at once).
 */
import { Worker, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { parseEnv, ConfigError, type ServiceConfig, type ServiceName } from '../config';
import { createLogger, type Logger } from '../log';
import { createRedis, redactUrl } from './connection';
import { Queues } from './queues';
import { QUEUES, RunKeys, type QueueName } from './keys';
import { RUN_KEY_TTL_SECONDS } from './ordered';
import { ServiceMetrics, WATCHED_QUEUES, startHttp } from './metrics';
import { MalformedJobError } from './wire';

export interface ServiceContext {
  readonly name: ServiceName;
  readonly config: ServiceConfig;
  readonly log: Logger;
  readonly redis: Redis;
  readonly queues: Queues;
  keys(run: string): RunKeys;
  /** Aborted when the service starts shutting down: long handlers stop at the next safe point. */
  readonly stopping: AbortSignal;
  /**
   * Binds `handler` to a queue. A MalformedJobError sends the job to the dead-letter
   * queue. `concurrency` overrides WORKER_CONCURRENCY for this queue.
   */
  work(queue: QueueName, handler: (job: Job, token: string | undefined) => Promise<void>, concurrency?: number): Worker;
  /** Hands an active job back to the queue, unfinished, without using up an attempt. */
  release(job: Job, token: string | undefined): Promise<never>;
  /** Records a fatal error for a run so the command waiting on it stops. */
  failRun(run: string, message: string): Promise<void>;
  /** This process's Prometheus series (jobs, durations and dead letters are counted for every handler). */
  readonly metrics: ServiceMetrics;
}

/** The run a job names, if it names one in the form run ids take (a malformed job may not). */
function runOf(data: unknown): string | null {
  const run = data && typeof data === 'object' ? (data as { run?: unknown }).run : undefined;
  return typeof run === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(run) ? run : null;
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
  const redis = createRedis(config.REDIS_URL, 'worker', log);
  const queues = new Queues(redis, config.BLINDSPOT_PREFIX);
  const workers: Worker[] = [];
  const stopping = new AbortController();
  const metrics = new ServiceMetrics(name, queues, WATCHED_QUEUES[name] ?? []);

  const context: ServiceContext = {
    name,
    config,
    log,
    redis,
    queues,
    keys: (run) => new RunKeys(config.BLINDSPOT_PREFIX, run),
    stopping: stopping.signal,
    metrics,
    async release(job, token) {
      await job.moveToWait(token);
      metrics.jobs.inc({ queue: job.queueName, outcome: 'released' });
      log.info({ queue: job.queueName, jobId: job.id }, 'job released for another worker');
      throw new WaitingError();
    },
    work(queue, handler, concurrency) {
      const worker = new Worker(
        queue,
        async (job, token) => {
          const timer = metrics.jobSeconds.startTimer({ queue });
          try {
            await handler(job, token);
            metrics.jobs.inc({ queue, outcome: 'completed' });
          } catch (err) {
            if (err instanceof WaitingError) throw err;
            if (err instanceof MalformedJobError) {
              metrics.jobs.inc({ queue, outcome: 'dead_lettered' });
              metrics.deadLetters.inc({ queue });
              const run = runOf(job.data);
              await queues
                .get(QUEUES.deadLetter)
                .add(
                  `${queue}-malformed`,
                  { queue, jobId: job.id, run, reason: err.message, data: job.data as unknown },
                  { removeOnComplete: false, removeOnFail: false, jobId: `${queue}.${job.id}` },
                );
              // A set of job ids, so a job dead-lettered twice (a retry after a crash) counts once.
              if (run) {
                const key = new RunKeys(config.BLINDSPOT_PREFIX, run).deadLettered;
                await redis.multi().sadd(key, `${queue}.${job.id}`).expire(key, RUN_KEY_TTL_SECONDS).exec();
              }
              log.error({ queue, jobId: job.id, run, reason: err.message }, 'malformed job dead-lettered');
              throw new UnrecoverableError(err.message);
            }
            metrics.jobs.inc({ queue, outcome: 'failed' });
            throw err;
          } finally {
            timer();
          }
        },
        {
          connection: redis,
          prefix: config.BLINDSPOT_PREFIX,
          concurrency: concurrency ?? config.WORKER_CONCURRENCY,
          lockDuration: config.LOCK_DURATION_MS,
          stalledInterval: config.STALLED_INTERVAL_MS,
          maxStalledCount: 10,
          autorun: true,
        },
      );
      worker.on('failed', (job, err) => log.warn({ queue, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'job failed'));
      worker.on('error', (err) => log.error({ queue, err: err.message }, 'worker error'));
      workers.push(worker);
      return worker;
    },
    async failRun(run, message) {
      log.error({ run, reason: message }, 'run failed');
      await redis.set(new RunKeys(config.BLINDSPOT_PREFIX, run).error, JSON.stringify({ service: name, message }), 'EX', 86_400);
    },
  };

  await setup(context);
  const http = await startHttp({ host: config.HTTP_HOST, port: config.HTTP_PORT, metrics, redis, stopping: stopping.signal, log });
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
        log.warn({ err: (err as Error).message }, 'closing queues');
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
 * Entry point for a service process: parses the environment (exit 2 with every problem
 * named), starts, and handles signals.
 */
export async function serviceMain(name: ServiceName, setup: (ctx: ServiceContext) => void | Promise<void>): Promise<void> {
  let service: RunningService;
  try {
    service = await startService(name, process.env, setup);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
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
