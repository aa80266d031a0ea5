/**
 * `pnpm bench`: throughput and memory figures in one invocation, each beside a baseline
 * measured in the same run on the same machine (shared machines are noisy: ratios are
 * what compare across runs). Reports; never fails on a time.
 *
 *   embedded   messages/s and CPU µs per message (every thread's, process.cpuUsage)
 *              of the shipped e2ee scenario in one process, its world's shards on a
 *              thread per core, beside the same run on one thread (and whether the
 *              results agree)
 *   bullmq     messages/s of the same scenario over BullMQ (four service processes;
 *              then again with two generator processes sharing the run),
 *              and CPU µs per message of each process and of Redis (from /proc and
 *              INFO cpu: steadier than wall time on a shared machine), beside a bare
 *              relay: four chained queues whose workers only forward the job, in four
 *              processes, same messages and batch size, in the binary layout the
 *              pipeline's jobs carry (a real sealed batch) and in JSON
 *   cluster    the scenario at 1x over a private 3-node Redis Cluster in 3 partitions,
 *              pointed at its last node, beside the same run on one server
 *   encoding   messages/s through a batch's encode and decode: the binary layout the
 *              pipeline uses against JSON with base64 bytes, same batches
 *   sealing    CPU µs per 64-byte message sealed, the JavaScript twin against the native
 *              kernel, interleaved rounds (bench-seal.ts), and which one runs use
 *   matcher    hash-bank queries/s per core of the batched matcher (native kernel and
 *              JavaScript twin, at a scan job's queries and at 16k) beside the per-query
 *              multi-index and brute force, banks of 10k, 100k and 1M entries, with
 *              build times and bytes per entry (see bench-match.ts)
 *   memory     peak RSS of every process and Redis used_memory_peak at 1x and 10x the
 *              messages (the e2ee scenario over 3 and 30 simulated days)
 *   population build time, peak RSS and bytes per account of the e2ee population scaled
 *              to 10M accounts (--population <N> for another size), see bench-population.ts
 *
 * Needs `redis-server` on the PATH (it starts a private one on a free port).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { decodeMessages, encodeMessages, newPlatformKey, type Scenario } from '@blindspot/core';
import { WorldGenerator, newClientSecret } from '@blindspot/core/world';
import { benchRelayCountKey, redactorFor, reportErrors } from '@blindspot/pipeline/bullmq';
import { fromBase64, toBase64 } from '@blindspot/core';
import { runEmbedded, runEmbeddedParallel } from '@blindspot/pipeline/embedded';
import { freePort } from '@blindspot/pipeline/net';
import { connectClient, submitAndWait } from '@blindspot/pipeline/orchestrate';
import { loadScenario } from './load';
import { REPO_ROOT, spawnServices } from './spawn';
import { jobKeyForRun } from './job-key';
import { matcherBench, matcherLines } from './bench-match';
import { microsPerMessage, processCpuSeconds, redisCpuSeconds, startLocalCluster } from './bench-cpu';
import { sealBench, sealLine } from './bench-seal';
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

/**
 * The scenario over BullMQ with the four services as processes (in `partitions`
 * partitions, for a cluster; `generators` generator processes sharing the run, one
 * generation group each); their peak RSS and CPU time are read just before they stop
 * (a second process of a service as `<name> 2`, and so on).
 */
/** How long a run over BullMQ may take before the bench gives up on it, naming it: the quick bench's runs take seconds. */
const RUN_TIMEOUT_MS = process.argv.includes('--quick') ? 150_000 : 1_800_000;

