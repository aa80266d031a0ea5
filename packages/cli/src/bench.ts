/**
 * `pnpm bench`: throughput and memory figures in one invocation, each beside a baseline
 * measured in the same run on the same machine (shared machines are noisy: ratios are
 * what compare across runs). Reports; never fails on a time.
 *
 *   embedded   messages/s of the shipped e2ee scenario in one process, sealing on every
 *              core, beside the same run on one thread (and whether the results agree)
 *   bullmq     messages/s of the same scenario over BullMQ (four service processes)
 *              beside a bare relay: four chained queues whose workers only forward the
 *              job, in four processes, same messages, batch size and JSON job data
 *   encoding   messages/s through a batch's encode and decode: the binary layout the
 *              pipeline uses against JSON with base64 bytes, same batches
 *   matcher    hash-bank queries/s of the multi-index against brute force, banks of
 *              10k, 100k and 1M entries
 *   memory     peak RSS of every process and Redis used_memory_peak at 1x and 10x the
 *              messages (the e2ee scenario over 3 and 30 simulated days)
 *   population build time, peak RSS and bytes per account of the e2ee population scaled
 *              to 1M accounts (--population <N> for another size), see bench-population.ts
 *
 * Needs `redis-server` on the PATH (it starts a private one on a free port).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import {
  bankEntry,
  buildBank,
  decodeMessages,
  encodeMessages,
  matchBank,
  newPlatformKey,
  perturb,
  randomHash,
  BankIndex,
  Random,
  type Scenario,
} from '@blindspot/core';
import { WorldGenerator, newClientSecret } from '@blindspot/core/world';
import { benchRelayCountKey, redactorFor, reportErrors } from '@blindspot/pipeline/bullmq';
import { fromBase64, toBase64 } from '@blindspot/core';
import { runEmbedded, runEmbeddedParallel } from '@blindspot/pipeline/embedded';
import { freePort } from '@blindspot/pipeline/net';
import { connectClient, submitAndWait } from '@blindspot/pipeline/orchestrate';
import { loadScenario } from './load';
import { REPO_ROOT, spawnServices } from './spawn';
import { jobKeyForRun } from './job-key';
import { populationAccounts, populationFigure, populationLine } from './bench-population';

const BATCH = 1000;

async function startRedis(): Promise<{ url: string; stop: () => void; restart: () => Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'blindspot-bench-redis-'));
  let child: ChildProcess;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    const url = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      try {
        const c = await connectClient(url);
        c.disconnect();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error('redis-server did not start');
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    // A fresh server, so used_memory_peak starts again from nothing.
    restart: async () => {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
      await launch();
    },
  };
}

function peakRssMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

async function redisPeakMb(url: string): Promise<number> {
  const c = await connectClient(url);
  const info = await c.info('memory');
  c.disconnect();
  return Math.round((Number(/^used_memory_peak:(\d+)/m.exec(info)?.[1] ?? 0) / 1024 / 1024) * 10) / 10;
}

/** The scenario over BullMQ with the four services as processes; their peak RSS is read just before they stop. */
async function overBullmq(url: string, scenario: Scenario, file: string) {
  const prefix = `{bench-${Date.now().toString(36)}}`;
  const jobKey = jobKeyForRun({});
  const services = spawnServices({ REDIS_URL: url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'warn', GENERATOR_HIGH_WATER: '16', ...jobKey.env });
  const redis = await connectClient(url);
  const rss: Record<string, number | null> = {};
  try {
    const result = await submitAndWait(redis, scenario, {
      url,
      auth: jobKey.auth,
      prefix,
      file,
      batchSize: BATCH,
      timeoutMs: 1_800_000,
      check: () => services.problem(),
      beforeCleanup: async () => {
        for (const p of services.processes()) rss[p.name] = peakRssMb(p.pid);
      },
    });
    return { result, rss };
  } finally {
    redis.disconnect();
    await services.stop();
  }
}

/**
 * The bare relay: four chained queues whose workers only forward the job (JSON data of
 * about 200 bytes per message), one worker process per stage as the services are.
 */
