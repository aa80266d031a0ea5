/**
 * Redis connections. Workers need `maxRetriesPerRequest: null` (BullMQ's blocking
 * commands must wait out a Redis restart); short-lived clients such as the CLI use a
 * bounded retry before they first connect, so an unreachable Redis is reported within
 * seconds, and once connected ride out a restart like the workers do (the command
 * waiting on a run decides how long an outage it tolerates).
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log';

export type Role = 'worker' | 'client';

export function createRedis(url: string, role: Role, log?: Logger): Redis {
  let connected = false;
  const options: RedisOptions = {
    maxRetriesPerRequest: role === 'worker' ? null : 2,
    enableReadyCheck: true,
    connectTimeout: 5_000,
    lazyConnect: false,
    retryStrategy: (times) => {
      if (role === 'client' && !connected && times > 3) return null;
      const delay = Math.min(200 * 2 ** Math.min(times, 6), 5_000);
      log?.warn({ attempt: times, delayMs: delay, redis: redactUrl(url) }, 'redis unreachable; retrying');
      return delay;
    },
  };
  const redis = new Redis(url, options);
  redis.once('ready', () => (connected = true));
  // ioredis emits 'error' on every failed attempt; without a listener Node would crash.
  redis.on('error', (err) => log?.debug({ err: err.message }, 'redis connection error'));
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

/** The URL without its password, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
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
    const message = (err as Error).message;
    throw new Error(message.startsWith('could not reach') ? message : `could not reach Redis at ${redactUrl(url)}: ${message}`);
  } finally {
    clearTimeout(timer);
  }
}