async function overBullmq(url: string, scenario: Scenario, file: string, partitions = 1, generators = 1) {
  const prefix = `{bench-${Date.now().toString(36)}}`;
  const jobKey = jobKeyForRun({});
  const env = { REDIS_URL: url, BLINDSPOT_PREFIX: prefix, BLINDSPOT_PARTITIONS: String(partitions), LOG_LEVEL: 'warn', GENERATOR_HIGH_WATER: '16' };
  const services = spawnServices({ ...env, ...jobKey.env }, { generator: generators });
  const redis = await connectClient(url);
  const rss: Record<string, number | null> = {};
  const cpuSeconds: Record<string, number | null> = {};
  const redisCpu0 = await redisCpuSeconds(redis);
  try {
    const result = await submitAndWait(redis, scenario, {
      url,
      auth: jobKey.auth,
      prefix,
      partitions,
      file,
      batchSize: BATCH,
      groups: generators,
      timeoutMs: RUN_TIMEOUT_MS,
      check: () => services.problem(),
      beforeCleanup: async () => {
        const seen: Record<string, number> = {};
        for (const p of services.processes()) {
          seen[p.name] = (seen[p.name] ?? 0) + 1;
          const name = seen[p.name] === 1 ? p.name : `${p.name} ${seen[p.name]}`;
          rss[name] = peakRssMb(p.pid);
          cpuSeconds[name] = processCpuSeconds(p.pid);
        }
        cpuSeconds.redis = (await redisCpuSeconds(redis)) - redisCpu0;
      },
    });
    const messages = result.messages.total;
    const cpuMicrosPerMessage = Object.fromEntries(Object.entries(cpuSeconds).map(([k, v]) => [k, v === null ? null : microsPerMessage(v, messages)]));
    const total = Object.values(cpuSeconds).reduce<number>((n, v) => n + (v ?? 0), 0);
    return { result, rss, cpuMicrosPerMessage, totalCpuMicrosPerMessage: microsPerMessage(total, messages) };
  } finally {
    redis.disconnect();
    await services.stop();
  }
}

/**
 * The bare relay: four chained queues whose workers only forward the job, one worker
 * process per stage as the services are; with the batch in `layout`: JSON of about 200
 * bytes per message (a record per message), or the binary layout the pipeline's jobs
 * carry (a real sealed batch, as one base64 string). Messages/s, and CPU per message of
 * the relay's processes and Redis.
 */
