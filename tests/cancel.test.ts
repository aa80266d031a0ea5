/**
 * Runs the command gives up on are cancelled, not left to the services. Real Redis, real
 * service processes, the real command:
 *
 *   - `--timeout` mid-run, services running elsewhere: the command exits 1 saying so, and
 *     within seconds nothing of the run is left in Redis (secrets, ledger, inboxes), the
 *     generator says it stopped the run, the queues drain and nothing comes back;
 *   - `load --timeout` with no services at all: the run's queued job is removed as well;
 *   - Ctrl-C (SIGINT) of the command with the services it started: exit 130 within the
 *     cleanup bound, the run's keys and queued jobs gone, the services stopped;
 *   - Ctrl-C while Redis does not answer: still out within the bound, saying the run
 *     could not be cancelled; a second Ctrl-C exits at once.
 *
 * Before: the run's keys (client secret, platform key, ledger) stayed for a week and the
 * services computed the whole run for nobody.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { CANCELLED_TTL_SECONDS, RunKeys } from '@blindspot/pipeline/bullmq';
import { blindspot, startBlindspot, type Running } from './support/cli';
import { startRedisServer, uniquePrefix, type RedisServer } from './support/redis';
import { generatedSoFar, jobsOfRun, keysOfRun, runId, sleep, waitFor } from './support/runs';
import { Fleet } from './support/services';

const fleets: Fleet[] = [];
const servers: RedisServer[] = [];
const commands: Running[] = [];
afterAll(async () => {
  for (const c of commands) c.child.kill('SIGKILL');
  await Promise.all(fleets.map((f) => f.stop()));
  for (const s of servers) s.process.kill('SIGCONT');
  await Promise.all(servers.map((s) => s.stop()));
});

/** The 30-day e2ee scenario, paced by its consumers (high-water mark 2): minutes of work, so every signal lands mid-run. */
const FILE = 'scenarios/e2ee.yaml';
const PACED = { GENERATOR_HIGH_WATER: '2', GENERATOR_SEALERS: '1' };

/** What is left of `run` in Redis: none of its keys, its marker set for about an hour. */
async function expectNothingLeft(redis: Redis, prefix: string, run: string): Promise<void> {
  expect(await keysOfRun(redis, prefix, run)).toEqual([]);
  const ttl = await redis.ttl(new RunKeys(prefix, run).cancelled);
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(CANCELLED_TTL_SECONDS);
}

describe('a run that times out', () => {
  it('is cancelled: its keys go at once, the generator stops it, the queues drain and nothing comes back', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('timeout');
    const fleet = new Fleet({ REDIS_URL: url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'info', ...PACED });
    fleets.push(fleet);
    fleet.startAll();
    await fleet.ready();
    const redis = new Redis(url);
    try {
      const pending = blindspot(['run', FILE, '--json', '--redis', url, '--prefix', prefix, '--external-services', '--batch-size', '500', '--timeout', '15'], {
        timeoutMs: 120_000,
      });
      const run = await runId(redis, prefix);
      const keys = new RunKeys(prefix, run);
      // Mid-run: batches flowing and the secrets stored before the command gives up.
      await waitFor(
        'the run made no progress',
        async () => (await generatedSoFar(redis, prefix, run)) >= 3,
        60_000,
        () => fleet.logs().slice(-3000),
      );
      expect(await redis.exists(keys.clientSecret, keys.platformKey)).toBe(2);

      const r = await pending;
      expect(r.code, r.stderr.slice(-3000)).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(
        `blindspot: run ${run} produced no result within 15 s (are the services running against ${url} with prefix ${prefix}?); the run was cancelled: its keys are deleted and the services drop its work`,
      );
      // The command deleted the keys before it exited.
      await expectNothingLeft(redis, prefix, run);

      await waitFor(
        'the generator did not stop the run',
        () => fleet.log('generator').includes('stopped the cancelled run'),
        30_000,
        () => fleet.logs().slice(-3000),
      );
      await waitFor(
        'the queues did not drain',
        async () => (await jobsOfRun(redis, prefix, run)).pending === 0,
        30_000,
        () => fleet.logs().slice(-3000),
      );
      // A while later: no key recreated (the generator's secrets included), no new job.
      await sleep(3_000);
      await expectNothingLeft(redis, prefix, run);
      expect(await jobsOfRun(redis, prefix, run)).toEqual({ ids: [], pending: 0 });
      expect(fleet.crashed()).toBeNull();
      expect(fleet.logs()).not.toMatch(/"level":50/);
    } finally {
      redis.disconnect();
      await fleet.stop();
    }
  }, 240_000);
});

