/**
 * What one poll of the live view costs does not grow with the police sinks: against a
 * private Redis, a poll with a sink of 300,000 reports costs about what one with 3,000
 * does, in time, in bytes Redis sends and in heap, measured in this process as ratios
 * (before, the dashboard read every sink whole on every poll: about 100 times as much,
 * 1.7 s and 518 MB a poll). The figures shown stay exact: once the dashboard has caught
 * up with a sink, its totals by route are those of every entry in it; a sink replaced
 * under it is counted again; and it remembers only the sinks it shows.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues, RunKeys } from '@blindspot/pipeline/bullmq';
import { PoliceTallies, liveSnapshot, type LiveSnapshot } from '../services/dashboard/src/live';
import { startRedisServer, uniquePrefix, type RedisServer } from './support/redis';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROUTES = ['hashMatch', 'imageClassifier', 'textClassifier', 'metadata', 'userReport'] as const;
const LARGE = 300_000;
const SMALL = 3_000;

/** The route entry `i` of a test sink was filed by: uneven, so a miscount shows. */
const routeOf = (i: number) => ROUTES[(i * i + (i >> 3)) % ROUTES.length] as string;

/** A report to police as the reporter appends it (what police receive). */
function entry(run: string, i: number): string {
  const route = routeOf(i);
  return JSON.stringify({
    run,
    account: i,
    routes: [route, 'userReport'],
    filedAt: 86_400 + i,
    firstDetection: i,
    lastDetection: i + 60,
    evidence: { [route]: 3 },
  });
}

/** What the page should show for a sink of `n` entries: by the route that filed each. */
function expectedByRoute(n: number): Record<string, number> {
  const by: Record<string, number> = {};
  for (let i = 0; i < n; i++) by[routeOf(i)] = (by[routeOf(i)] ?? 0) + 1;
  return by;
}

async function fill(redis: Redis, key: string, run: string, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 10_000) {
    const batch = redis.pipeline();
    for (let i = start; i < Math.min(to, start + 10_000); i++) batch.xadd(key, '*', 'seq', String(i >> 6), 'entry', entry(run, i));
    await batch.exec();
  }
}

let server: RedisServer;
let redis: Redis;
const large = { prefix: uniquePrefix('poll-large'), run: 'rlarge' };
const small = { prefix: uniquePrefix('poll-small'), run: 'rsmall' };
const open: Queues[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
  await fill(redis, new RunKeys(large.prefix, large.run).police, large.run, 0, LARGE);
  await fill(redis, new RunKeys(small.prefix, small.run).police, small.run, 0, SMALL);
}, 120_000);
afterAll(async () => {
  await Promise.all(open.map((q) => q.close()));
  redis?.disconnect();
  await server?.stop();
});

function queuesOf(prefix: string): Queues {
  const q = new Queues(redis, prefix);
  open.push(q);
  return q;
}

/** Bytes Redis has sent its clients so far. */
async function sentBytes(): Promise<number> {
  return Number(/^total_net_output_bytes:(\d+)/m.exec(await redis.info('stats'))?.[1]);
}

interface Cost {
  ms: number;
  bytes: number;
  heapBytes: number;
  snap: LiveSnapshot;
}

/**
 * One poll, measured: wall time, what Redis sent (less an INFO reply, the same for
 * both), and the heap in use right after it over that before it (after a full GC, so
 * the figure is what the poll allocated and had not yet let go of).
 */
