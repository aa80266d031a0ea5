/**
 * A batch corrupted before it is enqueued fails its run at once, naming the batch and
 * why, instead of stalling the run until --timeout. The corruption is mirrored by adding
 * a malformed job under the real job id of a batch before the generator enqueues it:
 * the generator's enqueue is then a no-op (the id is taken) and the stage that needs the
 * batch would wait for it forever.
 *
 *   - the refusal comes first, the generator finds the id taken when it gets there;
 *   - the generator gets there first, the refusing service finds the batch lost;
 *   - a malformed job with the id of a batch already delivered changes nothing.
 *
 * Before: every such run waited for its --timeout.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { RunKeys, deadLetterJobId, jobId } from '@blindspot/pipeline/bullmq';
import { blindspot, scenarioCopy } from './support/cli';
import { uniquePrefix } from './support/redis';
import { generatedSoFar, keysOfRun, runId, sleep, waitFor } from './support/runs';
import { Fleet } from './support/services';

const fleets: Fleet[] = [];
afterAll(async () => Promise.all(fleets.map((f) => f.stop())));

const FILE = scenarioCopy('scenarios/plaintext.yaml', { 'durationDays: 30': 'durationDays: 10' });
/** Valid base64, but not a batch in the binary layout. */
const CORRUPT_MESSAGES = 'AAAAAAAAAAA=';

function runCommand(url: string, prefix: string) {
  return blindspot(['run', FILE, '--json', '--redis', url, '--prefix', prefix, '--external-services', '--batch-size', '500', '--timeout', '600'], {
    timeoutMs: 700_000,
  });
}

describe('a batch whose job id a malformed job took', () => {
  it('refused before the generator gets there: the generator fails the run, naming the batch; one already delivered changes nothing', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('lost-ahead');
    const fleet = new Fleet({ REDIS_URL: url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'warn', GENERATOR_HIGH_WATER: '2' });
    fleets.push(fleet);
    fleet.startAll();
    const redis = new Redis(url, { maxRetriesPerRequest: null });
    const scan = new Queue('scan', { connection: redis, prefix });
    try {
      const pending = runCommand(url, prefix);
      const run = await runId(redis, prefix);
      const keys = new RunKeys(prefix, run);
      const forge = (seq: number) => scan.add('batch', { run, seq, final: false, messages: CORRUPT_MESSAGES }, { jobId: jobId(run, 'scan-in', seq) });

      // Batch 1 applied by the reporter, its job long gone: a job under its id changes nothing.
      await waitFor(
        'the reporter applied no batch',
        async () => Number(await redis.get(keys.stage('reporter').next)) > 3,
        120_000,
        () => fleet.logs().slice(-3000),
      );
      await forge(1);
      await waitFor(
        'the job was not refused',
        async () => (await redis.sismember(keys.deadLettered, deadLetterJobId('scan', jobId(run, 'scan-in', 1)))) === 1,
        30_000,
      );
      await sleep(500);
      expect(await redis.get(keys.error)).toBeNull();

      // A batch the generator has not reached yet.
      const lost = (await generatedSoFar(redis, prefix, run)) + 30;
      await forge(lost);
      const r = await pending;
      expect(r.code, `${r.stderr.slice(-2000)}\n${fleet.logs().slice(-3000)}`).toBe(1);
      expect(r.stderr).toContain(
        `blindspot: run ${run} failed in the generator: batch ${lost} can no longer be delivered: a malformed scan job holding its job id ${run}.scan-in.${lost} was dead-lettered ` +
          '(malformed scan job: header, magic: not a batch of messages), so the run cannot complete; something other than the services may be writing to this Redis; ' +
          'the run was cancelled',
      );
      expect(await keysOfRun(redis, prefix, run)).toEqual([]);
      expect(fleet.crashed()).toBeNull();
    } finally {
      await scan.close();
      redis.disconnect();
      await fleet.stop();
    }
  }, 600_000);

  it('refused after the generator enqueued it: the refusing service fails the run, naming the batch', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('lost-behind');
    // Room for the generator to run well past the batch while nothing consumes its envelopes.
    const fleet = new Fleet({ REDIS_URL: url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'warn', GENERATOR_HIGH_WATER: '40' });
    fleets.push(fleet);
    fleet.start('scanner');
    fleet.start('reporter');
    const redis = new Redis(url, { maxRetriesPerRequest: null });
    const metadata = new Queue('metadata', { connection: redis, prefix });
    try {
      const pending = runCommand(url, prefix);
      const run = await runId(redis, prefix);
      const lost = 20;
      // Before any batch: the corrupt one is first in the metadata queue.
      await metadata.add(
        'batch',
        { run, seq: lost, final: false, envelopes: 'not base64!', reports: [], blocks: [] },
        { jobId: jobId(run, 'metadata-in', lost) },
      );
      fleet.start('generator');
      await waitFor(
        'the generator did not get past the batch',
        async () => (await generatedSoFar(redis, prefix, run)) > lost + 5,
        120_000,
        () => fleet.logs().slice(-3000),
      );
      fleet.start('metadata-detector');
      const r = await pending;
      expect(r.code, `${r.stderr.slice(-2000)}\n${fleet.logs().slice(-3000)}`).toBe(1);
      expect(r.stderr).toContain(
        `blindspot: run ${run} failed in the metadata-detector: batch ${lost} can no longer be delivered: a malformed metadata job holding its job id ${run}.metadata-in.${lost} was dead-lettered (malformed metadata job: envelopes: `,
      );
      expect(r.stderr).toContain('so the run cannot complete; something other than the services may be writing to this Redis; the run was cancelled');
      expect(await keysOfRun(redis, prefix, run)).toEqual([]);
      expect(fleet.crashed()).toBeNull();
    } finally {
      await metadata.close();
      redis.disconnect();
      await fleet.stop();
    }
  }, 600_000);
});
