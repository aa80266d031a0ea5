/**
 * What the live view shows, read from Redis on each request: the runs under way (how
 * far each stage has got), every queue's depth, the reports to police filed so far per
 * run and route (from the police sinks), and the finished reports in the results
 * folder. Read-only: the dashboard never writes to Redis.
 *
 * A poll costs the same however long the police sinks are (a long run can file hundreds
 * of thousands of reports): each sink's length is XLEN and its latest report one entry,
 * and the reports by route are tallied in this process (PoliceTallies), each poll
 * reading on from where the last one stopped, at most TALLY_CHUNK entries a sink, so a
 * sink the dashboard meets long is caught up over a few polls (the page says how far)
 * rather than read whole on each.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  ORDERED_STAGES,
  QUEUES,
  RunKeys,
  parseInboxField,
  partitionPrefixes,
  policeKeyPattern,
  readProgress,
  runKeyPattern,
  runOfKey,
  runOfPoliceKey,
  scanKeys,
  type Queues,
  type RedisClient,
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
  /** By the route whose confirmation filed the report, of the first `counted` reports. */
  byRoute: Record<string, number>;
  /** Reports tallied in byRoute so far: `total` once the dashboard has caught up with the sink. */
  counted: number;
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
/** Police sink entries a poll reads from one sink at most, to tally them by route. */
export const TALLY_CHUNK = 5_000;

function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Each state's jobs summed over the partitions' counts. */
function sumCounts(counts: readonly Record<string, number>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const c of counts) for (const [state, n] of Object.entries(c)) sum[state] = (sum[state] ?? 0) + n;
  return sum;
}

/** A run under way, read from the partition (its prefix `at`) it lives in. */
async function liveRun(redis: RedisClient, at: string, run: string): Promise<LiveRun> {
  const keys = new RunKeys(at, run);
  const [scenarioJson, optionsJson, metadataNext, reporterNext, result, error] = await redis.mget(
    keys.scenario,
    keys.options,
    keys.stage(ORDERED_STAGES.metadata.name).next,
    keys.stage(ORDERED_STAGES.reporter.name).next,
    keys.result,
    keys.error,
  );
  const scenario = parseJson(scenarioJson, { name: run, durationDays: 0 });
  const progress = await readProgress(redis, keys);
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
      generator: progress.batches,
      scanner: reporter + inbox.filter((f) => parseInboxField(f)?.source === 'scan').length,
      metadata: Number(metadataNext ?? '0'),
      reporter,
    },
    done: result !== null,
    error: error ? String(parseJson(error, { message: error }).message) : null,
  };
}

/** A police sink's entry id: wall-clock ms and a sequence number. */
const msOfId = (id: string | undefined) => (id ? Number(id.split('-')[0]) : 0);

/** The route that filed the report in a police sink entry (`entry`: the report as JSON). */
function routeOfEntry(fields: string[]): string {
  const entry = parseJson(fields[fields.indexOf('entry') + 1] ?? null, { routes: [] as string[] });
  return (Array.isArray(entry.routes) ? entry.routes[0] : undefined) ?? 'unknown';
}

/** What has been tallied of one sink: its entries up to `last`, from its first entry `first`. */
interface Tally {
  first: string;
  last: string;
  counted: number;
  byRoute: Record<string, number>;
}

type Reply = [Error | null, unknown][] | null;

/**
 * The reports to police by route, tallied per sink in this process, so a poll reads only
 * what was appended since the last one (at most TALLY_CHUNK entries). Sinks are only
 * appended to; one that is shorter than its tally, or starts with another entry, was
 * replaced (it expired and a run of that id filed again) and is counted afresh. Only the
 * sinks a poll shows are kept (retain), so the memory is a few numbers per sink shown.
 */
export class PoliceTallies {
  private readonly tallies = new Map<string, Tally>();
  /** The read under way per sink: polls at once (two open pages) share it, so nothing is counted twice. */
  private readonly reading = new Map<string, Promise<PoliceSink>>();

  /** Sinks tallied, for tests. */
  get size(): number {
    return this.tallies.size;
  }

  /** The sink `key` of `run` as shown, having tallied what was appended since the last read. */
  read(redis: RedisClient, key: string, run: string): Promise<PoliceSink> {
    let pending = this.reading.get(key);
    if (!pending) {
      pending = this.update(redis, key, run).finally(() => this.reading.delete(key));
      this.reading.set(key, pending);
    }
    return pending;
  }

