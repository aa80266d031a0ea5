/**
 * Redis connections. Workers need `maxRetriesPerRequest: null` (BullMQ's blocking
 * commands must wait out a Redis restart); short-lived clients such as the CLI use a
 * bounded retry before they first connect, so an unreachable Redis is reported within
 * seconds, and once connected ride out a restart like the workers do (the command
 * waiting on a run decides how long an outage it tolerates).
 *
 * Credentials never reach a log or a terminal: every client, queue and worker gets an
 * `error` listener that logs the message only, redacted. Never the error object: a
 * failed AUTH carries the password in `command.args`, and BullMQ prints an error that
 * has no listener with console.error. The redaction itself is ../redact.ts.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log';
import { redactUrl, redactor, redactorForUrl, safeMessage, type Redactor } from '../redact';

export type Role = 'worker' | 'client';

export function createRedis(url: string, role: Role, log?: Logger): Redis {
  let connected = false;
  const redact = redactorForUrl(url);
  /** The latest connection error, redacted, for the retry line; logged at warn once per distinct message. */
  let lastError: string | undefined;
  const options: RedisOptions = {
    maxRetriesPerRequest: role === 'worker' ? null : 2,
    enableReadyCheck: true,
    connectTimeout: 5_000,
    lazyConnect: false,
    retryStrategy: (times) => {
      if (role === 'client' && !connected && times > 3) return null;
      const delay = Math.min(200 * 2 ** Math.min(times, 6), 5_000);
      log?.warn({ attempt: times, delayMs: delay, redis: redactUrl(url), ...(lastError ? { err: lastError } : {}) }, 'redis unreachable; retrying');
      return delay;
    },
  };
  const redis = new Redis(url, options);
  redis.on('ready', () => {
    connected = true;
    lastError = undefined;
  });
  // ioredis emits 'error' on every failed attempt; without a listener Node would crash.
  redis.on('error', (err: Error) => {
    const message = redact(err.message);
    if (message !== lastError) log?.warn({ redis: redactUrl(url), err: message }, 'redis connection error');
    lastError = message;
  });
  return redis;
}

/** Every key matching `pattern` (SCAN, never KEYS), up to `limit`. */
export async function scanKeys(redis: Redis, pattern: string, limit = Number.POSITIVE_INFINITY): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0' && found.length < limit);
  return found;
}

/** A redactor for the credentials an open client was given (however it was configured). */
export function redactorFor(redis: Redis): Redactor {
  return redactor([redis.options.password]);
}

/** What BullMQ's queues, workers and queue events have in common: they emit `error`. */
interface EmitsErrors {
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * Gives a BullMQ queue, worker or queue-events object its `error` listener, which hands
 * `report` the message only, redacted. Every such object needs one: without it BullMQ
 * prints the raw error with console.error, a failed AUTH's password (`command.args`) included.
 */
export function reportErrors<T extends EmitsErrors>(bull: T, redact: Redactor, report: (message: string) => void): T {
  bull.on('error', (err) => report(safeMessage(err, redact)));
  return bull;
}

/** Resolves when Redis answers PING, or rejects after `timeoutMs` with a clear message. */
export async function waitForRedis(redis: Redis, url: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`could not reach Redis at ${redactUrl(url)} within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    const message = safeMessage(err, redactorForUrl(url));
    throw new Error(message.startsWith('could not reach') ? message : `could not reach Redis at ${redactUrl(url)}: ${message}`);
  } finally {
    clearTimeout(timer);
  }
}
