/**
 * The generator: plays the platform's users and their clients. The world is split into
 * shards (see core/shards.ts); each shard walks simulated time hour by hour and asks each
 * actor (ordinary users, profile photos, each offender archetype, each innocent
 * look-alike, viral forwards, blockers, forgers) what its accounts do in the hour, in a fixed order;
 * then delivers the hour's messages in time order, merged with the reports and blocks
 * that fall due, provoking the recipients' reactions and attaching client-side-scanning
 * vouchers where enabled; the protections for minors (protections.ts) refuse some
 * messages there, before delivery, so those are never sent. The sequencer takes the hour's events shard by shard, numbers
 * them and keeps the ledger; the stream is cut into batches. The delivery relay
 * countersigns franking commitments with the platform key. Ground truth goes to the
 * ledger only.
 *
 * Every event (message, report, block) takes an id that says where it is (hour, shard,
 * place in the shard-hour: see eventId), so ids order the stream and a batch boundary
 * can fall anywhere.
 *
 * Deterministic: the same scenario, seed and client secret yield the same batches. Each
 * shard draws from streams of its own, and every draw's place in them follows from the
 * actors' order and the shard's stream order, so neither may change without changing
 * results; the number of shards is fixed, so results do not depend on where or in how
 * many threads the shards are played.
 */
import { type HashBank, type PlatformBank, platformBank, popularImages } from '../hash';
import { Random } from '../random';
import type { Scenario } from '../scenario';
import type { Batch } from '../types';
import type { Closing } from '../reporter';
import { HOUR } from '../types';
import type { Actor, Emit, Hour, Outgoing, World } from './actor';
import { blockers } from './actors/blockers';
import { forgers } from './actors/forgers';
import { groomers } from './actors/groomers';
import { mentors } from './actors/mentors';
import { ordinaryUsers } from './actors/ordinary';
import { producers } from './actors/producers';
import { profilePhotos } from './actors/profile-photos';
import { Recipients } from './actors/recipients';
import { sharers } from './actors/sharers';
import { viralSharers } from './actors/viral';
import { Clients, Sealer, type Unsealed } from './clients';
import { ContentDraws } from './content-draws';
import { addEvent, type ShardEvent, ShardDelivery, Sequencer, type StreamEvent } from './delivery';
import { Envelopes } from './envelopes';
import { type Ledger, LedgerBook, type LedgerPart } from './ledger';
import { Picks } from './picks';
import { type ProtectionCounts, Protections } from './protections';
import { buildPopulation, type Population } from './population';
import type { SharedCounters } from './nonces';
import { Relay } from './relay';
import { Platforms } from './platforms';
import { type Scheduled, Schedule } from './schedule';
import { type BatchLayout, batchCount, groupShards, seqOf } from '../layout';
import { SHARDS, Shard, shardOf } from '../shards';
import { Vouchers } from './vouchers';

export interface GenerateOptions {
  run: string;
  /** Events (messages + reports + blocks) per batch; results do not depend on it. */
  batchSize: number;
  /** The platform's franking key (the delivery relay countersigns with it). */
  platformKey: Uint8Array;
  /** The clients' secret: conversation keys, franking keys and scanning secrets derive from it. */
  clientSecret: Uint8Array;
  /**
   * One generation group of a run split over processes (see layout.ts): the batches then
   * hold this group's shards only, numbered in the run's layout, and the ledger is the
   * group's part. Without it, the whole world, in batches of batchSize.
   */
  group?: { layout: BatchLayout; index: number };
  /**
   * Enforcement: the accounts the platform closes, asked for at the start of each day
   * from day 1 on, before any of its hours is played (see closeAccounts). Without a group
   * the batch is cut there, so that by then the caller has every event before the day.
   */
  closings?: (day: number) => readonly Closing[];
}

/** A batch whose messages are not yet sealed. */
export type UnsealedBatch = Omit<Batch, 'messages'> & { messages: Unsealed[] };

/** The actors, in the order they are asked each hour (the order of their draws). */
const ACTORS: readonly ((world: World) => Actor)[] = [ordinaryUsers, profilePhotos, sharers, producers, groomers, mentors, viralSharers, blockers, forgers];

/** What every shard of one world shares: read-only facts, and the clients (whose state is per sender, so per shard). */
export interface Common {
  scenario: Scenario;
  population: Population;
  bank: PlatformBank;
  popular: HashBank;
  clients: Clients;
  vouchers: Vouchers;
  envelopes: Envelopes;
  /** Which platform each event is on, and the one the run emits (platforms.ts). */
  platforms: Platforms;
}

/** One shard of the world: its actors, its streams, its schedule of reports and blocks, its delivery. */
export class WorldShard {
  private readonly actors: readonly Actor[];
  private readonly later = new Schedule();
  private readonly delivery: ShardDelivery;
  /** The shard's protections (scenario `protections`): what they refuse, and the blocks they count. */
  private readonly protections: Protections;
  private readonly platforms: Platforms;

