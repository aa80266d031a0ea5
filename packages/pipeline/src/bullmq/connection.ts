/**
 * Redis connections, to a single server or to a Redis Cluster: `openRedis` asks the
 * server it is given whether it is a cluster node, and if so connects to the cluster
 * through it (any node will do: the client learns the slot map and follows it). Workers need `maxRetriesPerRequest: null` (BullMQ's blocking
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
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from '../log';
import { redactUrl, redactor, redactorForUrl, safeMessage, type Redactor } from '../redact';

export type Role = 'worker' | 'client';

/** A connection to a single Redis server or to a Redis Cluster: the pipeline takes either. */
export type RedisClient = Redis | Cluster;

/** The retry and logging every connection shares, single server or cluster node. */
function connectionOptions(url: string, role: Role, log: Logger | undefined, state: { connected: boolean; lastError?: string }): RedisOptions {
  return {
    maxRetriesPerRequest: role === 'worker' ? null : 2,
    enableReadyCheck: true,
    connectTimeout: 5_000,
    lazyConnect: false,
    retryStrategy: (times) => {
      if (role === 'client' && !state.connected && times > 3) return null;
      const delay = Math.min(200 * 2 ** Math.min(times, 6), 5_000);
      log?.warn({ attempt: times, delayMs: delay, redis: redactUrl(url), ...(state.lastError ? { err: state.lastError } : {}) }, 'redis unreachable; retrying');
      return delay;
    },
  };
}

/** The 'ready' and 'error' listeners every connection gets: errors logged redacted, once per distinct message. */
function listen<T extends RedisClient>(client: T, url: string, log: Logger | undefined, state: { connected: boolean; lastError?: string }): T {
  const redact = redactorForUrl(url);
  client.on('ready', () => {
    state.connected = true;
    state.lastError = undefined;
  });
  // ioredis emits 'error' on every failed attempt; without a listener Node would crash.
  client.on('error', (err: Error) => {
    const message = redact(err.message);
    if (message !== state.lastError) log?.warn({ redis: redactUrl(url), err: message }, 'redis connection error');
    state.lastError = message;
  });
  return client;
}

/** A connection to the single server `url` names (see openRedis for one that may be a cluster). */
export function createRedis(url: string, role: Role, log?: Logger): Redis {
  const state = { connected: false };
  return listen(new Redis(url, connectionOptions(url, role, log, state)), url, log, state);
}

/**
 * A connection to the Redis Cluster that the node `url` names belongs to: the node is
 * only where the client starts; it reads the slot map from it and sends each command to
 * the node owning its keys, following MOVED and ASK redirections.
 */
export function createCluster(url: string, role: Role, log?: Logger): Cluster {
  const state = { connected: false };
  const u = new URL(url);
  const node = { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) };
  const redisOptions: RedisOptions = {
    ...connectionOptions(url, role, log, state),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  const options: ClusterOptions = {
    redisOptions,
    enableReadyCheck: true,
    maxRedirections: 16,
    clusterRetryStrategy: (times) => {
      if (role === 'client' && !state.connected && times > 3) return null;
      return Math.min(200 * 2 ** Math.min(times, 6), 5_000);
    },
  };
  return listen(new Cluster([node], options), url, log, state);
}

/** Resolves once `client` is ready; rejects if it gives up connecting (a short-lived client does, after a few tries). */
function ready(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      client.off('end', onEnd);
      resolve();
    };
    const onEnd = () => {
      client.off('ready', onReady);
      reject(new Error('the connection was closed before it was ready'));
    };
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}

/**
 * A connection to `url`: once the server answers, it is asked whether it is a Redis
 * Cluster node (INFO cluster); if it is, the connection is to the whole cluster,
 * whichever node `url` names. A worker waits for the server as long as it takes,
 * retrying with growing delays; a short-lived client gives up after a few tries.
 */
export async function openRedis(url: string, role: Role, log?: Logger): Promise<RedisClient> {
  const single = createRedis(url, role, log);
  try {
    await ready(single);
    if (!(await isClusterNode(single))) return single;
  } catch (err) {
    single.disconnect();
    throw err;
  }
  single.disconnect();
  const cluster = createCluster(url, role, log);
  try {
    await ready(cluster);
  } catch (err) {
    cluster.disconnect();
    throw err;
  }
  log?.info({ redis: redactUrl(url), nodes: cluster.nodes('master').length }, 'connected to a Redis Cluster');
  return cluster;
}

/** Whether the server `redis` is connected to is a Redis Cluster node. */
export async function isClusterNode(redis: Redis): Promise<boolean> {
  return /^cluster_enabled:1\b/m.test(await redis.info('cluster'));
}

/** Every server that holds keys: the one server, or each master of a cluster. */
export function keyServers(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/** Every key matching `pattern` (SCAN, never KEYS; on every master of a cluster), up to `limit`. */
export async function scanKeys(redis: RedisClient, pattern: string, limit = Number.POSITIVE_INFINITY): Promise<string[]> {
  const found: string[] = [];
  for (const server of keyServers(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0' && found.length < limit);
    if (found.length >= limit) break;
  }
  return found;
}

/** A redactor for the credentials an open client was given (however it was configured). */
export function redactorFor(redis: RedisClient): Redactor {
  return redactor([redis instanceof Cluster ? redis.options.redisOptions?.password : redis.options.password]);
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
export async function waitForRedis(redis: RedisClient, url: string, timeoutMs: number): Promise<void> {
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
