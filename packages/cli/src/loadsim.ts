/**
 * `blindspot load`: a load simulation for CI. Runs a scenario over BullMQ (services
 * started here with the given replicas, or running elsewhere), samples Redis memory and
 * queue depths while it runs, and reports throughput, per-stage queue depth, end-to-end
 * batch latency and Redis peak memory. Gates: exits 1 when throughput is below
 * --min-messages-per-second, Redis peak above --max-redis-mb, or the run's result
 * carries a consistency warning.
 *
 * Latency is wall clock from a batch entering the pipeline (generator) to its being
 * applied by the reporter; across machines it includes their clock skew.
 */
import { percentile, type RunResult } from '@blindspot/core';
import { connectClient, submitAndWait } from '@blindspot/pipeline/orchestrate';

type Redis = Awaited<ReturnType<typeof connectClient>>;
import { ORDERED_STAGES, QUEUES, Queues, REPORTER_STATE, RunKeys, enteredField, keyServers } from '@blindspot/pipeline/bullmq';
import type { ServiceName } from '@blindspot/pipeline/config';
import type { LoadedScenario } from './load';
import { spawnServices, type ServiceProcesses } from './spawn';
import { jobKeyForRun } from './job-key';
import { listenForInterrupt } from './interrupt';

export interface LoadOptions {
  redis: string;
  external: boolean;
  replicas: Partial<Record<ServiceName, number>>;
  prefix: string;
  /** Partitions of the deployment (BLINDSPOT_PARTITIONS). */
  partitions: number;
  batchSize: number;
  timeoutMs: number;
  logLevel: string;
  minMessagesPerSecond?: number;
  maxRedisMb?: number;
}

export interface LoadReport {
  scenario: { name: string; file: string; seed: number };
  replicas: Partial<Record<ServiceName, number>>;
  batchSize: number;
  messages: number;
  wallSeconds: number;
  messagesPerSecond: number;
  /** Batch latency, pipeline entry to reporter, wall clock (ms). */
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null; batches: number };
  /** Queue depth (waiting + active jobs) per stage, sampled every 250 ms. */
  stages: Record<'scan' | 'metadata' | 'report', { maxDepth: number; meanDepth: number }>;
  redisPeakMb: number;
  reports: number;
  gates: { minMessagesPerSecond: number | null; maxRedisMb: number | null; passed: boolean; failures: string[] };
}

function usedMemory(info: string): number {
  const m = /^used_memory:(\d+)/m.exec(info);
  return m ? Number(m[1]) : 0;
}

export async function loadCommand(loaded: LoadedScenario, options: LoadOptions): Promise<{ report: LoadReport; code: number }> {
  let services: ServiceProcesses | undefined;
  // Ctrl-C cancels the run (submitAndWait), then the services started here are stopped.
  const interrupt = listenForInterrupt(process.stderr, () => services?.terminate());
  try {
    return await measure(loaded, options, interrupt.signal, interrupt.received, (started) => {
      services = started;
    });
  } catch (err) {
    throw interrupt.explain(err);
  } finally {
    interrupt.dispose();
  }
}