  constructor(
    common: Common,
    readonly shard: Shard,
  ) {
    const { scenario, population } = common;
    const rng = Random.derive(scenario.seed, `traffic:${shard.index}`);
    const picks = new Picks(scenario, population, rng, shard);
    const content = new ContentDraws(scenario, rng, common.popular);
    const world: World = { scenario, population, bank: common.bank, shard, rng, picks, content, envelopes: common.envelopes };
    this.actors = ACTORS.map((actor) => actor(world));
    this.platforms = common.platforms;
    this.protections = new Protections(scenario, population);
    const recipients = new Recipients(scenario, population, picks, this.later, shard.index, this.protections);
    this.delivery = new ShardDelivery(scenario, population, common.clients, common.vouchers, content, recipients);
  }

  /** What the shard's protections did so far (the ledger sums every shard's at the end). */
  get protectionCounts(): ProtectionCounts {
    return this.protections.totals;
  }

  /** The shard's events of `hour` (hours must come in order), in its stream order. */
  step(hour: Hour): ShardEvent[] {
    const messages: Outgoing[] = [];
    const emit: Emit = { messages, later: this.later };
    for (const actor of this.actors) actor.step(hour, emit);

    // Messages in time order (stable: ties keep draw order), merged with the reports and
    // blocks due this hour, including those the hour's own messages provoke: at equal
    // times messages first, then reports, then blocks. The protections see each block as
    // it enters the stream, and refuse messages here, before delivery: a refused message
    // is never sent.
    messages.sort((a, b) => a.envelope.t - b.envelope.t);
    const events: ShardEvent[] = [];
    const protections = this.protections;
    // In a world of several platforms every shard plays all of them, with the same draws,
    // and keeps only the events of the run's platform (platforms.ts); the protections,
    // which are the world's, see every event, and count only the kept ones.
    const platforms = this.platforms;
    const dueBefore = (t: number) => {
      for (let s = this.later.takeBefore(t); s; s = this.later.takeBefore(t)) {
        const kept = platforms.count === 1 || scheduledEmitted(platforms, s);
        protections.counting(kept);
        if (s.type === 'block') protections.block(s.blocker, s.blocked);
        if (kept) events.push({ type: 'scheduled', scheduled: s });
      }
    };
    for (const message of messages) {
      dueBefore(message.envelope.t);
      const e = message.envelope;
      const kept = platforms.emits(e.sender, e.recipient, e.surface);
      protections.counting(kept);
      if (protections.filters && !protections.admits(e, message.abusive !== null)) this.delivery.refuse(message);
      else if (kept) events.push(this.delivery.deliver(message));
      else this.delivery.pass(message);
    }
    protections.counting(true);
    dueBefore(hour.start + HOUR);
    return events;
  }
}

/** The shared part of a world, for the scenario's population (`counters`: the nonce counters in shared memory, for threads that share them). */
export function worldCommon(scenario: Scenario, population: Population, clientSecret: Uint8Array, counters?: SharedCounters): Common {
  const hb = scenario.detection.hashBank;
  const popular = popularImages(scenario.seed, scenario.traffic.popularImages);
  const bank = platformBank(scenario.seed, hb.size, hb.wronglyListedShare, popular);
  const clients = new Clients(clientSecret, population, counters);
  const platforms = new Platforms(scenario, population);
  return {
    scenario,
    population,
    bank,
    popular,
    clients,
    vouchers: new Vouchers(scenario, bank, clients),
    envelopes: new Envelopes(scenario, population, platforms),
    platforms,
  };
}

/** Whether a report or block is on the run's platform: a report on its message's, a block on that of a DM from the blocked to the blocker. */
function scheduledEmitted(platforms: Platforms, s: Scheduled): boolean {
  if (s.type === 'report') return platforms.emits(s.envelope.sender, s.envelope.recipient, s.envelope.surface);
  if (s.type === 'forged') return platforms.emits(s.report.reported, s.report.recipient, s.report.surface);
  return platforms.emits(s.blocked, s.blocker, 'dm');
}

export class WorldGenerator {
  readonly population: Population;
  readonly bank: PlatformBank;
  readonly popular: HashBank;
  readonly ledger: Ledger;
  private readonly book: LedgerBook;
  private readonly clients: Clients;
  private readonly shards: readonly WorldShard[];
  private readonly sequencer: Sequencer;
  /** The hour the shards are asked about, updated in place. */
  private readonly hour: Hour = { index: 0, start: 0, day: 0 };

  constructor(
    private readonly scenario: Scenario,
    private readonly options: GenerateOptions,
  ) {
    if (!(options.batchSize >= 1)) throw new RangeError('batchSize must be at least 1');
    const population = buildPopulation(scenario);
    this.population = population;
    const common = worldCommon(scenario, population, options.clientSecret);
    this.popular = common.popular;
    this.bank = common.bank;
    this.clients = common.clients;
    this.book = new LedgerBook(population, (a) => common.platforms.onRun(a));
    this.ledger = this.book.ledger;
    const [lo, hi] = options.group ? groupShards(options.group.index, options.group.layout.groups) : [0, SHARDS];
    this.shards = Array.from({ length: hi - lo }, (_, i) => new WorldShard(common, new Shard(lo + i, population.users)));
    const relay = new Relay(this.clients, options.platformKey, scenario.detection.userReports.franking);
    this.sequencer = new Sequencer(this.book, relay);
  }

