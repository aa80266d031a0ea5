/**
 * A batch corrupted before it is enqueued fails its run at once, naming the batch and
 * why, instead of stalling the run until --timeout. The corruption is mirrored by adding
 * a malformed job, signed with the job key as only a service could, under the real job
 * id of a batch: while it holds the id, the generator's enqueue of the batch is a no-op.
 *
 *   - refused before the generator gets there: a refused job is removed, so the id is
 *     free again, the real batch is delivered and the run completes, the refusals counted;
 *   - held while the generator enqueues: the refusing service finds the batch lost;
 *   - a malformed job with the id of a batch already delivered changes nothing.
 *
 * Before: every such run waited for its --timeout.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { RunKeys, deadLetterJobId, jobId } from '@blindspot/pipeline/bullmq';
import { blindspot, scenarioCopy } from './support/cli';
import { rawQueue, uniquePrefix } from './support/redis';
import { addSigned } from './support/job-key';
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
  it('refused before the generator gets there: the id is free again and the run completes; one already delivered changes nothing', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('lost-ahead');
    const fleet = new Fleet({ REDIS_URL: url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'warn', GENERATOR_HIGH_WATER: '2' });
    fleets.push(fleet);
    fleet.startAll();
    const redis = new Redis(url, { maxRetriesPerRequest: null });
    const scan = rawQueue('scan', redis, prefix);
    try {
      const pending = runCommand(url, prefix);
      const run = await runId(redis, prefix);
      const keys = new RunKeys(prefix, run);
      const forge = (seq: number) => addSigned(scan, 'batch', { run, seq, final: false, messages: CORRUPT_MESSAGES }, jobId(run, 'scan-in', seq));

      // Batch 1 applied by the reporter, its job long gone: a job under its id changes nothing.
      await waitFor(
        'the reporter applied no batch',
        async () => Number(await redis.get(keys.stage('reporter').next)) > 3,
        120_000,
        () => fleet.logs().slice(-3000),
      );
      await forge(1);
      await waitFor('the job was not refused', async () => (await redis.scard(keys.deadLettered)) === 1, 30_000);
      await sleep(500);
      expect(await redis.get(keys.error)).toBeNull();

      // A batch the generator has not reached yet: refused and removed well before it gets there.
      const ahead = (await generatedSoFar(redis, prefix, run)) + 30;
      const id = await forge(ahead);
      await waitFor('the job was not refused', async () => (await redis.scard(keys.deadLettered)) === 2, 30_000);
      expect(await redis.sismember(keys.deadLettered, deadLetterJobId('scan', id))).toBe(1);
      const r = await pending;
      expect(r.code, `${r.stderr.slice(-2000)}\n${fleet.logs().slice(-3000)}`).toBe(0);
      expect((JSON.parse(r.stdout) as { messages: { deadLettered: number } }).messages.deadLettered).toBe(2);
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
    const metadata = rawQueue('metadata', redis, prefix);
    try {
      const pending = runCommand(url, prefix);
      const run = await runId(redis, prefix);
      const lost = 20;
      // Before any batch: the corrupt one is first in the metadata queue.
      await addSigned(metadata, 'batch', { run, seq: lost, final: false, envelopes: 'not base64!', reports: [], blocks: [] }, jobId(run, 'metadata-in', lost));
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
      expect(r.stderr).toMatch(
        new RegExp(
          `blindspot: run ${run} failed in the metadata-detector: batch ${lost} can no longer be delivered: a malformed metadata job holding its job id ${run}\\.metadata-in\\.${lost}\\.[0-9a-f]{24} was dead-lettered \\(malformed metadata job: envelopes: `,
        ),
      );
      expect(r.stderr).toContain(
        'so the run cannot complete; the job was signed with the job key, so a service (or whoever else holds the key) wrote it; the run was cancelled',
      );
      expect(await keysOfRun(redis, prefix, run)).toEqual([]);
      expect(fleet.crashed()).toBeNull();
    } finally {
      await metadata.close();
      redis.disconnect();
      await fleet.stop();
    }
  }, 600_000);
});