async function bareRelay(url: string, messages: number): Promise<number> {
  const prefix = `{relay-${Date.now().toString(36)}}`;
  const stages = ['r1', 'r2', 'r3', 'r4'];
  const workers = stages.map((stage, i) =>
    spawn(process.execPath, ['--import', 'tsx', 'packages/cli/src/bench-relay.ts', url, prefix, stage, stages[i + 1] ?? ''], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  try {
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => w.stdout?.once('data', () => resolve()))));
    const connection = await connectClient(url);
    const first = reportErrors(new Queue('r1', { connection, prefix }), redactorFor(connection), (err) =>
      process.stderr.write(`bare relay: queue r1: ${err}\n`),
    );
    const jobs = Math.ceil(messages / BATCH);
    const message = { id: 0, t: 0, surface: 'dm', sender: 1, recipient: 2, media: 'text', size: 60, encrypted: true, p: 'x'.repeat(64) };
    const batch = Array.from({ length: BATCH }, (_, i) => ({ ...message, id: i }));
    const started = performance.now();
    for (let j = 0; j < jobs; j++) await first.add('b', { seq: j, messages: batch }, { removeOnComplete: true });
    for (;;) {
      const finished = Number((await connection.get(benchRelayCountKey(prefix))) ?? '0');
      if (finished >= jobs) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    await first.close();
    connection.disconnect();
    return Math.round((jobs * BATCH) / seconds);
  } finally {
    for (const w of workers) w.kill('SIGTERM');
  }
}

function matcher(size: number) {
  const bank = buildBank(11, size);
  const index = new BankIndex(bank);
  const rng = Random.derive(size, 'bench-queries');
  const queries = Array.from({ length: 2_000 }, (_, i) => (i % 10 === 0 ? perturb(bankEntry(bank, rng.int(size)), rng.int(40), rng) : randomHash(rng)));
  let t = performance.now();
  let hits = 0;
  for (const q of queries) if (index.match(q, 31)) hits++;
  const indexQps = queries.length / ((performance.now() - t) / 1000);
  const bruteCount = Math.max(50, Math.min(2_000, Math.round(2e8 / size / 10)));
  t = performance.now();
  for (const q of queries.slice(0, bruteCount)) matchBank(bank, q, 31);
  const bruteQps = bruteCount / ((performance.now() - t) / 1000);
  return { bank: size, indexQps: Math.round(indexQps), bruteForceQps: Math.round(bruteQps), ratio: Math.round((indexQps / bruteQps) * 10) / 10, hits };
}

/**
 * What one batch costs to put on a queue and take off again, per message: the compact
 * binary layout the pipeline uses (as one base64 string, as in a job) against JSON
 * with base64 bytes per field (the layout it replaced), on the same sealed batches.
 */