async function measure(
  loaded: LoadedScenario,
  options: LoadOptions,
  signal: AbortSignal,
  interrupted: () => unknown,
  started: (services: ServiceProcesses) => void,
): Promise<{ report: LoadReport; code: number }> {
  const jobKey = jobKeyForRun();
  const redis = await connectClient(options.redis);
  const sampler = await connectClient(options.redis);
  const queues = new Queues(sampler, options.prefix, undefined, undefined, true, options.partitions);
  // Redis's memory: every master's, on a cluster.
  const usedMemoryNow = async () => (await Promise.all(keyServers(sampler).map(async (s) => usedMemory(await s.info('memory'))))).reduce((a, b) => a + b, 0);
  let services: ServiceProcesses | undefined;
  let peak = await usedMemoryNow();
  const depth = { scan: [] as number[], metadata: [] as number[], report: [] as number[] };
  let sampling = true;
  const memoryLoop = (async () => {
    while (sampling) {
      try {
        peak = Math.max(peak, await usedMemoryNow());
      } catch {
        // a missed sample is not a failure
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const depthLoop = (async () => {
    while (sampling) {
      for (const stage of ['scan', 'metadata', 'report'] as const) {
        try {
          const counts = await Promise.all(queues.all(QUEUES[stage]).map((q) => q.getJobCounts('waiting', 'active', 'prioritized')));
          depth[stage].push(counts.reduce((n, c) => n + (c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0), 0));
        } catch {
          // idem
        }
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const latencies: number[] = [];
  let result: RunResult;
  try {
    if (!options.external) {
      const env = { REDIS_URL: options.redis, BLINDSPOT_PREFIX: options.prefix, BLINDSPOT_PARTITIONS: String(options.partitions), LOG_LEVEL: options.logLevel };
      services = spawnServices({ ...env, ...jobKey.env }, options.replicas);
      started(services);
    }
    result = await submitAndWait(redis, loaded.scenario, {
      url: options.redis,
      auth: jobKey.auth,
      prefix: options.prefix,
      partitions: options.partitions,
      file: loaded.file,
      batchSize: options.batchSize,
      groups: options.replicas.generator ?? 1,
      timeoutMs: options.timeoutMs,
      // After a signal the services it reaches exit on their own: not a problem to report.
      check: () => (interrupted() ? null : (services?.problem() ?? null)),
      beforeCleanup: async (run) => collectLatencies(redis, new RunKeys(options.prefix, run, options.partitions), latencies),
      signal,
      ...(services ? { stopServices: () => (services as ServiceProcesses).stop() } : {}),
    });
  } finally {
    sampling = false;
    // A sample in flight when Redis went away (an outage, a rotated password) may wait
    // on a connection that will not come back: the loops get a moment to finish, then
    // the sampler is closed under them, which fails what it still holds.
    await settledWithin([memoryLoop, depthLoop], 1_000);
    sampler.disconnect();
    await services?.stop();
    await settledWithin([memoryLoop, depthLoop, queues.close()], 2_000);
    redis.disconnect();
  }
  latencies.sort((a, b) => a - b);
  const stage = (xs: number[]) => ({
    maxDepth: Math.max(0, ...xs),
    meanDepth: xs.length ? Math.round((xs.reduce((s, x) => s + x, 0) / xs.length) * 10) / 10 : 0,
  });
  const redisPeakMb = Math.round((peak / 1024 / 1024) * 10) / 10;
  const failures: string[] = [];
  if (options.minMessagesPerSecond !== undefined && result.timing.messagesPerSecond < options.minMessagesPerSecond) {
    failures.push(`throughput ${result.timing.messagesPerSecond} messages/s is below the gate of ${options.minMessagesPerSecond}`);
  }
  if (options.maxRedisMb !== undefined && redisPeakMb > options.maxRedisMb)
    failures.push(`Redis peak memory ${redisPeakMb} MB is above the gate of ${options.maxRedisMb} MB`);
  for (const w of result.warnings) failures.push(`result: ${w}`);
  const report: LoadReport = {
    scenario: result.scenario,
    replicas: options.replicas,
    batchSize: options.batchSize,
    messages: result.messages.total,
    wallSeconds: result.timing.wallSeconds,
    messagesPerSecond: result.timing.messagesPerSecond,
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p90: percentile(latencies, 0.9),
      p99: percentile(latencies, 0.99),
      max: latencies.at(-1) ?? null,
      batches: latencies.length,
    },
    stages: { scan: stage(depth.scan), metadata: stage(depth.metadata), report: stage(depth.report) },
    redisPeakMb,
    reports: result.reports.total,
    gates: { minMessagesPerSecond: options.minMessagesPerSecond ?? null, maxRedisMb: options.maxRedisMb ?? null, passed: failures.length === 0, failures },
  };
  return { report, code: failures.length === 0 ? 0 : 1 };
}

/** Waits for the promises to settle, or `ms`, whichever is first. */
async function settledWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Pipeline entry (generator) and application (reporter) times per batch → latencies. */
async function collectLatencies(redis: Redis, keys: RunKeys, into: number[]): Promise<void> {
  const entered = await redis.hgetall(keys.timeline);
  const applied = await redis.hgetall(keys.stage(ORDERED_STAGES.reporter.name).state);
  for (const [field, value] of Object.entries(applied)) {
    const seq = REPORTER_STATE.appliedSeq(field);
    if (seq === null) continue;
    const start = entered[enteredField(seq)];
    if (start !== undefined) into.push(Number(value) - Number(start));
  }
}

export function formatLoad(r: LoadReport): string {
  const n = (x: number | null) => (x === null ? 'n/a' : x.toLocaleString('en-US'));
  return [
    `Load: ${r.scenario.name} (${r.scenario.file}), ${n(r.messages)} messages, batch ${r.batchSize}, replicas ${JSON.stringify(r.replicas)}`,
    `  throughput      ${n(r.messagesPerSecond)} messages/s over ${r.wallSeconds} s`,
    `  batch latency   p50 ${n(r.latencyMs.p50)} ms · p90 ${n(r.latencyMs.p90)} ms · p99 ${n(r.latencyMs.p99)} ms · max ${n(r.latencyMs.max)} ms (${r.latencyMs.batches} batches)`,
    `  queue depth     scan max ${r.stages.scan.maxDepth} · metadata max ${r.stages.metadata.maxDepth} · report max ${r.stages.report.maxDepth}`,
    `  Redis peak      ${r.redisPeakMb} MB`,
    r.gates.passed ? '  gates           passed' : `  gates           FAILED\n${r.gates.failures.map((f) => `    ${f}`).join('\n')}`,
  ].join('\n');
}
