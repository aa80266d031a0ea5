/** `blindspot load`: a run over BullMQ, measured (throughput, latency, queue depth, Redis memory), with gates. */
import { loadAll, type LoadedScenario } from '../load';
import * as opt from '../options';
import { jsonText, printable } from '../output';
import { defineCommand } from './command';
import { jobKeyProblemFor } from '../job-key';

export const loadCommand = defineCommand({
  name: 'load',
  summary: 'run a scenario over BullMQ and measure throughput, latency and memory',
  usage: ['load <scenario.yaml> --redis <url> [--replicas ...] [--min-messages-per-second N] [--max-redis-mb M] [options]'],
  about:
    'Runs the scenario over BullMQ and reports messages per second, batch latency (p50 to\nmax), the depth of each queue and Redis peak memory. Exits 1 if a gate is missed or the\nresult carries a consistency warning. Writes no files.',
  operands: { min: 1, max: 1, problem: 'load takes exactly one scenario file' },
  options: {
    redis: opt.redis,
    replicas: opt.replicas,
    minMessagesPerSecond: opt.minMessagesPerSecond,
    maxRedisMb: opt.maxRedisMb,
    json: opt.json,
    externalServices: opt.externalServices,
    prefix: opt.prefix,
    partitions: opt.partitions,
    seed: opt.seed,
    batchSize: opt.batchSize,
    timeout: opt.timeout,
    logLevel: opt.logLevel,
  },
  check: (v) => {
    if (v.redis === undefined) return ['load runs over BullMQ: give --redis <url>'];
    const jobKey = jobKeyProblemFor(v.externalServices);
    return jobKey ? [jobKey] : [];
  },
  async run(v, files) {
    const [loaded] = loadAll(files).map((l) => ({ ...l, scenario: opt.withSeed(l.scenario, v.seed) }));
    // BullMQ and ioredis take a while to load: only now.
    const { formatLoad, loadCommand: measure } = await import('../loadsim');
    const { report, code } = await measure(loaded as LoadedScenario, {
      redis: v.redis as string,
      external: v.externalServices,
      replicas: v.replicas,
      prefix: v.prefix,
      partitions: v.partitions,
      batchSize: v.batchSize,
      timeoutMs: v.timeout,
      logLevel: v.logLevel,
      ...(v.minMessagesPerSecond === undefined ? {} : { minMessagesPerSecond: v.minMessagesPerSecond }),
      ...(v.maxRedisMb === undefined ? {} : { maxRedisMb: v.maxRedisMb }),
    });
    process.stdout.write(v.json ? jsonText(report) : `${printable(formatLoad(report))}\n`);
    if (!v.json && code !== 0) process.stderr.write('load: a gate was missed\n');
    return code;
  },
});