async function bareRelay(url: string, messages: number, layout: 'json' | 'binary', sealed: Uint8Array) {
  const prefix = `{relay-${Date.now().toString(36)}}`;
  const stages = ['r1', 'r2', 'r3', 'r4'];
  const workers = stages.map((stage, i) =>
    spawn(process.execPath, ['--import', 'tsx', 'packages/cli/src/bench-relay.ts', url, prefix, stage, stages[i + 1] ?? ''], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  try {
    await Promise.all(
      workers.map(
        (w, i) =>
          new Promise<void>((resolve, reject) => {
            const late = setTimeout(() => reject(new Error(`bare relay: stage ${stages[i]} was not ready within 60 s`)), 60_000);
            w.once('exit', (code) => reject(new Error(`bare relay: stage ${stages[i]} stopped before it was ready (exit code ${code})`)));
            w.stdout?.once('data', () => {
              clearTimeout(late);
              resolve();
            });
          }),
      ),
    );
    const connection = await connectClient(url);
    const first = reportErrors(new Queue('r1', { connection, prefix }), redactorFor(connection), (err) =>
      process.stderr.write(`bare relay: queue r1: ${err}\n`),
    );
    const jobs = Math.ceil(messages / BATCH);
    const message = { id: 0, t: 0, surface: 'dm', sender: 1, recipient: 2, media: 'text', size: 60, encrypted: true, p: 'x'.repeat(64) };
    const batch = layout === 'json' ? Array.from({ length: BATCH }, (_, i) => ({ ...message, id: i })) : toBase64(sealed);
    const redisCpu0 = await redisCpuSeconds(connection);
    const cpu0 = workers.map((w) => processCpuSeconds(w.pid as number) ?? 0);
    const started = performance.now();
    for (let j = 0; j < jobs; j++) await first.add('b', { run: 'relay', seq: j, messages: batch }, { removeOnComplete: true });
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      const finished = Number((await connection.get(benchRelayCountKey(prefix))) ?? '0');
      if (finished >= jobs) break;
      const stopped = workers.findIndex((w) => w.exitCode !== null || w.signalCode !== null);
      if (stopped >= 0) throw new Error(`bare relay: stage ${stages[stopped]} stopped with ${finished} of ${jobs} jobs through`);
      if (Date.now() > deadline) throw new Error(`bare relay: only ${finished} of ${jobs} jobs through after ${RUN_TIMEOUT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    const relayCpu = workers.reduce((n, w, i) => n + (processCpuSeconds(w.pid as number) ?? 0) - (cpu0[i] ?? 0), 0);
    const redisCpu = (await redisCpuSeconds(connection)) - redisCpu0;
    await first.close();
    connection.disconnect();
    const total = jobs * BATCH;
    return {
      messagesPerSecond: Math.round(total / seconds),
      cpuMicrosPerMessage: { relay: microsPerMessage(relayCpu, total), redis: microsPerMessage(redisCpu, total) },
      totalCpuMicrosPerMessage: microsPerMessage(relayCpu + redisCpu, total),
    };
  } finally {
    await stopAll(workers);
  }
}

/**
 * Stops the relay's processes: SIGTERM, then SIGKILL for any still running after 5 s.
 * A relay left running would hold the bench's stderr open (and so its caller) for ever.
 */
async function stopAll(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const kill = setTimeout(() => c.kill('SIGKILL'), 5000);
          c.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  );
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
  // A full batch in the binary layout, for the bare relay to carry as the pipeline's jobs do.
  const sample = encodeMessages(batches.find((b) => b.length === BATCH) ?? batches[0] ?? []);
  return { messages, json, binary, speedup: Math.round((binary.perSecond / json.perSecond) * 10) / 10, sample };
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
  // CPU time of this process, every thread of it: process.cpuUsage counts worker threads too.
  const cpuOf = async <T>(fn: () => T | Promise<T>) => {
    const before = process.cpuUsage();
    const value = await fn();
    const used = process.cpuUsage(before);
    return { value, seconds: (used.user + used.system) / 1e6 };
  };
  say('embedded: e2ee on one thread ...');
  const oneThread = await cpuOf(() => runEmbedded(scenario, { file }));
  const cores = (await import('node:os')).availableParallelism();
  say(`embedded: e2ee on ${cores} threads (every core) ...`);
  const embedded = await cpuOf(() => runEmbeddedParallel(scenario, { file }));
  const same = JSON.stringify({ ...embedded.value, timing: null }) === JSON.stringify({ ...oneThread.value, timing: null });
  const embeddedFigure = {
    messages: embedded.value.messages.total,
    threads: cores,
    messagesPerSecond: embedded.value.timing.messagesPerSecond,
    wallSeconds: embedded.value.timing.wallSeconds,
    cpuMicrosPerMessage: microsPerMessage(embedded.seconds, embedded.value.messages.total),
    oneThreadMessagesPerSecond: oneThread.value.timing.messagesPerSecond,
    oneThreadCpuMicrosPerMessage: microsPerMessage(oneThread.seconds, oneThread.value.messages.total),
    speedupOverOneThread: Math.round((embedded.value.timing.messagesPerSecond / oneThread.value.timing.messagesPerSecond) * 100) / 100,
    sameResultAsOneThread: same,
  };

  say('encodings: binary layout against JSON ...');
  const encoding = encodings(scenario, quick ? 1 : 3);

  say('sealing: JavaScript twin against native kernel ...');
  const sealing = sealBench(quick);

  const matchers = matcherBench(quick, say);

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
    say(`bullmq: the same with 2 generator processes sharing the run ...`);
    const twoGenerators = await overBullmq(redis.url, scenario, file, 1, 2);
    await redis.restart();
    say('bare relay: same messages and batch size, in the binary layout, then in JSON ...');
    const relay = await bareRelay(redis.url, full.result.messages.total, 'binary', encoding.sample);
    await redis.restart();
    const relayJson = await bareRelay(redis.url, full.result.messages.total, 'json', encoding.sample);

    say(`cluster: e2ee over ${oneX} days on a 3-node Redis Cluster, 3 partitions ...`);
    const cluster = await startLocalCluster(3);
    let clustered: Awaited<ReturnType<typeof overBullmq>>;
    try {
      // Pointed at the last node: the client finds the others through it.
      clustered = await overBullmq(cluster.urls[2] as string, { ...scenario, durationDays: oneX }, file, 3);
    } finally {
      cluster.stop();
    }

    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    const { sample: _sample, ...encodingFigure } = encoding;
    const summary = {
      machine: { cores, node: process.version },
      embedded: embeddedFigure,
      bullmq: {
        messages: full.result.messages.total,
        batchSize: BATCH,
        messagesPerSecond: full.result.timing.messagesPerSecond,
        cpuMicrosPerMessage: full.cpuMicrosPerMessage,
        totalCpuMicrosPerMessage: full.totalCpuMicrosPerMessage,
        bareRelay: { binary: relay, json: relayJson },
        ratioToBareRelay: ratio(full.result.timing.messagesPerSecond, relay.messagesPerSecond),
        cpuRatioToBareRelay: ratio(full.totalCpuMicrosPerMessage, relay.totalCpuMicrosPerMessage),
        twoGenerators: {
          messagesPerSecond: twoGenerators.result.timing.messagesPerSecond,
          speedupOverOne: ratio(twoGenerators.result.timing.messagesPerSecond, full.result.timing.messagesPerSecond),
          cpuMicrosPerMessage: twoGenerators.cpuMicrosPerMessage,
          totalCpuMicrosPerMessage: twoGenerators.totalCpuMicrosPerMessage,
          sameResultAsOne: JSON.stringify({ ...twoGenerators.result, timing: null }) === JSON.stringify({ ...full.result, timing: null }),
        },
      },
      cluster: {
        nodes: 3,
        partitions: 3,
        messages: clustered.result.messages.total,
        messagesPerSecond: clustered.result.timing.messagesPerSecond,
        oneServerMessagesPerSecond: small.result.timing.messagesPerSecond,
        totalCpuMicrosPerMessage: clustered.totalCpuMicrosPerMessage,
        sameResultAsOneServer: JSON.stringify({ ...clustered.result, timing: null }) === JSON.stringify({ ...small.result, timing: null }),
      },
      encoding: encodingFigure,
      sealing,
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
    const e = summary.embedded;
    const b = summary.bullmq;
    const c = summary.cluster;
    const perStage = (cpu: Record<string, number | null>) =>
      Object.entries(cpu)
        .map(([k, v]) => `${k} ${v ?? 'n/a'}`)
        .join(', ');
    const lines = [
      `Blindspot bench (${summary.machine.cores} cores, Node ${summary.machine.node})`,
      '',
      `embedded e2ee           ${e.threads} threads ${n(e.messagesPerSecond)} messages/s (${n(e.messages)} messages in ${e.wallSeconds} s), ${e.cpuMicrosPerMessage} µs CPU/message; 1 thread ${n(e.oneThreadMessagesPerSecond)} messages/s, ${e.oneThreadCpuMicrosPerMessage} µs CPU/message; speedup ${e.speedupOverOneThread}, same result: ${same ? 'yes' : 'NO'}`,
      `BullMQ e2ee             ${n(b.messagesPerSecond)} messages/s, ${b.totalCpuMicrosPerMessage} µs CPU/message in all (${perStage(b.cpuMicrosPerMessage)})`,
      `BullMQ, 2 generators    ${n(b.twoGenerators.messagesPerSecond)} messages/s (${b.twoGenerators.speedupOverOne}x one), ${b.twoGenerators.totalCpuMicrosPerMessage} µs CPU/message in all (${perStage(b.twoGenerators.cpuMicrosPerMessage)}), same result: ${b.twoGenerators.sameResultAsOne ? 'yes' : 'NO'}`,
      `bare relay              binary layout ${n(relay.messagesPerSecond)} messages/s, ${relay.totalCpuMicrosPerMessage} µs CPU/message (${perStage(relay.cpuMicrosPerMessage)}); JSON ${n(relayJson.messagesPerSecond)} messages/s, ${relayJson.totalCpuMicrosPerMessage} µs; BullMQ/relay ratio ${b.ratioToBareRelay} (CPU ${b.cpuRatioToBareRelay}x)`,
      `Redis Cluster           ${c.nodes} nodes, ${c.partitions} partitions: ${n(c.messagesPerSecond)} messages/s (one server ${n(c.oneServerMessagesPerSecond)}), ${c.totalCpuMicrosPerMessage} µs CPU/message, same result: ${c.sameResultAsOneServer ? 'yes' : 'NO'}`,
      `batch encoding          binary ${n(encoding.binary.perSecond)} messages/s (${encoding.binary.bytesPerMessage} B each); JSON ${n(encoding.json.perSecond)} messages/s (${encoding.json.bytesPerMessage} B each); ${encoding.speedup}x`,
      sealLine(sealing),
      ...matcherLines(matchers),
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