function encodings(scenario: Scenario, days: number) {
  const generator = new WorldGenerator(
    { ...scenario, durationDays: days },
    { run: 'bench', batchSize: BATCH, platformKey: newPlatformKey(), clientSecret: newClientSecret() },
  );
  const batches = [...generator.batches()].map((b) => b.messages);
  const messages = batches.reduce((n, b) => n + b.length, 0);
  const time = (fn: () => number) => {
    const t = performance.now();
    const size = fn();
    return { perSecond: Math.round(messages / ((performance.now() - t) / 1000)), bytesPerMessage: Math.round(size / messages) };
  };
  let check = 0;
  const json = time(() => {
    let size = 0;
    for (const batch of batches) {
      const text = JSON.stringify({
        messages: batch.map((m) => ({
          e: m.envelope,
          p: toBase64(m.payload),
          c: m.commitment ? toBase64(m.commitment) : null,
          v: m.voucher ? toBase64(m.voucher) : null,
        })),
      });
      size += text.length;
      const back = (JSON.parse(text) as { messages: { e: unknown; p: string; c: string | null; v: string | null }[] }).messages.map((m) => ({
        envelope: m.e,
        payload: fromBase64(m.p),
        commitment: m.c === null ? null : fromBase64(m.c),
        voucher: m.v === null ? null : fromBase64(m.v),
      }));
      check += back.length;
    }
    return size;
  });
  const binary = time(() => {
    let size = 0;
    for (const batch of batches) {
      const text = JSON.stringify({ messages: toBase64(encodeMessages(batch)) });
      size += text.length;
      check += decodeMessages(fromBase64((JSON.parse(text) as { messages: string }).messages)).length;
    }
    return size;
  });
  if (check !== 2 * messages) throw new Error('encoding round trips lost messages');
  return { messages, json, binary, speedup: Math.round((binary.perSecond / json.perSecond) * 10) / 10 };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  // --quick: the same measurements at a fraction of the size, to check the bench itself works.
  const quick = process.argv.includes('--quick');
  const say = (s: string) => process.stderr.write(`${s}\n`);
  const loaded = loadScenario(join(REPO_ROOT, 'scenarios/e2ee.yaml'));
  const file = loaded.file;
  const scenario: Scenario = quick ? { ...loaded.scenario, durationDays: 3 } : loaded.scenario;
  const oneX = quick ? 1 : 3;

  const embeddedRss0 = process.memoryUsage().rss;
  say('embedded: e2ee on one thread ...');
  const oneThread = runEmbedded(scenario, { file });
  say('embedded: e2ee on every core ...');
  const embedded = await runEmbeddedParallel(scenario, { file });
  const same = JSON.stringify({ ...embedded, timing: null }) === JSON.stringify({ ...oneThread, timing: null });
  const embeddedFigure = {
    messages: embedded.messages.total,
    messagesPerSecond: embedded.timing.messagesPerSecond,
    wallSeconds: embedded.timing.wallSeconds,
    oneThreadMessagesPerSecond: oneThread.timing.messagesPerSecond,
    speedupOverOneThread: Math.round((embedded.timing.messagesPerSecond / oneThread.timing.messagesPerSecond) * 100) / 100,
    sameResultAsOneThread: same,
  };

  say('encodings: binary layout against JSON ...');
  const encoding = encodings(scenario, quick ? 1 : 3);

  say('matcher: 10k, 100k, 1M ...');
  const matchers = (quick ? [10_000, 20_000, 50_000] : [10_000, 100_000, 1_000_000]).map(matcher);

  const accounts = populationAccounts(process.argv, quick);
  say(`population: ${accounts.toLocaleString('en-US')} accounts ...`);
  const population = await populationFigure(accounts);

  const redis = await startRedis();
  try {
    say(`memory at 1x: e2ee over ${oneX} days, BullMQ ...`);
    const small = await overBullmq(redis.url, { ...scenario, durationDays: oneX }, file);
    const smallRedis = await redisPeakMb(redis.url);
    await redis.restart();
    say(`bullmq: e2ee over ${scenario.durationDays} days (${Math.round(scenario.durationDays / oneX)}x), BullMQ ...`);
    const full = await overBullmq(redis.url, scenario, file);
    const fullRedis = await redisPeakMb(redis.url);
    await redis.restart();
    say('bare relay: same messages, batch size and layout ...');
    const relay = await bareRelay(redis.url, full.result.messages.total);

    const summary = {
      machine: { cores: (await import('node:os')).availableParallelism(), node: process.version },
      embedded: embeddedFigure,
      bullmq: {
        messages: full.result.messages.total,
        batchSize: BATCH,
        messagesPerSecond: full.result.timing.messagesPerSecond,
        bareRelayMessagesPerSecond: relay,
        ratioToBareRelay: Math.round((full.result.timing.messagesPerSecond / relay) * 100) / 100,
      },
      encoding,
      matcher: matchers,
      population,
      memory: {
        '1x': { messages: small.result.messages.total, peakRssMb: small.rss, redisPeakMb: smallRedis },
        [`${Math.round(scenario.durationDays / oneX)}x`]: { messages: full.result.messages.total, peakRssMb: full.rss, redisPeakMb: fullRedis },
        embeddedProcessRssMb: Math.round((Math.max(process.memoryUsage().rss, embeddedRss0) / 1024 / 1024) * 10) / 10,
      },
    };
    if (json) {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return;
    }
    const n = (x: number | null) => (x === null ? 'n/a' : x.toLocaleString('en-US'));
    const lines = [
      `Blindspot bench (${summary.machine.cores} cores, Node ${summary.machine.node})`,
      '',
      `embedded e2ee           ${n(summary.embedded.messagesPerSecond)} messages/s (${n(summary.embedded.messages)} messages in ${summary.embedded.wallSeconds} s); one thread ${n(summary.embedded.oneThreadMessagesPerSecond)}, speedup ${summary.embedded.speedupOverOneThread}, same result: ${same ? 'yes' : 'NO'}`,
      `BullMQ e2ee             ${n(summary.bullmq.messagesPerSecond)} messages/s; bare relay ${n(relay)} messages/s; ratio ${summary.bullmq.ratioToBareRelay}`,
      `batch encoding          binary ${n(encoding.binary.perSecond)} messages/s (${encoding.binary.bytesPerMessage} B each); JSON ${n(encoding.json.perSecond)} messages/s (${encoding.json.bytesPerMessage} B each); ${encoding.speedup}x`,
      ...matchers.map((m) => `matcher ${n(m.bank).padStart(9)} entries  index ${n(m.indexQps)} q/s, brute force ${n(m.bruteForceQps)} q/s, ratio ${m.ratio}`),
      populationLine(population),
      `memory 1x  (${n(small.result.messages.total)} msgs)  RSS MB ${JSON.stringify(small.rss)}; Redis peak ${smallRedis} MB`,
      `memory ${Math.round(scenario.durationDays / oneX)}x (${n(full.result.messages.total)} msgs)  RSS MB ${JSON.stringify(full.rss)}; Redis peak ${fullRedis} MB`,
      '',
      JSON.stringify(summary),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    redis.stop();
  }
}

await main();
process.exit(0);
