/**
 * Nothing lost, nothing counted twice, under faults. The services run as real OS
 * processes against a real Redis; the result of every faulty run must equal the
 * embedded result exactly, and the police sink must hold each report to police once.
 *
 *   - kill -9 of every service kind, three times each, at seeded random moments
 *     mid-run, each restarted (BullMQ's lock and stalled intervals shrunk to seconds);
 *   - Redis shut down and restarted mid-run (append-only file on);
 *   - Redis absent when the services start: they retry, say so, and carry on once it
 *     is there;
 *   - malformed jobs injected into every queue: dead-lettered with their reason,
 *     counted in messages.deadLettered, and nothing else changes.
 */
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Random } from '@blindspot/core';
import { RunKeys, runKeyPattern, runOfKey, scanKeys } from '@blindspot/pipeline/bullmq';
import { blindspot, scenarioCopy, withoutTiming, type Completed } from './support/cli';
import { startRedisServer, rawQueue, uniquePrefix, type RedisServer } from './support/redis';
import { Fleet, SERVICE_NAMES } from './support/services';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Recovery in seconds rather than BullMQ's production 30 s (see README, "Guarantees"). */
const FAST_RECOVERY = { LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000' };

const fleets: Fleet[] = [];
const servers: RedisServer[] = [];
afterAll(async () => {
  await Promise.all(fleets.map((f) => f.stop()));
  await Promise.all(servers.map((s) => s.stop()));
});

interface ResultDoc extends Record<string, unknown> {
  messages: { total: number; deadLettered: number };
  reports: { total: number; list: { account: number }[] };
}

/** The id of the one run under `prefix`, once it has one. */
async function runId(redis: Redis, prefix: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const keys = await scanKeys(redis, runKeyPattern(prefix));
    const run = keys.length === 1 ? runOfKey(prefix, keys[0] as string) : null;
    if (run) return run;
    if (Date.now() > deadline) throw new Error(`no run appeared under ${prefix}`);
    await sleep(50);
  }
}

async function generatedSoFar(redis: Redis, prefix: string, run: string): Promise<number> {
  return Number((await redis.get(new RunKeys(prefix, run).generated)) ?? '-1');
}

async function waitForProgress(redis: Redis, prefix: string, run: string, batches: number, fleet: Fleet): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await generatedSoFar(redis, prefix, run)) < batches) {
    if (Date.now() > deadline) throw new Error(`the run made no progress:\n${fleet.logs().slice(-3000)}`);
    await sleep(20);
  }
}

/** The police sink of the run: one entry per report filed, each naming its account. */
async function policeSink(redis: Redis, prefix: string, run: string): Promise<number[]> {
  const entries = await redis.xrange(new RunKeys(prefix, run).police, '-', '+');
  return entries.map(([, fields]) => {
    const entry = fields[fields.indexOf('entry') + 1] as string;
    return (JSON.parse(entry) as { account: number }).account;
  });
}

function parse(run: Completed, fleet: Fleet): ResultDoc {
  expect(run.code, `${run.stderr.slice(-2000)}\n${fleet.logs().slice(-4000)}`).toBe(0);
  return JSON.parse(run.stdout) as ResultDoc;
}

/** The sink holds exactly the reports of the result, each once. */
function expectSinkMatches(sink: number[], result: ResultDoc): void {
  expect(result.reports.total).toBeGreaterThan(30);
  expect(sink).toHaveLength(result.reports.total);
  expect(new Set(sink).size).toBe(sink.length);
  expect([...sink].sort((a, b) => a - b)).toEqual(result.reports.list.map((r) => r.account).sort((a, b) => a - b));
}

