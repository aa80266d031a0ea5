/**
 * What the live view shows, read from Redis on each request: the runs under way (how
 * far each stage has got), every queue's depth, the reports to police filed so far per
 * run and route (from the police sinks), and the finished reports in the results
 * folder. Read-only: the dashboard never writes to Redis.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import {
  ORDERED_STAGES,
  QUEUES,
  RunKeys,
  parseInboxField,
  policeKeyPattern,
  runKeyPattern,
  runOfKey,
  runOfPoliceKey,
  scanKeys,
  type Queues,
} from '@blindspot/pipeline/bullmq';

export interface LiveRun {
  run: string;
  name: string;
  durationDays: number;
  batchSize: number;
  /** Simulated day the generator has reached, and messages generated. */
  day: number;
  messages: number;
  /** Batches each stage has finished (the scanner's: scan results the reporter holds or has applied). */
  batches: { generator: number; scanner: number; metadata: number; reporter: number };
  done: boolean;
  error: string | null;
}

export interface PoliceSink {
  run: string;
  total: number;
  /** By the route whose confirmation filed the report. */
  byRoute: Record<string, number>;
  /** Wall-clock time of the latest report, ms. */
  latest: number;
}

export interface LiveSnapshot {
  at: number;
  prefix: string;
  runs: LiveRun[];
  queues: Record<string, Record<string, number>>;
  police: PoliceSink[];
  results: { file: string; modified: number }[];
}

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;
/** Police sinks shown besides those of runs under way: the most recent few. */
const RECENT_SINKS = 8;

function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

async function liveRun(redis: Redis, prefix: string, run: string): Promise<LiveRun> {
  const keys = new RunKeys(prefix, run);
  const [scenarioJson, optionsJson, progressJson, generated, metadataNext, reporterNext, result, error] = await redis.mget(
    keys.scenario,
    keys.options,
    keys.progress,
    keys.generated,
    keys.stage(ORDERED_STAGES.metadata.name).next,
    keys.stage(ORDERED_STAGES.reporter.name).next,
    keys.result,
    keys.error,
  );
  const scenario = parseJson(scenarioJson, { name: run, durationDays: 0 });
  const progress = parseJson(progressJson, { day: 0, messages: 0 });
  const inbox = await redis.hkeys(keys.stage(ORDERED_STAGES.reporter.name).inbox);
  const reporter = Number(reporterNext ?? '0');
  return {
    run,
    name: String(scenario.name),
    durationDays: Number(scenario.durationDays),
    batchSize: Number(parseJson(optionsJson, { batchSize: 0 }).batchSize),
    day: Number(progress.day),
    messages: Number(progress.messages),
    batches: {
      generator: Number(generated ?? '-1') + 1,
      scanner: reporter + inbox.filter((f) => parseInboxField(f)?.source === 'scan').length,
      metadata: Number(metadataNext ?? '0'),
      reporter,
    },
    done: result !== null,
    error: error ? String(parseJson(error, { message: error }).message) : null,
  };
}

async function policeSink(redis: Redis, key: string, run: string): Promise<PoliceSink> {
  const entries = await redis.xrange(key, '-', '+');
  const byRoute: Record<string, number> = {};
  for (const [, fields] of entries) {
    const entry = parseJson(fields[fields.indexOf('entry') + 1] ?? null, { routes: [] as string[] });
    const route = entry.routes[0] ?? 'unknown';
    byRoute[route] = (byRoute[route] ?? 0) + 1;
  }
  const last = entries.at(-1)?.[0];
  return { run, total: entries.length, byRoute, latest: last ? Number(last.split('-')[0]) : 0 };
}

/**
 * The HTML reports in `dir` and in its folders one level down (the command line writes
 * each run into a folder of its own); not through `latest`, which repeats one of them.
 */
function listResults(dir: string): { file: string; modified: number }[] {
  try {
    const found: { file: string; modified: number }[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      if (entry.isFile() && entry.name.endsWith('.html')) found.push({ file: entry.name, modified: statSync(join(dir, entry.name)).mtimeMs });
      else if (entry.isDirectory()) {
        for (const f of readdirSync(join(dir, entry.name))) {
          if (f.endsWith('.html')) found.push({ file: `${entry.name}/${f}`, modified: statSync(join(dir, entry.name, f)).mtimeMs });
        }
      }
    }
    return found.sort((a, b) => b.modified - a.modified).slice(0, 30);
  } catch {
    return [];
  }
}

export async function liveSnapshot(redis: Redis, queues: Queues, prefix: string, resultsDir: string): Promise<LiveSnapshot> {
  const runIds = (await scanKeys(redis, runKeyPattern(prefix), 10_000)).flatMap((k) => runOfKey(prefix, k) ?? []);
  const runs = await Promise.all(runIds.map((run) => liveRun(redis, prefix, run)));
  runs.sort((a, b) => a.run.localeCompare(b.run));

  const names = Object.values(QUEUES);
  const counts = await Promise.all(names.map((q) => queues.get(q).getJobCounts(...STATES)));
  const queueDepths = Object.fromEntries(names.map((q, i) => [q, counts[i] ?? {}]));

  const sinkKeys = await scanKeys(redis, policeKeyPattern(prefix), 10_000);
  const sinks = await Promise.all(
    sinkKeys.flatMap((key) => runOfPoliceKey(prefix, key) ?? []).map((run) => policeSink(redis, new RunKeys(prefix, run).police, run)),
  );
  const active = new Set(runIds);
  const police = [
    ...sinks.filter((s) => active.has(s.run)),
    ...sinks
      .filter((s) => !active.has(s.run))
      .sort((a, b) => b.latest - a.latest)
      .slice(0, RECENT_SINKS),
  ];
  return { at: Date.now(), prefix, runs, queues: queueDepths, police, results: listResults(resultsDir) };
}
