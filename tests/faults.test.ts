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
 *   - forged jobs (added without the job key) injected into every queue, a copy of a
 *     real batch posing as one still to come among them: dead-lettered, counted
 *     against no run; malformed jobs signed with the key: dead-lettered with their
 *     reason and counted in messages.deadLettered; nothing else changes.
 */
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Random } from '@blindspot/core';
import { RunKeys } from '@blindspot/pipeline/bullmq';
import { blindspot, scenarioCopy, withoutTiming, type Completed } from './support/cli';
import { startRedisServer, rawQueue, uniquePrefix, type RedisServer } from './support/redis';
import { Fleet, SERVICE_NAMES } from './support/services';
import { addSigned } from './support/job-key';
import { generatedSoFar, runId } from './support/runs';

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

interface Letter {
  queue: string;
  run: string | null;
  forged: boolean;
  reason: string;
  bytes: number;
  sha256: string;
  data?: unknown;
}

type Queues5 = Record<'generate' | 'scan' | 'metadata' | 'report' | 'deadLetter', Queue>;

/**
 * A run over BullMQ into whose queues `poison` adds jobs once it has made progress, and
 * the same run embedded; with the dead letters and the queues' kept jobs afterwards.
 */
async function poisoned(label: string, poison: (q: Queues5, run: string, redis: Redis, prefix: string) => Promise<void>) {
  const url = inject('redisUrl');
  const prefix = uniquePrefix(label);
  const fleet = new Fleet({ REDIS_URL: url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'warn', GENERATOR_HIGH_WATER: '2' });
  fleets.push(fleet);
  fleet.startAll();
  const file = scenarioCopy('scenarios/plaintext.yaml', { 'durationDays: 30': 'durationDays: 6' });
  const pending = blindspot(['run', file, '--json', '--redis', url, '--prefix', prefix, '--external-services', '--batch-size', '500', '--timeout', '300'], {
    timeoutMs: 320_000,
  });
  const embedded = blindspot(['run', file, '--json', '--batch-size', '500']);
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const names = { generate: 'generate', scan: 'scan', metadata: 'metadata', report: 'report', deadLetter: 'dead-letter' } as const;
  const q = Object.fromEntries(Object.entries(names).map(([k, name]) => [k, rawQueue(name, redis, prefix)])) as Queues5;
  try {
    const run = await runId(redis, prefix);
    await waitForProgress(redis, prefix, run, 2, fleet);
    await poison(q, run, redis, prefix);
    const bullmq = parse(await pending, fleet);
    const expected = parse(await embedded, fleet);
    const dead = (await q.deadLetter.getJobs(['waiting', 'completed', 'failed', 'delayed', 'prioritized'])).map((j) => j.data as Letter);
    const kept = await Promise.all([q.generate, q.scan, q.metadata, q.report].map((x) => x.getJobCounts('completed', 'failed')));
    return { run, bullmq, expected, dead, kept, logs: fleet.logs() };
  } finally {
    await Promise.all(Object.values(q).map((x) => x.close()));
    redis.disconnect();
    await fleet.stop();
  }
}

/** A letter keeps the refused job's size and digest, never the job itself. */
function expectLetters(dead: Letter[]): void {
  for (const d of dead) {
    expect(d.data).toBeUndefined();
    expect(d.bytes).toBeGreaterThan(10);
    expect(d.sha256).toMatch(/^[0-9a-f]{64}$/);
  }
}