describe('kill -9 of every service kind, three times each, mid-run', () => {
  it('gives exactly the embedded result, and files each report to police once', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('crash');
    // A low high-water mark paces the generator by its consumers, so every stage has
    // work in flight when it is killed.
    const fleet = new Fleet({
      REDIS_URL: url,
      BLINDSPOT_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      GENERATOR_HIGH_WATER: '2',
      GENERATOR_SEALERS: '1',
      ...FAST_RECOVERY,
    });
    fleets.push(fleet);
    fleet.startAll();
    const file = 'scenarios/e2ee.yaml';
    let finished = false;
    const pending = blindspot(['run', file, '--json', '--redis', url, '--prefix', prefix, '--external-services', '--batch-size', '500', '--timeout', '500'], {
      timeoutMs: 520_000,
    }).finally(() => (finished = true));
    const embedded = blindspot(['run', file, '--json', '--batch-size', '500']);
    const redis = new Redis(url);
    try {
      const run = await runId(redis, prefix);
      await waitForProgress(redis, prefix, run, 5, fleet);
      const rng = Random.derive(20261127, 'crash-test');
      const kills: string[] = [];
      for (let round = 0; round < 3; round++) {
        const order = [...SERVICE_NAMES];
        for (let i = order.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j] as (typeof order)[number], order[i] as (typeof order)[number]];
        }
        for (const name of order) {
          await sleep(300 + rng.int(1200));
          // Every kill must land while the run is still under way.
          expect(finished, `the run finished before kill ${kills.length + 1}`).toBe(false);
          await fleet.kill9(name);
          kills.push(`${name}@${await generatedSoFar(redis, prefix, run)}`);
          await sleep(rng.int(400));
          fleet.start(name);
        }
      }
      for (const name of SERVICE_NAMES) expect(kills.filter((k) => k.startsWith(`${name}@`))).toHaveLength(3);

      const bullmq = parse(await pending, fleet);
      const expected = parse(await embedded, fleet);
      expect(withoutTiming(bullmq), `kills: ${kills.join(', ')}`).toEqual(withoutTiming(expected));
      expectSinkMatches(await policeSink(redis, prefix, run), bullmq);
    } finally {
      redis.disconnect();
      await fleet.stop();
    }
  }, 600_000);
});

describe('Redis faults', () => {
  it('a Redis restart mid-run (append-only file on) changes nothing', async () => {
    const server = await startRedisServer({ appendonly: true });
    servers.push(server);
    const prefix = uniquePrefix('redis-restart');
    const fleet = new Fleet({ REDIS_URL: server.url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'warn', GENERATOR_HIGH_WATER: '2', ...FAST_RECOVERY });
    fleets.push(fleet);
    fleet.startAll();
    const file = scenarioCopy('scenarios/e2ee.yaml', { 'durationDays: 30': 'durationDays: 10' });
    let finished = false;
    const pending = blindspot(
      ['run', file, '--json', '--redis', server.url, '--prefix', prefix, '--external-services', '--batch-size', '500', '--timeout', '300'],
      {
        timeoutMs: 320_000,
      },
    ).finally(() => (finished = true));
    const embedded = blindspot(['run', file, '--json', '--batch-size', '500']);
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    redis.on('error', () => undefined);
    try {
      const run = await runId(redis, prefix);
      await waitForProgress(redis, prefix, run, 40, fleet);
      expect(finished).toBe(false);
      // A clean shutdown (SIGTERM: Redis writes its append-only file), a second out, and back.
      await server.kill('SIGTERM');
      await sleep(1_000);
      await server.start();
      const bullmq = parse(await pending, fleet);
      const expected = parse(await embedded, fleet);
      expect(withoutTiming(bullmq)).toEqual(withoutTiming(expected));
      expectSinkMatches(await policeSink(redis, prefix, run), bullmq);
      expect(fleet.crashed()).toBeNull();
    } finally {
      redis.disconnect();
      await fleet.stop();
    }
  }, 400_000);

  it('Redis absent at start: services retry with backoff, say so, and work once it is there', async () => {
    const server = await startRedisServer();
    servers.push(server);
    await server.kill('SIGTERM');
    const prefix = uniquePrefix('redis-late');
    const fleet = new Fleet({ REDIS_URL: server.url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'info' });
    fleets.push(fleet);
    fleet.startAll();
    try {
      // Still running, retrying with growing delays, naming the server (never its password).
      // Wait for the retries rather than a fixed time: on a loaded machine four processes
      // take several seconds just to start.
      const retries = () => [...fleet.logs().matchAll(/"delayMs":(\d+).*?"msg":"redis unreachable; retrying"/g)].map((m) => Number(m[1]));
      const deadline = Date.now() + 60_000;
      const growing = (d: number[]) => d.length >= 4 && Math.max(...d) > Math.min(...d);
      while (!growing(retries()) && fleet.crashed() === null && Date.now() < deadline) await sleep(250);
      expect(fleet.crashed(), fleet.logs()).toBeNull();
      const delays = retries();
      expect(delays.length, fleet.logs().slice(-2000)).toBeGreaterThanOrEqual(4);
      expect(Math.max(...delays)).toBeGreaterThan(Math.min(...delays));
      expect(fleet.logs()).toContain(`127.0.0.1:${server.port}`);
      await server.start();
      const file = scenarioCopy('scenarios/plaintext.yaml', { 'durationDays: 30': 'durationDays: 2' });
      const run = await blindspot(['run', file, '--json', '--redis', server.url, '--prefix', prefix, '--external-services', '--timeout', '120'], {
        timeoutMs: 140_000,
      });
      expect(parse(run, fleet).messages.total).toBeGreaterThan(10_000);
    } finally {
      await fleet.stop();
    }
  }, 200_000);
});

