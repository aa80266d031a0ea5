/**
 * The world on every core. Each thread plays some of the world's shards (shard s on
 * thread s mod threads): hour by hour it plays them, numbers their events (an id says
 * where an event is, so no thread needs another's), seals and scans them, and sends the
 * hour's envelopes, reports, blocks and scan result. This thread merges the threads'
 * parts of each hour in id order, one batch per hour, for the ordered stages. Since a
 * shard depends on nothing but the population and its own past, the events are the
 * same for any number of threads.
 *
 * Each thread is kept a few hours ahead of the hour being applied, so it has work while
 * this thread applies. At the end every thread hands over the ledger of its shards, and
 * they are merged.
 */
import type { Block, Closing, Envelope, Scenario, ScanResult, UserReport } from '@blindspot/core';
import { decodeEnvelopes } from '@blindspot/core';
import { encryptedSurfaces } from '@blindspot/core/scenario';
import {
  buildPopulation,
  type Ledger,
  type LedgerPart,
  mergeLedgers,
  SHARDS,
  type SharedCounters,
  type SharedPopulation,
  sharedCounters,
  sharePopulation,
} from '@blindspot/core/world';
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from './threads';

export interface WorldWorkerData {
  scenario: Scenario;
  /** The population, in shared memory. */
  population: SharedPopulation;
  /** The clients' nonce counters, in shared memory (each written only by its sender's shard). */
  counters: SharedCounters;
  clientSecret: Uint8Array;
  platformKey: Uint8Array;
  /** The shards this thread plays, ascending. */
  shards: number[];
  run: string;
}

/** Play an hour (closing the accounts given first: see Population.ban), or hand over the ledger. */
export type WorldRequest = { type: 'step'; hour: number; closings?: Closing[] } | { type: 'close' };

export type WorldReply =
  | { type: 'hour'; hour: number; envelopes: Uint8Array; reports: UserReport[]; blocks: Block[]; scan: ScanResult }
  | { type: 'ledger'; part: LedgerPart }
  | { type: 'error'; error: string };

/** One hour of the stream, every shard's events in id order, scanned. */
export interface WorldHour {
  hour: number;
  /** The last hour of the run. */
  final: boolean;
  envelopes: Envelope[];
  reports: UserReport[];
  blocks: Block[];
  scan: ScanResult;
}

/** A thread's replies, each taken by what it is (its type and hour), in whatever order they came. */
class Inbox {
  private readonly replies = new Map<string, WorldReply>();
  private readonly waiting = new Map<string, { resolve: (r: WorldReply) => void; reject: (e: Error) => void }>();
  private broken: Error | undefined;

  put(r: WorldReply): void {
    if (r.type === 'error') {
      this.fail(new Error(`a world thread failed: ${r.error}`));
      return;
    }
    const key = keyOf(r.type, 'hour' in r ? r.hour : -1);
    const w = this.waiting.get(key);
    if (w) {
      this.waiting.delete(key);
      w.resolve(r);
    } else this.replies.set(key, r);
  }

  fail(err: Error): void {
    this.broken ??= err;
    for (const w of this.waiting.values()) w.reject(this.broken);
    this.waiting.clear();
  }

  async take<T extends Exclude<WorldReply['type'], 'error'>>(type: T, hour = -1): Promise<Extract<WorldReply, { type: T }>> {
    const key = keyOf(type, hour);
    const ready = this.replies.get(key);
    if (ready) {
      this.replies.delete(key);
      return ready as Extract<WorldReply, { type: T }>;
    }
    return (await new Promise<WorldReply>((resolve, reject) => {
      if (this.broken) reject(this.broken);
      else this.waiting.set(key, { resolve, reject });
    })) as Extract<WorldReply, { type: T }>;
  }
}

const keyOf = (type: string, hour: number) => `${type}:${hour}`;

/** Hours a thread is asked to play beyond the one being applied: its work queued while this thread applies. */
const AHEAD = 3;

export class WorldPool {
  private readonly threads: Worker[] = [];
  private readonly inboxes: Inbox[] = [];
  /** Each thread's shards, ascending. */
  private readonly shardsOf: number[][];

  private readonly data: Omit<WorldWorkerData, 'shards'>;

