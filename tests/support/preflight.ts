/**
 * Checks, in the first seconds of `pnpm test`, what the integration tests need and no
 * `pnpm install` can bring: a Redis, and a headless Chromium that starts. Each missing
 * prerequisite is named with its remedy, and the command stops (exit 1) before the
 * ten-minute suite would fail on it. It installs nothing.
 *
 *   node --import tsx tests/support/preflight.ts
 *
 * Redis is looked for as tests/support/redis.ts obtains it: REDIS_URL, else
 * `redis-server` on the PATH, else a container engine for testcontainers.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { redactUrl } from '@blindspot/pipeline/bullmq';

export interface Check {
  ok: boolean;
  /** What was found, or what is missing and how to get it. */
  message: string;
}

export interface RedisProbes {
  /** Whether a Redis at this URL answers PING; the error message if not. */
  ping(url: string): Promise<string | null>;
  /** Whether a container engine answers; the error message if not. */
  containerEngine(): Promise<string | null>;
}

export function onPath(command: string, path: string | undefined): string | null {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return null;
}

const REDIS_REMEDY =
  'Install redis-server (Debian/Ubuntu: `apt-get install -y redis-server`; the tests start their own on a free port), ' +
  'or set REDIS_URL to a Redis you run (e.g. REDIS_URL=redis://127.0.0.1:6379), or start a Docker engine.';

export async function checkRedis(env: NodeJS.ProcessEnv, probes: RedisProbes): Promise<Check> {
  const forced = env.BLINDSPOT_TEST_REDIS;
  if (forced && forced !== 'server' && forced !== 'container') {
    return { ok: false, message: `BLINDSPOT_TEST_REDIS=${forced}: must be server or container (or unset).` };
  }
  if (env.REDIS_URL && !forced) {
    const failure = await probes.ping(env.REDIS_URL);
    if (failure === null) return { ok: true, message: `Redis: REDIS_URL (${redactUrl(env.REDIS_URL)}) answers.` };
    return {
      ok: false,
      message: `Redis: REDIS_URL=${redactUrl(env.REDIS_URL)} does not answer (${failure}). Start that Redis, or unset REDIS_URL so that the tests start their own redis-server.`,
    };
  }
  const server = onPath('redis-server', env.PATH);
  if (forced !== 'container' && server) return { ok: true, message: `Redis: the tests start ${server}.` };
  if (forced === 'server') {
    return { ok: false, message: `Redis: BLINDSPOT_TEST_REDIS=server, but there is no redis-server on the PATH. ${REDIS_REMEDY}` };
  }
  const failure = await probes.containerEngine();
  if (failure === null) return { ok: true, message: 'Redis: the tests start a Redis container (a container engine answers).' };
  const found = forced === 'container' ? 'BLINDSPOT_TEST_REDIS=container, and' : 'no REDIS_URL, no redis-server on the PATH, and';
  return {
    ok: false,
    message: `Redis: the integration tests need one and found none: ${found} no container engine answers (${failure}). ${REDIS_REMEDY}`,
  };
}

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms).unref())]);

const realProbes: RedisProbes = {
  async ping(url) {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3_000 });
    redis.on('error', () => undefined);
    try {
      await withTimeout(
        redis.connect().then(() => redis.ping()),
        4_000,
        'PING',
      );
      return null;
    } catch (err) {
      return (err as Error).message;
    } finally {
      redis.disconnect();
    }
  },
  async containerEngine() {
    try {
      const { getContainerRuntimeClient } = await import('testcontainers');
      await withTimeout(getContainerRuntimeClient(), 10_000, 'container engine');
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  },
};

/** Starts the Chromium the browser tests use, opens a page and closes it. */
async function checkBrowser(env: NodeJS.ProcessEnv): Promise<Check> {
  const { chromiumPath, launchChromium, packagedChromiumDir } = await import('./browser');
  let path = env.CHROMIUM_PATH || '(the Chromium packaged in @sparticuz/chromium)';
  try {
    path = await chromiumPath();
    const browser = await withTimeout(launchChromium(), 30_000, 'Chromium');
    try {
      const page = await browser.newPage();
      await page.setContent('<p>ok</p>');
    } finally {
      await browser.close();
    }
    return { ok: true, message: `Browser: ${path} starts.` };
  } catch (err) {
    const reason = ((err as Error).message ?? String(err)).split('\n').slice(0, 6).join('\n    ');
    const remedy = env.CHROMIUM_PATH
      ? `CHROMIUM_PATH=${env.CHROMIUM_PATH} is used instead of the packaged Chromium: point it at a working Chromium binary, or unset it.`
      : `Run \`pnpm install\` (it brings @sparticuz/chromium); make room in ${tmpdir()} (the unpacked Chromium takes about 200 MB) ` +
        `or delete ${packagedChromiumDir()} so that it is unpacked afresh; or set CHROMIUM_PATH to a Chromium binary.`;
    return { ok: false, message: `Browser: headless Chromium (${path}) did not start:\n    ${reason}\n  ${remedy}` };
  }
}

export async function preflight(env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  return Promise.all([checkRedis(env, realProbes), checkBrowser(env)]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  const checks = await preflight();
  const failed = checks.filter((c) => !c.ok);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failed.length === 0) {
    process.stderr.write(`preflight (${seconds} s): ${checks.map((c) => c.message).join(' ')}\n`);
  } else {
    process.stderr.write(
      `preflight (${seconds} s): the tests cannot run on this machine yet.\n${failed.map((c) => `  ${c.message}`).join('\n')}\nNothing was run. Fix the above and run the command again.\n`,
    );
    process.exitCode = 1;
  }
}