  /**
   * Closes accounts (enforcement): each at its time, which must not be before the next
   * hour to be played (see Population.ban). Returns how many it closed (some may have
   * closed already).
   */
  closeAccounts(closings: readonly Closing[]): number {
    let n = 0;
    for (const c of closings) if (this.population.ban(c.account, c.t)) n++;
    return n;
  }

  /** Number of conversation keys the clients hold (for tests and diagnostics). */
  get keyCount(): number {
    return this.clients.keyCount;
  }

  /**
   * Yields the run's batches in simulated-time order, every message sealed (franked and,
   * where the surface is end-to-end encrypted, encrypted). The last one has
   * `final: true`; by the time it is yielded the ledger is complete.
   */
  *batches(): Generator<Batch> {
    const sealer = this.sealer();
    for (const batch of this.unsealedBatches()) yield { ...batch, messages: sealer.sealAll(batch.messages) };
  }

  /** A Sealer for this run's messages: the same keys, so the same bytes, in whatever thread it runs. */
  sealer(): Sealer {
    return new Sealer(this.options.clientSecret, this.scenario.detection.userReports.franking);
  }

  /**
   * The batches of `batches()` before sealing: the world's whole sequential work (the
   * draws, ids, nonces, vouchers, ledger), leaving each message's franking and
   * encryption to a Sealer, which may run on other threads.
   */
  *unsealedBatches(): Generator<UnsealedBatch> {
    if (this.options.group) {
      yield* this.groupBatches(this.options.group.layout, this.options.group.index);
      return;
    }
    const hours = this.scenario.durationDays * 24;
    const run = this.options.run;
    let seq = 0;
    let batch: UnsealedBatch = { run, seq, final: false, messages: [], reports: [], blocks: [] };
    let size = 0;
    for (let hour = 0; hour < hours; hour++) {
      if (this.options.closings && hour > 0 && hour % 24 === 0) {
        if (size > 0) {
          yield batch;
          batch = { run, seq: ++seq, final: false, messages: [], reports: [], blocks: [] };
          size = 0;
        }
        this.closeAccounts(this.options.closings(hour / 24));
      }
      for (const event of this.generateHour(hour)) {
        addEvent(batch, event);
        if (++size >= this.options.batchSize) {
          yield batch;
          batch = { run, seq: ++seq, final: false, messages: [], reports: [], blocks: [] };
          size = 0;
        }
      }
    }
    this.book.close(this.shards.map((s) => s.protectionCounts));
    batch.final = true;
    yield batch;
  }

  /**
   * A generation group's batches: each hour's events of the group's shards cut into the
   * layout's parts, numbered by seqOf; the run's very last batch is final. The ledger is
   * the group's part once the last is yielded (ledgerPart).
   */
  private *groupBatches(layout: BatchLayout, group: number): Generator<UnsealedBatch> {
    const hours = this.scenario.durationDays * 24;
    const run = this.options.run;
    const last = batchCount(layout, hours) - 1;
    for (let hour = 0; hour < hours; hour++) {
      if (this.options.closings && hour > 0 && hour % 24 === 0) this.closeAccounts(this.options.closings(hour / 24));
      const events = this.generateHour(hour);
      if (hour === hours - 1) this.closeGroup();
      for (let part = 0; part < layout.parts; part++) {
        const seq = seqOf(layout, hour, group, part);
        const batch: UnsealedBatch = { run, seq, final: seq === last, messages: [], reports: [], blocks: [] };
        const end = Math.floor(((part + 1) * events.length) / layout.parts);
        for (let i = Math.floor((part * events.length) / layout.parts); i < end; i++) {
          addEvent(batch, events[i] as StreamEvent);
        }
        yield batch;
      }
    }
    if (hours === 0) this.closeGroup();
  }

  private closeGroup(): void {
    const owned = new Set(this.shards.map((s) => s.shard.index));
    this.book.close(
      this.shards.map((s) => s.protectionCounts),
      (a) => owned.has(shardOf(a)),
    );
  }

  /** What this generator's ledger holds, to merge with the other groups' (mergeLedgers): complete once the last batch is yielded. */
  ledgerPart(): LedgerPart {
    return { ledger: this.book.ledger, firstAbuseIds: this.book.firstAbuseIds };
  }

  /** One hour of the stream: every shard's events, shard by shard, numbered. */
  private generateHour(index: number): StreamEvent[] {
    const hour = this.hour;
    hour.index = index;
    hour.start = index * HOUR;
    hour.day = Math.floor(index / 24);
    const events: StreamEvent[] = [];
    for (const shard of this.shards) {
      this.sequencer.begin(index, shard.shard.index);
      for (const event of shard.step(hour)) events.push(this.sequencer.number(event));
    }
    return events;
  }
}