  /** Forgets every sink but those in `keys` (the ones shown). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.tallies.keys()) if (!keys.has(key)) this.tallies.delete(key);
  }

  private async update(redis: RedisClient, key: string, run: string): Promise<PoliceSink> {
    let tally = this.tallies.get(key);
    let read = await this.readOn(redis, key, tally);
    if (tally && (read.first !== tally.first || read.total < tally.counted)) {
      // Replaced under us: count it again from its start.
      tally = undefined;
      read = await this.readOn(redis, key, undefined);
    }
    if (read.first === undefined) {
      this.tallies.delete(key);
      return { run, total: 0, byRoute: {}, counted: 0, latest: 0 };
    }
    const next: Tally = tally ?? { first: read.first, last: '0-0', counted: 0, byRoute: {} };
    for (const [id, fields] of read.entries) {
      const route = routeOfEntry(fields);
      next.byRoute[route] = (next.byRoute[route] ?? 0) + 1;
      next.counted++;
      next.last = id;
    }
    this.tallies.set(key, next);
    return { run, total: read.total, byRoute: { ...next.byRoute }, counted: next.counted, latest: msOfId(read.latest) };
  }

  /** One MULTI, so length, ends and the entries read agree: the sink's length, first and latest ids, and the entries after the tally's. */
  private async readOn(
    redis: RedisClient,
    key: string,
    tally: Tally | undefined,
  ): Promise<{ total: number; first: string | undefined; latest: string | undefined; entries: [string, string[]][] }> {
    const replies = (await redis
      .multi()
      .xlen(key)
      .xrange(key, '-', '+', 'COUNT', 1)
      .xrevrange(key, '+', '-', 'COUNT', 1)
      .xrange(key, tally ? `(${tally.last}` : '-', '+', 'COUNT', TALLY_CHUNK)
      .exec()) as Reply;
    const values = (replies ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    const [total, head, tail, entries] = values as [number, [string, string[]][], [string, string[]][], [string, string[]][]];
    return { total, first: head[0]?.[0], latest: tail[0]?.[0], entries };
  }
}

/**
 * The HTML reports in `dir` and in its folders one level down (the command line writes
 * each run into a folder of its own); not through `latest`, which repeats one of them.
 */
export function listResults(dir: string): { file: string; modified: number }[] {
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

/** The latest report of every police sink, ms (0 for an empty one): one entry each. */
async function latestReports(redis: RedisClient, keys: readonly string[]): Promise<number[]> {
  const batch = redis.pipeline();
  for (const key of keys) batch.xrevrange(key, '+', '-', 'COUNT', 1);
  const replies = ((await batch.exec()) ?? []) as [Error | null, [string, string[]][]][];
  return replies.map(([err, entries]) => {
    if (err) throw err;
    return msOfId(entries[0]?.[0]);
  });
}

/**
 * The police sinks shown: those of the runs under way, then the RECENT_SINKS whose
 * latest report is newest.
 */
async function policeSinks(redis: RedisClient, prefixes: readonly string[], active: ReadonlySet<string>, tallies: PoliceTallies): Promise<PoliceSink[]> {
  const dated: { key: string; run: string; latest: number }[] = [];
  // Partition by partition: a pipeline reaches one Cluster slot, and each partition is one.
  for (const prefix of prefixes) {
    const keys = await scanKeys(redis, policeKeyPattern(prefix), 10_000);
    const sinks = keys.flatMap((key) => {
      const run = runOfPoliceKey(prefix, key);
      return run === null ? [] : [{ key, run }];
    });
    const latest = await latestReports(
      redis,
      sinks.map((s) => s.key),
    );
    dated.push(...sinks.map((s, i) => ({ ...s, latest: latest[i] ?? 0 })));
  }
  const shown = [
    ...dated.filter((s) => active.has(s.run)),
    ...dated
      .filter((s) => !active.has(s.run))
      .sort((a, b) => b.latest - a.latest)
      .slice(0, RECENT_SINKS),
  ];
  tallies.retain(new Set(shown.map((s) => s.key)));
  return Promise.all(shown.map((s) => tallies.read(redis, s.key, s.run)));
}

/** What the page shows now; `tallies` are the dashboard's own, kept from poll to poll. */
export async function liveSnapshot(redis: RedisClient, queues: Queues, prefix: string, resultsDir: string, tallies: PoliceTallies): Promise<LiveSnapshot> {
  // Every partition of the deployment (keys.ts): its runs are under its own prefix.
  const prefixes = partitionPrefixes(prefix, queues.partitions);
  const found: { run: string; at: string }[] = [];
  for (const at of prefixes) {
    for (const key of await scanKeys(redis, runKeyPattern(at), 10_000)) {
      const run = runOfKey(at, key);
      if (run !== null) found.push({ run, at });
    }
  }
  const runs = await Promise.all(found.map(({ run, at }) => liveRun(redis, at, run)));
  runs.sort((a, b) => a.run.localeCompare(b.run));

  const names = Object.values(QUEUES);
  const counts = await Promise.all(names.map((q) => Promise.all(queues.all(q).map((p) => p.getJobCounts(...STATES)))));
  const queueDepths = Object.fromEntries(names.map((q, i) => [q, sumCounts(counts[i] ?? [])]));

  const police = await policeSinks(redis, prefixes, new Set(found.map((f) => f.run)), tallies);
  return { at: Date.now(), prefix, runs, queues: queueDepths, police, results: listResults(resultsDir) };
}