describe('load that times out with no services to take the run', () => {
  it('cancels the run: its keys and its queued generate job are removed', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('load-timeout');
    const redis = new Redis(url);
    try {
      const pending = blindspot(['load', FILE, '--redis', url, '--prefix', prefix, '--external-services', '--timeout', '3'], { timeoutMs: 60_000 });
      const run = await runId(redis, prefix);
      // Queued just after the run's keys are written.
      await waitFor('the run was not queued', async () => (await jobsOfRun(redis, prefix, run)).ids.some((id) => id.startsWith(`${run}.`)), 10_000);
      const r = await pending;
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`blindspot: run ${run} produced no result within 3 s`);
      expect(r.stderr).toContain('; the run was cancelled: its keys are deleted and the services drop its work');
      await expectNothingLeft(redis, prefix, run);
      expect(await jobsOfRun(redis, prefix, run)).toEqual({ ids: [], pending: 0 });
    } finally {
      redis.disconnect();
    }
  });
});

describe('Ctrl-C of the command', () => {
  it('with the services it started: exits 130 within the bound, the run cancelled, its jobs removed, the services stopped', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('sigint');
    const command = startBlindspot(['run', FILE, '--json', '--redis', url, '--prefix', prefix, '--batch-size', '500', '--log-level', 'info'], {
      env: PACED,
      timeoutMs: 180_000,
    });
    commands.push(command);
    const redis = new Redis(url);
    try {
      const run = await runId(redis, prefix);
      await waitFor(
        'the run made no progress',
        async () => (await generatedSoFar(redis, prefix, run)) >= 3,
        90_000,
        () => command.stderr().slice(-3000),
      );
      const signalled = Date.now();
      command.child.kill('SIGINT');
      const r = await command.completed;
      const seconds = (Date.now() - signalled) / 1000;
      expect(r.code, r.stderr.slice(-3000)).toBe(130);
      expect(seconds).toBeLessThan(30);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('blindspot: SIGINT: cancelling the run (Ctrl-C again to exit at once)');
      expect(r.stderr).toContain(
        `blindspot: interrupted while waiting for run ${run}; the run was cancelled: its keys are deleted and the services drop its work`,
      );
      // The four services it started were stopped, cleanly.
      expect(r.stderr.match(/"msg":"service stopped"/g)).toHaveLength(4);
      await expectNothingLeft(redis, prefix, run);
      // Its services are gone, so nobody would drop the run's queued jobs: the command removed them.
      expect(await jobsOfRun(redis, prefix, run)).toEqual({ ids: [], pending: 0 });
      await sleep(2_000);
      await expectNothingLeft(redis, prefix, run);
    } finally {
      redis.disconnect();
    }
  }, 240_000);

  describe('while Redis does not answer', () => {
    /** A run under way against a private Redis, which is then stopped (SIGSTOP: connections open, no answers). */
    async function runAgainstFrozenRedis(label: string) {
      const server = await startRedisServer();
      servers.push(server);
      const prefix = uniquePrefix(label);
      const fleet = new Fleet({ REDIS_URL: server.url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'info', ...PACED });
      fleets.push(fleet);
      fleet.startAll();
      await fleet.ready();
      const command = startBlindspot(['run', FILE, '--json', '--redis', server.url, '--prefix', prefix, '--external-services', '--batch-size', '500'], {
        timeoutMs: 120_000,
      });
      commands.push(command);
      const redis = new Redis(server.url);
      try {
        const run = await runId(redis, prefix);
        await waitFor(
          'the run made no progress',
          async () => (await generatedSoFar(redis, prefix, run)) >= 3,
          60_000,
          () => fleet.logs().slice(-3000),
        );
      } finally {
        redis.disconnect();
      }
      server.process.kill('SIGSTOP');
      return { command, fleet, server };
    }

    it('one Ctrl-C still exits within the bound, saying the run could not be cancelled', async () => {
      const { command, fleet, server } = await runAgainstFrozenRedis('frozen-one');
      try {
        const signalled = Date.now();
        command.child.kill('SIGINT');
        const r = await command.completed;
        expect(r.code, r.stderr.slice(-3000)).toBe(130);
        expect((Date.now() - signalled) / 1000).toBeLessThan(30);
        expect(r.stderr).toMatch(
          /interrupted while waiting for run \S+; it could not be cancelled \(no answer from Redis within 5 s\): its keys expire within 7 days/,
        );
      } finally {
        await fleet.stop();
        server.process.kill('SIGCONT');
      }
    }, 180_000);

    it('a second Ctrl-C exits at once', async () => {
      const { command, fleet, server } = await runAgainstFrozenRedis('frozen-two');
      try {
        command.child.kill('SIGINT');
        await waitFor('the command did not say it is cancelling', () => command.stderr().includes('cancelling the run'), 10_000);
        command.child.kill('SIGINT');
        const r = await command.completed;
        expect(r.code, r.stderr.slice(-3000)).toBe(130);
        expect(r.stderr).toContain('blindspot: second SIGINT: exiting now');
        // Out before cancelling gave up (its bound is 5 s): the second signal cut it short.
        expect(r.stderr).not.toContain('could not be cancelled');
      } finally {
        await fleet.stop();
        server.process.kill('SIGCONT');
      }
    }, 180_000);
  });
});
