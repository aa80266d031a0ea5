/**
 * A real Redis for tests, in order of preference:
 *   1. REDIS_URL from the environment (a server someone else runs; tests use unique
 *      key prefixes so they do not collide with anything there);
 *   2. `redis-server` from PATH, started privately on a free port, so tests can kill
 *      and restart it;
 *   3. a testcontainers Redis, where a container engine answers.
 * BLINDSPOT_TEST_REDIS=server|container forces one of the last two.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { redactorFor, reportErrors } from '@blindspot/pipeline/bullmq';
import { freePort } from '@blindspot/pipeline/net';
import { formCluster, keySlot, nodeOfSlot } from '../../packages/cli/src/redis-cluster';

export { freePort };

export interface TestRedis {
  url: string;
  /** How it was obtained, for test logs. */
  kind: 'env' | 'server' | 'container';
  stop(): Promise<void>;
}

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
      redis.disconnect();
      return;
    } catch (err) {
      redis.disconnect();
      if (Date.now() > deadline) throw new Error(`redis at ${url} did not answer: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function hasRedisServer(): boolean {
  const path = process.env.PATH ?? '';
  return path.split(':').some((dir) => {
    try {
      return existsSync(join(dir, 'redis-server'));
    } catch {
      return false;
    }
  });
}

export interface RedisServerOptions {
  port?: number;
  /** Append-only file on, so a restart keeps the data (as in compose). */
  appendonly?: boolean;
  dir?: string;
  /** Require this password (AUTH), as compose's Redis does. */
  password?: string;
  /**
   * Load the users from this ACL file (Redis's own format, no comments). `password` is
   * then the `default` user's as the file sets it, and only used in `url`.
   */
  aclfile?: string;
  /**
   * Start it through this command (e.g. compose's `sh ops/redis/start.sh`), which is
   * given the server's arguments and must exec redis-server, with this environment.
   */
  via?: { command: string[]; env: Record<string, string> };
  /** More arguments for redis-server (cluster mode, say). */
  extra?: string[];
}

/** A private redis-server process. `restart` kills it and starts it again on the same port and data dir. */
export interface RedisServer extends TestRedis {
  port: number;
  dir: string;
  process: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the server with `signal` (SIGKILL by default; SIGTERM is a clean shutdown) and starts it again. */
  restart(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again after a kill. */
  start(): Promise<void>;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'blindspot-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    options.appendonly ? 'yes' : 'no',
    '--dir',
    dir,
    '--maxmemory-policy',
    'noeviction',
    ...(options.aclfile ? ['--aclfile', options.aclfile] : options.password ? ['--requirepass', options.password] : []),
    ...(options.extra ?? []),
  ];
  const launch = () => {
    if (!options.via) return spawn('redis-server', args, { stdio: 'ignore' });
    const [command, ...before] = options.via.command as [string, ...string[]];
    // Whatever the command writes for the server (an ACL file) goes to the data dir, removed with it.
    return spawn(command, [...before, ...args], { stdio: 'ignore', env: { ...process.env, TMPDIR: dir, ...options.via.env } });
  };
  const url = options.password ? `redis://:${options.password}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`;
  const server: RedisServer = {
    url,
    kind: 'server',
    port,
    dir,
    process: launch(),
    async kill(signal = 'SIGKILL') {
      const child = server.process;
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill(signal);
      });
    },
    async restart(signal: NodeJS.Signals = 'SIGKILL') {
      await server.kill(signal);
      await server.start();
    },
    async start() {
      server.process = launch();
      await waitForPing(url, 10_000);
    },
    async stop() {
      await server.kill('SIGTERM');
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  await waitForPing(url, 10_000);
  return server;
}

async function startContainer(): Promise<TestRedis> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer('redis:7-alpine').start();
  const url = container.getConnectionUrl();
  await waitForPing(url, 10_000);
  return { url, kind: 'container', stop: async () => void (await container.stop()) };
}

export async function obtainRedis(): Promise<TestRedis> {
  const forced = process.env.BLINDSPOT_TEST_REDIS;
  if (process.env.REDIS_URL && !forced) {
    const url = process.env.REDIS_URL;
    await waitForPing(url, 5_000);
    return { url, kind: 'env', stop: async () => undefined };
  }
  if (forced === 'container') return startContainer();
  if (forced === 'server' || hasRedisServer()) return startRedisServer();
  return startContainer();
}

let counter = 0;
/** A key prefix (a hash tag) no other test uses. */
export function uniquePrefix(label = 't'): string {
  counter++;
  return `{bs-${label}-${process.pid}-${Date.now().toString(36)}-${counter}}`;
}

/**
 * A plain BullMQ queue for a test to put jobs on (malformed ones too) or read them, with
 * the redacting error listener every queue has: REDIS_URL may carry a password.
 */
export function rawQueue(name: string, connection: Redis, prefix: string): Queue {
  return reportErrors(new Queue(name, { connection, prefix }), redactorFor(connection), (err) => console.warn(`queue ${name}: ${err}`));
}

/** A private Redis Cluster of `nodes` masters (no replicas), each a redis-server on a free port. */
export interface RedisCluster {
  nodes: RedisServer[];
  /** The node owning the hash slot of `key`. */
  ownerOf(key: string): Promise<RedisServer>;
  stop(): Promise<void>;
}

/** Starts `count` redis-server processes with cluster mode on and forms a cluster of them (formCluster). */
export async function startRedisCluster(count = 3): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'blindspot-cluster-'));
      nodes.push(
        await startRedisServer({
          port,
          dir,
          extra: ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '5000'],
        }),
      );
    }
    await formCluster(nodes.map((n) => n.port));
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err;
  }
  return {
    nodes,
    async ownerOf(key) {
      return nodes[nodeOfSlot(await keySlot(nodes[0]?.port as number, key), count)] as RedisServer;
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
    },
  };
}
