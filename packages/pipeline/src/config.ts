/**
 * Service configuration from the environment: one zod object, parsed inside main(),
 * never at import time. Every problem is reported with the variable's name.
 */
import { isIP } from 'node:net';
import { STAGES } from '@blindspot/core';
import { z } from 'zod';
import { JOB_KEY_REMEDY, jobKeyProblem } from './bullmq/authenticator';
import { MAX_PARTITIONS } from './bullmq/keys';

export { MAX_PARTITIONS };

/** The pipeline's services: the vocabulary's stages. */
export const SERVICES = STAGES;
export type ServiceName = (typeof SERVICES)[number];

const int = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/**
 * What is wrong with a Redis URL, or null. The messages never quote the URL: it may hold
 * a password. A raw `@` in the user info is refused rather than guessed at (it is where
 * the user info ends), and so is a percent sign that starts no escape.
 */
export function redisUrlProblem(v: string): string | null {
  if (!/^rediss?:\/\//.test(v)) return 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379';
  // Control characters included: \s does not cover them all.
  if (/[\s\p{Cc}]/u.test(v)) return 'must not contain spaces or control characters';
  const authority = v.slice(v.indexOf('//') + 2).split(/[/?#]/, 1)[0] ?? '';
  if (authority.split('@').length > 2) return 'holds more than one @: write an @ in the password (or user name) as %40';
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return 'is not a valid URL (write any of @ : / ? # % in the password as %40 %3A %2F %3F %23 %25)';
  }
  if (url.hostname === '') return 'names no host, e.g. redis://127.0.0.1:6379';
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    return 'has a % in its user info that starts no escape: write a % in the password as %25';
  }
  if (!/^\/?\d*$/.test(url.pathname)) return 'may end only in a database number, e.g. redis://127.0.0.1:6379/0';
  return null;
}

/** A Redis server address; the command line's --redis is checked with the same rule. */
export const redisUrlSchema = z.string({ error: 'required: the Redis server to use, e.g. redis://127.0.0.1:6379' }).superRefine((v, ctx) => {
  const problem = redisUrlProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A host name (RFC 1123 labels) or an IP address, to listen on. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const hostSchema = z
  .string()
  .refine(
    (v) => isIP(v) !== 0 || (HOST_NAME.test(v) && !/^[\d.]+$/.test(v)),
    'must be an IP address or a host name of this machine, e.g. 127.0.0.1 (loopback) or 0.0.0.0 (every interface)',
  );

/** The queue and key prefix; the command line's --prefix is checked with the same rule. */
export const prefixSchema = z
  .string()
  .regex(/^\{[A-Za-z0-9_.-]+\}$/, 'must be a Redis hash tag such as {blindspot}, so all keys of a deployment share a Cluster slot');

export const DEFAULT_PREFIX = '{blindspot}';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const logLevelSchema = z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` });

/** The first problem zod finds with `value`, as one line, or null if it passes. */
export function problemWith(schema: z.ZodType, value: unknown): string | null {
  const parsed = schema.safeParse(value);
  return parsed.success ? null : (parsed.error.issues[0]?.message ?? 'is not valid');
}

const baseEnv = {
  REDIS_URL: redisUrlSchema,
  BLINDSPOT_PREFIX: prefixSchema.default(DEFAULT_PREFIX),
  /**
   * Partitions of the deployment's keys and queues, each under its own hash tag, so that
   * runs spread over the nodes of a Redis Cluster (keys.ts). Every service, the dashboard
   * and the command line must agree; the first to start records it.
   */
  BLINDSPOT_PARTITIONS: int(1, MAX_PARTITIONS, 1),
  LOG_LEVEL: logLevelSchema.default('info'),
  /** json (one object per line, for machines) or pretty (for a developer's terminal); default: pretty at a terminal outside production. */
  LOG_FORMAT: z.enum(['json', 'pretty']).default(() => (process.stdout.isTTY && process.env.NODE_ENV !== 'production' ? 'pretty' : 'json')),
};

/** The deployment's job key (authenticator.ts). Messages about it never quote it. */
export const jobKeySchema = z.string({ error: `required: the key that authenticates jobs; ${JOB_KEY_REMEDY}` }).superRefine((v, ctx) => {
  const problem = jobKeyProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const envSchema = z.object({
  ...baseEnv,
  /** Signs the jobs this service adds and checks the ones it takes (authenticator.ts). */
  BLINDSPOT_JOB_KEY: jobKeySchema,
  /** Jobs a worker process runs at once. Stage work is CPU-bound: scale with processes, not this. */
  WORKER_CONCURRENCY: int(1, 64, 1),
  /** BullMQ lock duration, ms: how long a job may run without its lock being renewed. */
  LOCK_DURATION_MS: int(1_000, 600_000, 30_000),
  /** BullMQ stalled-job check interval, ms: how soon a crashed worker's jobs are retried. */
  STALLED_INTERVAL_MS: int(1_000, 600_000, 30_000),
  /** Generator: waiting jobs per queue above which it pauses (backpressure). */
  GENERATOR_HIGH_WATER: int(1, 1_000_000, 64),
  /** Generator: threads that frank and encrypt messages (0: one per core but one, at least one). */
  GENERATOR_SEALERS: int(0, 64, 0),
  /** Dead letters (refused jobs' records) older than this are dropped, hours. */
  DEAD_LETTER_RETENTION_HOURS: int(1, 24 * 365, 24 * 7),
  /** At most this many dead letters are kept, the oldest dropped first. */
  DEAD_LETTER_MAX: int(1, 10_000_000, 10_000),
  /** Address of the /metrics, /healthz and /readyz endpoints: loopback unless told otherwise. */
  HTTP_HOST: hostSchema.default('127.0.0.1'),
  /** Their port (0: any free port); if taken, another is used and logged. */
  HTTP_PORT: int(0, 65_535, 9464),
});

export type ServiceConfig = z.output<typeof envSchema>;

/** The dashboard: Redis and prefix like the services, and where it serves the live view. */
export const dashboardEnvSchema = z.object({
  ...baseEnv,
  /** Address of the live view and Bull Board: loopback unless told otherwise. */
  DASHBOARD_HOST: hostSchema.default('127.0.0.1'),
  /** Port (0: any free port). */
  DASHBOARD_PORT: int(0, 65_535, 8080),
  /** Folder of finished reports (the command line's --out) to link to. */
  RESULTS_DIR: z.string().min(1).default('results'),
  /** Let Bull Board retry, promote and remove jobs; off by default (look, do not touch). */
  DASHBOARD_QUEUE_ACTIONS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
});

export type DashboardConfig = z.output<typeof dashboardEnvSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid environment:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

export function parseEnv(env: Record<string, string | undefined>): ServiceConfig {
  return parseWith(envSchema, env);
}

export function parseDashboardEnv(env: Record<string, string | undefined>): DashboardConfig {
  return parseWith(dashboardEnvSchema, env);
}

function parseWith<T>(schema: z.ZodType<T>, env: Record<string, string | undefined>): T {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
}