  constructor(threads: number, run: Omit<WorldWorkerData, 'shards' | 'population' | 'counters'>) {
    // The population is built once, here, and shared: the threads read it, none copies it.
    const built = buildPopulation(run.scenario);
    const counters = sharedCounters(built, encryptedSurfaces(run.scenario));
    const data = { ...run, population: sharePopulation(built), counters };
    this.data = data;
    const n = Math.max(1, Math.min(SHARDS, Math.floor(threads)));
    this.shardsOf = Array.from({ length: n }, (_, w) => Array.from({ length: SHARDS }, (_, s) => s).filter((s) => s % n === w));
    for (let w = 0; w < n; w++) {
      const inbox = new Inbox();
      const thread = startTsWorker(new URL('./world-worker.ts', import.meta.url), { ...data, shards: this.shardsOf[w] as number[] } satisfies WorldWorkerData);
      thread.on('message', (r: WorldReply) => inbox.put(r));
      thread.on('error', (err) => inbox.fail(new Error(`a world thread failed: ${err.message}`)));
      thread.on('exit', (code) => inbox.fail(new Error(`a world thread stopped (exit code ${code})`)));
      this.threads.push(thread);
      this.inboxes.push(inbox);
    }
  }

  private send(w: number, request: WorldRequest): void {
    (this.threads[w] as Worker).postMessage(request);
  }

  /**
   * Plays the whole run, handing each hour to `apply` in order; the ledger once every
   * hour is applied. `closings` (enforcement): asked, when day D's first hour is sent
   * to be played, for the closings of the days before D - 1 (every hour before D - 1 is
   * applied by then, since a thread is at most AHEAD hours ahead), which take effect
   * from day D on.
   */
  async play(apply: (hour: WorldHour) => Promise<void> | void, closings?: (day: number) => Closing[]): Promise<Ledger> {
    const hours = this.data.scenario.durationDays * 24;
    const n = this.threads.length;
    const step = (hour: number) => {
      const c = closings && hour >= 48 && hour % 24 === 0 ? closings(hour / 24 - 1) : [];
      for (let w = 0; w < n; w++) this.send(w, c.length > 0 ? { type: 'step', hour, closings: c } : { type: 'step', hour });
    };
    for (let hour = 0; hour < Math.min(AHEAD, hours); hour++) step(hour);
    for (let hour = 0; hour < hours; hour++) {
      const parts = await Promise.all(this.inboxes.map((inbox) => inbox.take('hour', hour)));
      if (hour + AHEAD < hours) step(hour + AHEAD);
      await apply(merged(parts, hour, hour === hours - 1));
    }
    for (let w = 0; w < n; w++) this.send(w, { type: 'close' });
    const ledgers = await Promise.all(this.inboxes.map((inbox) => inbox.take('ledger')));
    return mergeLedgers(ledgers.map((l) => l.part));
  }

  async close(): Promise<void> {
    for (const inbox of this.inboxes) inbox.fail(new Error('the world pool is closed'));
    await Promise.all(this.threads.map((w) => w.terminate()));
  }
}

/** The threads' parts of one hour as one batch: events in id order, scan results summed. */
function merged(parts: readonly Extract<WorldReply, { type: 'hour' }>[], hour: number, final: boolean): WorldHour {
  const envelopes: Envelope[] = [];
  const reports: UserReport[] = [];
  const blocks: Block[] = [];
  const first = parts[0] as (typeof parts)[number];
  const scan: ScanResult = { ...first.scan, seq: hour, final, detections: [], vouchers: [], counts: { ...first.scan.counts } };
  for (const key of Object.keys(scan.counts) as (keyof ScanResult['counts'])[]) scan.counts[key] = 0;
  for (const p of parts) {
    for (const e of decodeEnvelopes(p.envelopes)) envelopes.push(e);
    for (const r of p.reports) reports.push(r);
    for (const b of p.blocks) blocks.push(b);
    for (const d of p.scan.detections) scan.detections.push(d);
    for (const v of p.scan.vouchers) scan.vouchers.push(v);
    for (const key of Object.keys(scan.counts) as (keyof ScanResult['counts'])[]) scan.counts[key] += p.scan.counts[key];
  }
  // Each part is in id order, and so is the merge, whatever the number of threads.
  envelopes.sort((a, b) => a.id - b.id);
  reports.sort((a, b) => a.id - b.id);
  blocks.sort((a, b) => a.id - b.id);
  scan.detections.sort((a, b) => a.event - b.event || (a.route < b.route ? -1 : a.route > b.route ? 1 : 0));
  scan.vouchers.sort((a, b) => a.event - b.event);
  return { hour, final, envelopes, reports, blocks, scan };
}