describe('poison jobs', () => {
  it('forged jobs, a copy of a real batch posing as one to come among them, are dead-lettered; the result equals the embedded one', async () => {
    const { bullmq, expected, dead, kept, logs } = await poisoned('forged', async (q, run, redis, prefix) => {
      // Added without the job key: a real batch, copied, authenticator and all, as a batch
      // still to come, under the id such a batch once had, and under the real form of id
      // with a guessed tag; a batch of the right form, unsigned; one of each kind with no
      // authenticator at all; and one that asks to be kept once done.
      let real: Record<string, unknown> | undefined;
      for (let tries = 0; !real && tries < 500; tries++) {
        real = (await q.scan.getJobs(['waiting', 'active', 'prioritized', 'delayed'])).map((j) => j.data as Record<string, unknown>).find((d) => d.run === run);
        if (!real) await sleep(10);
      }
      expect(real, 'a real batch to copy').toBeDefined();
      const future = (await generatedSoFar(redis, prefix, run)) + 3;
      await q.scan.add('batch', { ...real, seq: future }, { jobId: `${run}.scan-in.${future}` });
      await q.scan.add('batch', { ...real, seq: future + 1 }, { jobId: `${run}.scan-in.${future + 1}.${'0'.repeat(24)}` });
      await q.metadata.add(
        'batch',
        { run, seq: future + 2, final: true, envelopes: '', reports: [], blocks: [] },
        { jobId: `${run}.metadata-in.${future + 2}` },
      );
      await q.generate.add('run', { run });
      await q.report.add('scan', { source: 'scan', run, seq: future, final: true, detections: [], vouchers: [], counts: {} });
      await q.scan.add('batch', { hello: 'world' }, { removeOnComplete: false });
    });
    expect(withoutTiming(bullmq)).toEqual(withoutTiming(expected));
    expect(bullmq.messages.deadLettered).toBe(0);
    expect(dead.map((d) => d.queue).sort()).toEqual(['generate', 'metadata', 'report', 'scan', 'scan', 'scan']);
    for (const d of dead) {
      expect(d.forged).toBe(true);
      expect(d.reason).toMatch(/^forged job: /);
    }
    expectLetters(dead);
    // The refused jobs themselves are gone, payload and all, even the one that asked to be kept.
    for (const counts of kept) expect(counts).toEqual({ completed: 0, failed: 0 });
    expect(logs).toMatch(/forged job dead-lettered/);
  }, 400_000);

  it('malformed jobs signed with the job key (a bug, not a forger) are dead-lettered with their reason and counted; nothing else changes', async () => {
    const { run, bullmq, expected, dead, kept } = await poisoned('poison', async (q, run) => {
      await addSigned(q.generate, 'run', { run, extra: 'field' }, `${run}.poison`);
      // valid base64, but not a batch in the binary layout
      await addSigned(q.scan, 'batch', { run, seq: 1_000_000, final: false, messages: 'AAAAAAAAAAA=' }, `${run}.scan-in.1000000`);
      await addSigned(
        q.metadata,
        'batch',
        { run, seq: 1_000_000, final: false, envelopes: 'not base64!', reports: [], blocks: [] },
        `${run}.metadata-in.1000000`,
      );
      await addSigned(q.report, 'scan', { source: 'scan', run, seq: 'seven' }, `${run}.scan.poison`);
      // names no run: refused, but counted against none
      await addSigned(q.scan, 'batch', { hello: 'world' }, 'nobody.scan-in.0');
    });
    expect(expected.messages.deadLettered).toBe(0);
    expect(bullmq.messages.deadLettered).toBe(4);
    expect(withoutTiming(bullmq)).toEqual(withoutTiming({ ...expected, messages: { ...expected.messages, deadLettered: 4 } }));
    expect(dead.map((d) => d.queue).sort()).toEqual(['generate', 'metadata', 'report', 'scan', 'scan']);
    expect(dead.every((d) => !d.forged)).toBe(true);
    const reasons = dead.map((d) => d.reason).join('\n');
    expect(reasons).toMatch(/malformed generate job: .*extra/);
    expect(reasons).toMatch(/malformed scan job: header, magic: not a batch of messages/);
    expect(reasons).toMatch(/malformed metadata job: envelopes/);
    expect(reasons).toMatch(/malformed report job: /);
    expect(dead.filter((d) => d.run === run)).toHaveLength(4);
    expectLetters(dead);
    for (const counts of kept) expect(counts).toEqual({ completed: 0, failed: 0 });
  }, 400_000);
});