describe('poison jobs', () => {
  it('a malformed job in every queue is dead-lettered with its reason and counted; nothing else changes', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('poison');
    const fleet = new Fleet({ REDIS_URL: url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'warn', GENERATOR_HIGH_WATER: '2' });
    fleets.push(fleet);
    fleet.startAll();
    const file = scenarioCopy('scenarios/plaintext.yaml', { 'durationDays: 30': 'durationDays: 10' });
    const pending = blindspot(['run', file, '--json', '--redis', url, '--prefix', prefix, '--external-services', '--batch-size', '500', '--timeout', '300'], {
      timeoutMs: 320_000,
    });
    const embedded = blindspot(['run', file, '--json', '--batch-size', '500']);
    const redis = new Redis(url, { maxRetriesPerRequest: null });
    const queues = ['generate', 'scan', 'metadata', 'report', 'dead-letter'].map((name) => rawQueue(name, redis, prefix));
    const [generate, scan, metadata, report, deadLetter] = queues as [Queue, Queue, Queue, Queue, Queue];
    try {
      const run = await runId(redis, prefix);
      await waitForProgress(redis, prefix, run, 2, fleet);
      await generate.add('run', { run, extra: 'field' });
      // valid base64, but not a batch in the binary layout
      await scan.add('batch', { run, seq: 1_000_000, final: false, messages: 'AAAAAAAAAAA=' });
      await metadata.add('batch', { run, seq: 1_000_000, final: false, envelopes: 'not base64!', reports: [], blocks: [] });
      await report.add('scan', { source: 'scan', run, seq: 'seven' });
      // names no run: refused, but counted against none
      await scan.add('batch', { hello: 'world' });

      const bullmq = parse(await pending, fleet);
      const expected = parse(await embedded, fleet);
      expect(bullmq.messages.deadLettered).toBe(4);
      expect(expected.messages.deadLettered).toBe(0);
      expect(withoutTiming(bullmq)).toEqual(withoutTiming({ ...expected, messages: { ...expected.messages, deadLettered: 4 } }));

      const dead = (await deadLetter.getJobs(['waiting', 'completed', 'failed', 'delayed', 'prioritized'])).map(
        (j) => j.data as { queue: string; run: string | null; reason: string },
      );
      expect(dead.map((d) => d.queue).sort()).toEqual(['generate', 'metadata', 'report', 'scan', 'scan']);
      const reasons = dead.map((d) => d.reason).join('\n');
      expect(reasons).toMatch(/malformed generate job: .*extra/);
      expect(reasons).toMatch(/malformed scan job: header, magic: not a batch of messages/);
      expect(reasons).toMatch(/malformed metadata job: envelopes/);
      expect(reasons).toMatch(/malformed report job: /);
      expect(dead.filter((d) => d.run === run)).toHaveLength(4);
    } finally {
      await Promise.all(queues.map((q) => q.close()));
      redis.disconnect();
      await fleet.stop();
    }
  }, 400_000);
});
