/**
 * The preflight that `pnpm test` runs first: a missing Redis or browser is named, with
 * its remedy, within seconds, and the command stops there.
 */
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from './support/cli';
import { checkRedis, onPath, type RedisProbes } from './support/preflight';

const answers: RedisProbes = { ping: async () => null, containerEngine: async () => null };
const silent: RedisProbes = {
  ping: async () => 'connect ECONNREFUSED 127.0.0.1:6390',
  containerEngine: async () => 'Could not find a working container runtime strategy',
};

/** A PATH holding only node: no redis-server on it. */
function pathWithoutRedis(): string {
  const dir = mkdtempSync(join(tmpdir(), 'blindspot-path-'));
  symlinkSync(process.execPath, join(dir, 'node'));
  return dir;
}

describe('the preflight of pnpm test', () => {
  it('without REDIS_URL, redis-server or a container engine: names all three and the remedy', async () => {
    const check = await checkRedis({ PATH: pathWithoutRedis() }, silent);
    expect(check.ok).toBe(false);
    expect(check.message).toContain('no REDIS_URL, no redis-server on the PATH, and no container engine answers');
    expect(check.message).toContain('apt-get install -y redis-server');
    expect(check.message).toContain('REDIS_URL=redis://127.0.0.1:6379');
  });

  it('takes redis-server from the PATH, a REDIS_URL that answers, or a container engine', async () => {
    const server = onPath('redis-server', process.env.PATH);
    expect(server, 'this machine has redis-server').not.toBeNull();
    expect(await checkRedis({ PATH: process.env.PATH }, silent)).toEqual({ ok: true, message: `Redis: the tests start ${server}.` });
    expect((await checkRedis({ PATH: pathWithoutRedis(), REDIS_URL: 'redis://127.0.0.1:6390' }, answers)).ok).toBe(true);
    expect((await checkRedis({ PATH: pathWithoutRedis() }, answers)).ok).toBe(true);
  });

  it('never prints the password of a REDIS_URL, whether it answers or not', async () => {
    for (const probes of [answers, silent]) {
      const check = await checkRedis({ PATH: process.env.PATH, REDIS_URL: 'redis://:s3cret-pw@127.0.0.1:6390' }, probes);
      expect(check.message).not.toContain('s3cret-pw');
      expect(check.message).toContain('redis://:***@127.0.0.1:6390');
    }
  });

  it('a REDIS_URL that does not answer is named, with what to do', async () => {
    const check = await checkRedis({ PATH: process.env.PATH, REDIS_URL: 'redis://127.0.0.1:6390' }, silent);
    expect(check.ok).toBe(false);
    expect(check.message).toContain('REDIS_URL=redis://127.0.0.1:6390 does not answer (connect ECONNREFUSED');
    expect(check.message).toContain('unset REDIS_URL');
  });

  it('run as the test script does, with no redis-server on the PATH: exits 1 within seconds, naming the remedy', async () => {
    const env: Record<string, string> = { PATH: pathWithoutRedis(), REDIS_URL: '', BLINDSPOT_TEST_REDIS: '' };
    const run = await runProcess(process.execPath, ['--import', 'tsx', 'tests/support/preflight.ts'], { env, timeoutMs: 60_000 });
    // A machine with a Docker engine has a Redis for the tests after all.
    const noEngine = /no container engine answers/.test(run.stderr);
    if (noEngine) {
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('apt-get install -y redis-server');
      expect(run.stderr).toContain('Nothing was run.');
    } else {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain('Redis: the tests start a Redis container');
    }
    expect(run.seconds).toBeLessThan(30);
  });

  it('a browser that cannot start is named, with what to do', async () => {
    const run = await runProcess(process.execPath, ['--import', 'tsx', 'tests/support/preflight.ts'], {
      env: { CHROMIUM_PATH: '/nonexistent/chromium' },
      timeoutMs: 60_000,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Browser: headless Chromium (/nonexistent/chromium) did not start');
    expect(run.stderr).toContain('point it at a working Chromium binary, or unset it');
  });

  it('on a machine that has never unpacked the packaged Chromium: unpacks it into its own folder, and it starts', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'blindspot-fresh-'));
    try {
      const run = await runProcess(process.execPath, ['--import', 'tsx', 'tests/support/preflight.ts'], {
        env: { CHROMIUM_PATH: '', TMPDIR: fresh },
        timeoutMs: 120_000,
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(new RegExp(`Browser: ${fresh}/blindspot-chromium-[\\d.]+/chromium starts\\.`));
      // Unpacked under a temporary name, then renamed into place: nothing else is left.
      expect(readdirSync(fresh).filter((f) => f.startsWith('blindspot-chromium-'))).toHaveLength(1);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