async function poll(prefix: string, queues: Queues, tallies: PoliceTallies): Promise<Cost> {
  gc();
  const heap = process.memoryUsage().heapUsed;
  const bytes = await sentBytes();
  const started = performance.now();
  const snap = await liveSnapshot(redis, queues, prefix, '/nonexistent', tallies);
  const ms = performance.now() - started;
  const heapBytes = process.memoryUsage().heapUsed - heap;
  return { ms, bytes: (await sentBytes()) - bytes, heapBytes, snap };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Polls until the sink is tallied whole, with a bound (a sink's tally catches up a fixed number of entries a poll). */
async function caughtUp(prefix: string, queues: Queues, tallies: PoliceTallies): Promise<LiveSnapshot> {
  for (let i = 0; i < 1_000; i++) {
    const snap = await liveSnapshot(redis, queues, prefix, '/nonexistent', tallies);
    const sink = snap.police[0];
    if (sink && sink.counted === sink.total) return snap;
  }
  throw new Error(`the tally of ${prefix} never caught up`);
}

describe('a poll of the live view', () => {
  it('costs about the same with a sink of 300,000 reports as with one of 3,000, before and after catching up', async () => {
    const queues = { large: queuesOf(large.prefix), small: queuesOf(small.prefix) };
    const measured = async (what: string, each: (sink: 'large' | 'small') => Promise<Cost>) => {
      // Five of each, alternating, so the machine's load falls on both alike.
      const costs: { large: Cost[]; small: Cost[] } = { large: [], small: [] };
      for (let i = 0; i < 5; i++) {
        costs.small.push(await each('small'));
        costs.large.push(await each('large'));
      }
      const of = (sink: 'large' | 'small', figure: 'ms' | 'bytes' | 'heapBytes') => median(costs[sink].map((c) => c[figure]));
      const figures = `${what}: ms ${of('large', 'ms').toFixed(0)} vs ${of('small', 'ms').toFixed(0)}, bytes from Redis ${of('large', 'bytes')} vs ${of('small', 'bytes')}, heap ${of('large', 'heapBytes')} vs ${of('small', 'heapBytes')}`;
      console.log(`a poll, 300k sink vs 3k sink, ${figures}`);
      expect(of('large', 'ms') / of('small', 'ms'), figures).toBeLessThan(5);
      expect(of('large', 'bytes') / of('small', 'bytes'), figures).toBeLessThan(5);
      // Against the small poll's, with a floor of 8 MB (a poll of nothing allocates a little).
      expect(of('large', 'heapBytes'), figures).toBeLessThan(5 * Math.max(8e6, of('small', 'heapBytes')));
    };
    // A dashboard that has just started: nothing tallied yet.
    await measured('just started', (sink) => poll(sink === 'large' ? large.prefix : small.prefix, queues[sink], new PoliceTallies()));
    // Dashboards (one per prefix, as deployed) that have caught up and poll on.
    const tallies = { large: new PoliceTallies(), small: new PoliceTallies() };
    await caughtUp(large.prefix, queues.large, tallies.large);
    await caughtUp(small.prefix, queues.small, tallies.small);
    await measured('caught up', (sink) => poll(sink === 'large' ? large.prefix : small.prefix, queues[sink], tallies[sink]));
  }, 180_000);

  it('shows every report of a long sink by route once caught up, and the total at once', async () => {
    const queues = queuesOf(large.prefix);
    const tallies = new PoliceTallies();
    const first = (await liveSnapshot(redis, queues, large.prefix, '/nonexistent', tallies)).police[0];
    // The total is exact from the first poll; the routes are those tallied so far.
    expect(first).toMatchObject({ run: large.run, total: LARGE });
    expect(first?.counted).toBeGreaterThan(0);
    expect(first?.counted).toBeLessThan(LARGE);
    const sum = (by: Record<string, number>) => Object.values(by).reduce((a, b) => a + b, 0);
    expect(sum(first?.byRoute ?? {})).toBe(first?.counted);

    const whole = (await caughtUp(large.prefix, queues, tallies)).police[0];
    expect(whole).toMatchObject({ run: large.run, total: LARGE, counted: LARGE, byRoute: expectedByRoute(LARGE) });
    const [last] = await redis.xrevrange(new RunKeys(large.prefix, large.run).police, '+', '-', 'COUNT', 1);
    expect(whole?.latest).toBe(Number(last?.[0].split('-')[0]));
  }, 120_000);

  it('counts reports appended while it polls once each, and a sink replaced under it afresh', async () => {
    const sink = { prefix: uniquePrefix('poll-grow'), run: 'rgrow' };
    const key = new RunKeys(sink.prefix, sink.run).police;
    const queues = queuesOf(sink.prefix);
    const tallies = new PoliceTallies();
    await fill(redis, key, sink.run, 0, 12_000);
    // Polls (two at a time, as two open pages do) while more reports arrive.
    for (let n = 12_000; n < 30_000; n += 3_000) {
      await Promise.all([
        fill(redis, key, sink.run, n, n + 3_000),
        liveSnapshot(redis, queues, sink.prefix, '/nonexistent', tallies),
        liveSnapshot(redis, queues, sink.prefix, '/nonexistent', tallies),
      ]);
    }
    expect((await caughtUp(sink.prefix, queues, tallies)).police[0]).toMatchObject({ total: 30_000, counted: 30_000, byRoute: expectedByRoute(30_000) });

    // The sink expires and a new one of that name fills up again, longer than the tally.
    await redis.del(key);
    await fill(redis, key, sink.run, 0, 31_000);
    expect((await caughtUp(sink.prefix, queues, tallies)).police[0]).toMatchObject({ total: 31_000, counted: 31_000, byRoute: expectedByRoute(31_000) });
  }, 120_000);

  it('gives what the page shows for a short sink exactly, as reading it whole does', async () => {
    const snap = await liveSnapshot(redis, queuesOf(small.prefix), small.prefix, '/nonexistent', new PoliceTallies());
    const whole: Record<string, number> = {};
    const entries = await redis.xrange(new RunKeys(small.prefix, small.run).police, '-', '+');
    for (const [, fields] of entries) {
      const route = (JSON.parse(fields[fields.indexOf('entry') + 1] as string) as { routes: string[] }).routes[0] as string;
      whole[route] = (whole[route] ?? 0) + 1;
    }
    expect(snap.police).toEqual([{ run: small.run, total: SMALL, counted: SMALL, byRoute: whole, latest: Number((entries.at(-1)?.[0] ?? '').split('-')[0]) }]);
  });

  it('remembers only the sinks it shows', async () => {
    const prefix = uniquePrefix('poll-many');
    // Thirty finished runs' sinks, the newest last: the page shows the eight most recent.
    for (let r = 0; r < 30; r++) {
      await fill(redis, new RunKeys(prefix, `r${String(r).padStart(2, '0')}`).police, `r${r}`, 0, 20);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const tallies = new PoliceTallies();
    const snap = await liveSnapshot(redis, queuesOf(prefix), prefix, '/nonexistent', tallies);
    expect(snap.police.map((p) => p.run)).toEqual(['r29', 'r28', 'r27', 'r26', 'r25', 'r24', 'r23', 'r22']);
    expect(tallies.size).toBe(8);
    // And forgets them when they are no longer shown.
    await liveSnapshot(redis, queuesOf(small.prefix), small.prefix, '/nonexistent', tallies);
    expect(tallies.size).toBe(1);
  });
});
