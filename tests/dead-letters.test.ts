/**
 * Dead letters are bounded: a refused job's letter holds its size and digest, not its
 * payload, and letters are kept for a retention period and up to a count. Against a
 * real Redis: a large forged job leaves almost nothing behind once refused, and a flood
 * of letters is cut to the newest.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { deploymentKeyPattern, keepDeadLetters, scanKeys } from '@blindspot/pipeline/bullmq';
import { Fleet } from './support/services';
import { rawQueue, uniquePrefix } from './support/redis';

const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
afterAll(() => redis.disconnect());

/**
 * Bytes Redis holds under `prefix`: the sum of MEMORY USAGE over its keys, every field
 * counted (SAMPLES 0): by default Redis samples five fields of a hash, and a job's hash
 * then often misses its 20 MB data field.
 */
async function bytesUnder(prefix: string): Promise<number> {
  let total = 0;
  for (const key of await scanKeys(redis, deploymentKeyPattern(prefix))) total += Number((await redis.memory('USAGE', key, 'SAMPLES', 0)) ?? 0);
  return total;
}

describe('dead letters', () => {
  it('a 20 MB forged job leaves a letter of its size and digest, and nothing of its payload', async () => {
    const prefix = uniquePrefix('dead-big');
    const fleet = new Fleet({ REDIS_URL: inject('redisUrl'), BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'warn' });
    const scan = rawQueue('scan', redis, prefix);
    const letters = rawQueue('dead-letter', redis, prefix);
    try {
      const messages = 'A'.repeat(20_000_000);
      await scan.add('batch', { run: 'r1victim', seq: 3, final: false, messages }, { jobId: 'r1victim.scan-in.3', removeOnFail: false });
      const before = await bytesUnder(prefix);
      expect(before).toBeGreaterThan(20_000_000);
      // The scanner starts only once the job is measured: started first, it may refuse the job before it is weighed.
      fleet.start('scanner');
      const deadline = Date.now() + 120_000;
      while ((await letters.getWaitingCount()) < 1) {
        if (Date.now() > deadline) throw new Error(`no dead letter within 120 s:\n${fleet.logs().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // The refused job is removed once done.
      while ((await scan.getJob('r1victim.scan-in.3')) !== undefined) {
        if (Date.now() > deadline) throw new Error('the refused job was kept');
        await new Promise((r) => setTimeout(r, 100));
      }
      const [letter] = await letters.getJobs(['waiting']);
      expect(letter?.data).toMatchObject({ queue: 'scan', run: 'r1victim', forged: true, bytes: expect.any(Number) });
      expect((letter?.data as { bytes?: number } | undefined)?.bytes).toBeGreaterThan(20_000_000);
      expect(JSON.stringify(letter?.data).length).toBeLessThan(2_000);
      expect(await bytesUnder(prefix)).toBeLessThan(100_000);
    } finally {
      await scan.close();
      await letters.close();
      await fleet.stop();
    }
  }, 240_000);

  it('keeps at most the newest `max`, and none older than the retention', async () => {
    const prefix = uniquePrefix('dead-many');
    const letters = rawQueue('dead-letter', redis, prefix);
    try {
      const letter = (i: number) => ({ queue: 'scan', jobId: `j${i}`, run: null, forged: true, reason: 'forged job: test', bytes: 10, sha256: '0'.repeat(64) });
      for (let i = 0; i < 30; i++) await letters.add('scan-forged', letter(i), { jobId: `letter-${i}` });
      await keepDeadLetters(letters, 3_600_000, 10);
      const kept = (await letters.getJobs(['waiting'])).map((j) => (j.data as { jobId: string }).jobId).sort();
      expect(kept).toEqual(Array.from({ length: 10 }, (_, i) => `j${20 + i}`).sort());
      // Past the retention (1 ms here; and a new queue object, as a process an hour later would have), all go.
      await new Promise((r) => setTimeout(r, 20));
      const later = rawQueue('dead-letter', redis, prefix);
      await keepDeadLetters(later, 1, 10);
      expect(await later.getWaitingCount()).toBe(0);
      await later.close();
    } finally {
      await letters.close();
    }
  });
});
