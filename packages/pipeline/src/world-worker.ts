/**
 * A world thread for the WorldPool: plays some of the world's shards, and seals and
 * scans what they send. It reads the population and the nonce counters from shared
 * memory (built once, by the pool), and needs nothing of the other threads: an event's
 * id says where it is (hour, shard, place), so each numbers its own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { encodeEnvelopes, HOUR, scanBatch, scannerContext, type Block, type Message, type UserReport } from '@blindspot/core';
import { addEvent, LedgerBook, populationFrom, Relay, Sealer, Sequencer, Shard, shardOf, type Unsealed, WorldShard, worldCommon } from '@blindspot/core/world';
import type { WorldReply, WorldRequest, WorldWorkerData } from './world-pool';

const port = parentPort;
if (!port) throw new Error('world-worker.ts runs only as a worker thread');
const data = workerData as WorldWorkerData;
const { scenario } = data;
const population = populationFrom(data.population);
const common = worldCommon(scenario, population, data.clientSecret, data.counters);
const franking = scenario.detection.userReports.franking;
const shards = data.shards.map((i) => new WorldShard(common, new Shard(i, population.users)));
const owned = new Set(data.shards);
const book = new LedgerBook(population, (a) => common.platforms.onRun(a));
const sequencer = new Sequencer(book, new Relay(common.clients, data.platformKey, franking));
const sealer = new Sealer(data.clientSecret, franking);
const scanner = scannerContext(scenario);

function reply(r: WorldReply, transfer: ArrayBuffer[] = []): void {
  (port as NonNullable<typeof port>).postMessage(r, transfer);
}

/** Plays, numbers, seals and scans the thread's shards' hour `hour` (hours in order). */
function step(hour: number): void {
  const h = { index: hour, start: hour * HOUR, day: Math.floor(hour / 24) };
  const events: { messages: Unsealed[]; reports: UserReport[]; blocks: Block[] } = { messages: [], reports: [], blocks: [] };
  for (const shard of shards) {
    sequencer.begin(hour, shard.shard.index);
    for (const event of shard.step(h)) addEvent(events, sequencer.number(event));
  }
  const { reports, blocks } = events;
  const messages: Message[] = sealer.sealAll(events.messages);
  const scan = scanBatch(scanner, { run: data.run, seq: hour, final: false, messages });
  const envelopes = encodeEnvelopes(messages.map((m) => m.envelope));
  reply({ type: 'hour', hour, envelopes, reports, blocks, scan }, [envelopes.buffer as ArrayBuffer]);
}

port.on('message', (request: WorldRequest) => {
  try {
    if (request.type === 'step') {
      for (const c of request.closings ?? []) population.ban(c.account, c.t);
      step(request.hour);
    } else {
      book.close(
        shards.map((s) => s.protectionCounts),
        (a) => owned.has(shardOf(a)),
      );
      reply({ type: 'ledger', part: { ledger: book.ledger, firstAbuseIds: book.firstAbuseIds } });
    }
  } catch (err) {
    reply({ type: 'error', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
