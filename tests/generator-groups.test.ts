/**
 * A run split into generation groups, taken by three generator processes: every batch
 * of the run is enqueued exactly once, byte for byte the batch one generator playing the
 * whole world makes with the same keys, and the ledger is the whole world's. Against a
 * real Redis, with the generators as real processes.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parseScenario, type Scenario } from '@blindspot/core';
import { WorldGenerator, batchCount } from '@blindspot/core/world';
import { JobAuthenticator } from '@blindspot/pipeline/authenticator';
import { PICKUPS, RunKeys, decodeScanJob, deploymentKeyPattern, layoutOf, scanKeys, type ScanJob } from '@blindspot/pipeline/bullmq';
import { submitRun } from '@blindspot/pipeline/orchestrate';
import { jobKey } from './support/job-key';
import { rawQueue, uniquePrefix } from './support/redis';
import { waitFor } from './support/runs';
import { Fleet } from './support/services';

const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
afterAll(() => redis.disconnect());

function load(file: string): Scenario {
  const parsed = parseScenario(readFileSync(file, 'utf8'), file);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return { ...parsed.scenario, durationDays: 2 };
}

/** A batch as comparable text: its number, flag and every event (ids, times, accounts, sealed bytes). */
function text(b: { seq: number; final: boolean; messages: readonly { envelope: { id: number; t: number; sender: number }; payload: Uint8Array }[] }): string {
  return `${b.seq} ${b.final} ${b.messages.map((m) => `${m.envelope.id}/${m.envelope.t}/${m.envelope.sender}/${Buffer.from(m.payload).toString('base64')}`).join(',')}`;
}

describe('generation groups over BullMQ', () => {
  it('three generators share a run of three groups: every batch once, as one generator makes it, and the whole ledger', async () => {
    const prefix = uniquePrefix('groups');
    const file = 'scenarios/e2ee.yaml';
    const scenario = load(file);
    const fleet = new Fleet({
      REDIS_URL: inject('redisUrl'),
      BLINDSPOT_PREFIX: prefix,
      LOG_LEVEL: 'info',
      GENERATOR_HIGH_WATER: '1000000',
      BLINDSPOT_JOB_KEY: jobKey(),
    });
    for (let i = 0; i < 3; i++) fleet.start('generator');
    const scan = rawQueue('scan', redis, prefix);
    try {
      await fleet.ready();
      const run = await submitRun(redis, scenario, { prefix, file, batchSize: 300, groups: 3, auth: new JobAuthenticator(jobKey()) });
      const keys = new RunKeys(prefix, run);
      await waitFor(
        'the ledger',
        async () => (await redis.get(keys.ledger)) !== null,
        120_000,
        () => fleet.logs().slice(-3000),
      );
      const layout = layoutOf(await redis.get(keys.options));
      expect(layout).toEqual({ groups: 3, parts: expect.any(Number) });
      const n = batchCount(layout as NonNullable<typeof layout>, scenario.durationDays * 24);
      await waitFor('every batch', async () => (await scan.getWaitingCount()) >= n, 60_000);

      // Every group was taken up and finished: its progress, its last batch and its part of the ledger.
      const [progress, generated, parts, pickups] = await Promise.all([
        redis.hgetall(keys.progress),
        redis.hgetall(keys.generated),
        redis.hkeys(keys.ledgerParts),
        redis.hgetall(keys.pickups),
      ]);
      expect(Object.keys(progress).sort()).toEqual(['0', '1', '2']);
      expect(Object.keys(generated).sort()).toEqual(['0', '1', '2']);
      expect(parts.sort()).toEqual(['0', '1', '2']);
      expect([0, 1, 2].every((g) => pickups[`${PICKUPS.holder}:${g}`])).toBe(true);
      // A generator already playing a group hands another of the run back for a free one: the work is spread.
      const holders = new Set([0, 1, 2].map((g) => (pickups[`${PICKUPS.holder}:${g}`] as string).split(':').slice(0, 2).join(':')));
      expect(holders.size, JSON.stringify(pickups)).toBe(3);

      // The batches, byte for byte, are those of one generator with the run's keys.
      const auth = new JobAuthenticator(jobKey());
      const jobs = await scan.getJobs(['waiting'], 0, n + 10);
      const got = jobs.map((j) => text(decodeScanJob(auth.verify('scan', j.id, j.data) as ScanJob))).sort();
      const [clientSecret, platformKey, ledger] = await redis.mget(keys.clientSecret, keys.platformKey, keys.ledger);
      const whole = new WorldGenerator(scenario, {
        run,
        batchSize: 300,
        platformKey: Buffer.from(platformKey as string, 'base64'),
        clientSecret: Buffer.from(clientSecret as string, 'base64'),
      });
      // One generator's batches cut the stream elsewhere; the groups' layout, played whole, gives the same events.
      const groups = [0, 1, 2].map(
        (index) =>
          new WorldGenerator(scenario, {
            run,
            batchSize: 300,
            platformKey: Buffer.from(platformKey as string, 'base64'),
            clientSecret: Buffer.from(clientSecret as string, 'base64'),
            group: { layout: layout as NonNullable<typeof layout>, index },
          }),
      );
      const want = groups.flatMap((g) => [...g.batches()].map(text)).sort();
      expect(got.length).toBe(n);
      expect(got).toEqual(want);
      const events = (batches: string[]) =>
        batches
          .flatMap((b) => (b.split(' ')[2] ?? '').split(','))
          .filter((e) => e !== '')
          .sort();
      expect(events(got)).toEqual(events([...whole.batches()].map(text)));
      expect(JSON.parse(ledger as string)).toEqual(JSON.parse(JSON.stringify(whole.ledger)));
    } finally {
      await scan.close();
      await fleet.stop();
      const left = await scanKeys(redis, deploymentKeyPattern(prefix));
      for (let i = 0; i < left.length; i += 500) await redis.del(...left.slice(i, i + 500));
    }
  }, 240_000);
});
