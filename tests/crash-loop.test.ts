/**
 * A run too large for the generator's memory fails fast with the reason, instead of
 * crash-looping the generator (each restart retrying the stalled run) while the command
 * waits for its --timeout. The generator really runs out of heap: it gets a small
 * --max-old-space-size (NODE_OPTIONS for its process alone) and a scenario whose world
 * does not fit in it.
 *
 * Services elsewhere, restarted whenever they exit (as compose does): after
 * MAX_STALLED_PICKUPS pickups in a row without a batch the generator fails the run, and
 * the command exits 1 with that reason, long before its timeout. (Services the command
 * starts are not restarted: the first exit ends the run, see spawn.ts; and a scenario
 * that does not fit the command's own heap, which they share, is refused before anything
 * starts.)
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { MAX_STALLED_PICKUPS } from '../services/generator/src/stage';
import { blindspot, scenarioCopy } from './support/cli';
import { uniquePrefix } from './support/redis';
import { keysOfRun } from './support/runs';
import { Fleet } from './support/services';

const fleets: Fleet[] = [];
afterAll(async () => Promise.all(fleets.map((f) => f.stop())));

/**
 * A generator heap large enough to start, far too small for a world of a million accounts
 * under client-side scanning, whose clients keep voucher state per account on the heap
 * (the population itself lives in typed arrays, outside it): it runs out before its
 * first batch.
 */
const SMALL_HEAP = { NODE_OPTIONS: '--max-old-space-size=64' };
const LARGE = scenarioCopy('scenarios/e2ee-client-side-scanning.yaml', { 'durationDays: 30': 'durationDays: 1', 'adults: 3200': 'adults: 1000000' });
/** Recovery of a killed worker's job in seconds rather than BullMQ's production 30 s. */
const FAST_RECOVERY = { LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000' };
const OUT_OF_MEMORY = /JavaScript heap out of memory/;

describe('a run whose world does not fit in the generator', () => {
  it('restarted generators: the run is failed after a few crashes in a row, with the reason, long before the timeout', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('crash-loop');
    const fleet = new Fleet({ REDIS_URL: url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'info', ...FAST_RECOVERY });
    fleets.push(fleet);
    for (const name of ['scanner', 'metadata-detector', 'reporter'] as const) fleet.start(name);
    fleet.start('generator', SMALL_HEAP);
    const redis = new Redis(url);
    try {
      let settled = false;
      const pending = blindspot(['run', LARGE, '--json', '--redis', url, '--prefix', prefix, '--external-services', '--timeout', '1200'], {
        timeoutMs: 1_300_000,
      }).finally(() => (settled = true));
      // A restart policy: every generator that dies is started again, with the same small heap.
      let crashes = 0;
      while (!settled) {
        crashes += fleet.restartExited().length;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const r = await pending;
      expect(r.code, `${r.stderr.slice(-3000)}\n${fleet.logs().slice(-3000)}`).toBe(1);
      // Really out of memory, every time.
      expect(crashes).toBe(MAX_STALLED_PICKUPS);
      expect(fleet.logs().match(new RegExp(OUT_OF_MEMORY, 'g'))).toHaveLength(MAX_STALLED_PICKUPS);
      expect(r.stderr).toMatch(
        new RegExp(
          `blindspot: run \\S+ failed in the generator: the run stopped the generator ${MAX_STALLED_PICKUPS} times in a row before it could enqueue another batch ` +
            "\\(the generator was killed or crashed each time, most likely out of memory: the scenario's world does not fit in its heap\\); " +
            'use fewer accounts \\(population\\.adults, population\\.minors\\) or a shorter durationDays, or give the generator more memory',
        ),
      );
      expect(r.stderr).not.toMatch(/produced no result/);
      // Failed runs are cancelled too: nothing of it is left.
      const run = /run (\S+) failed in the generator/.exec(r.stderr)?.[1] as string;
      expect(await keysOfRun(redis, prefix, run)).toEqual([]);
      expect(fleet.crashed()).toBeNull();
    } finally {
      redis.disconnect();
      await fleet.stop();
    }
  }, 900_000);
});
