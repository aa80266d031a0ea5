/**
 * What the live view reads from Redis, without a browser: how far each stage of a run
 * has got (from the keys and inbox fields keys.ts lays out) and the police sinks by the
 * route that filed each report. The keys are written here as the services write them.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ORDERED_STAGES, Queues, RunKeys, inboxField } from '@blindspot/pipeline/bullmq';
import { PoliceTallies, liveSnapshot } from '../services/dashboard/src/live';
import { uniquePrefix } from './support/redis';

const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
afterAll(() => redis.disconnect());

describe('live snapshot', () => {
  it('reads each stage of a run under way, and its police sink by route', async () => {
    const prefix = uniquePrefix('live');
    const keys = new RunKeys(prefix, 'rlive1');
    const reporter = keys.stage(ORDERED_STAGES.reporter.name);
    await redis
      .multi()
      .set(keys.scenario, JSON.stringify({ name: 'live test', durationDays: 30 }))
      .set(keys.options, JSON.stringify({ batchSize: 500 }))
      // Two generation groups: the day both have reached, their messages and batches summed.
      .hset(keys.progress, '0', JSON.stringify({ day: 4, messages: 1500, batches: 3 }), '1', JSON.stringify({ day: 5, messages: 1000, batches: 2 }))
      .hset(keys.generated, '0', '4', '1', '3')
      .set(keys.stage(ORDERED_STAGES.metadata.name).next, '3')
      .set(reporter.next, '2')
      // Scan results the reporter holds but has not applied: batches 2 and 3 (and batch 2's metadata).
      .hset(reporter.inbox, inboxField(2, 'scan'), '{}', inboxField(3, 'scan'), '{}', inboxField(2, 'metadata'), '{}')
      .xadd(keys.police, '*', 'seq', '0', 'entry', JSON.stringify({ routes: ['hashMatch', 'userReport'] }))
      .xadd(keys.police, '*', 'seq', '1', 'entry', JSON.stringify({ routes: ['metadata'] }))
      .xadd(keys.police, '*', 'seq', '1', 'entry', JSON.stringify({ routes: ['hashMatch'] }))
      .exec();
    const queues = new Queues(redis, prefix);
    try {
      const snap = await liveSnapshot(redis, queues, prefix, '/nonexistent', new PoliceTallies());
      expect(snap.runs).toEqual([
        {
          run: 'rlive1',
          name: 'live test',
          durationDays: 30,
          batchSize: 500,
          day: 4,
          messages: 2500,
          batches: { generator: 5, scanner: 4, metadata: 3, reporter: 2 },
          done: false,
          error: null,
        },
      ]);
      expect(snap.police).toHaveLength(1);
      expect(snap.police[0]).toMatchObject({ run: 'rlive1', total: 3, counted: 3, byRoute: { hashMatch: 2, metadata: 1 } });
      expect(Object.keys(snap.queues).sort()).toEqual(['dead-letter', 'generate', 'metadata', 'report', 'scan']);
    } finally {
      await queues.close();
    }
  });
});
