/**
 * The generator: plays the platform's users and their clients. It walks simulated time
 * hour by hour and asks each actor (ordinary users, profile photos, each offender
 * archetype, each innocent look-alike, blockers, forgers) what it does in the hour, in a
 * fixed order; then delivers the hour's messages in time order, merged with the reports
 * and blocks that fall due, and cuts the stream into batches. Delivery gives every event
 * its id, attaches client-side-scanning vouchers where enabled, and provokes the
 * recipients' reactions; the delivery relay countersigns franking commitments with the
 * platform key. Ground truth goes to the ledger only.
 *
 * Every event (message, report, block) takes the next id from one counter in stream
 * order, so ids order the stream and a batch boundary can fall anywhere.
 *
 * Deterministic: the same scenario, seed and client secret yield the same batches. Every
 * draw's place in its stream follows from the actors' order and the stream order, so
 * neither may change without changing results.
 */
import { type HashBank, type PlatformBank, platformBank, popularImages } from '../hash';
import { Random } from '../random';
import type { Scenario } from '../scenario';
import type { Batch } from '../types';
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
import { Clients, Sealer, type Unsealed } from './clients';
import { ContentDraws } from './content-draws';
import { Delivery, type StreamEvent } from './delivery';
import { Envelopes } from './envelopes';
import { type Ledger, LedgerBook } from './ledger';
import { Picks } from './picks';
import { buildPopulation, type Population } from './population';
import { Relay } from './relay';
import { Schedule } from './schedule';
import { Vouchers } from './vouchers';

export interface GenerateOptions {
  run: string;
  /** Events (messages + reports + blocks) per batch; results do not depend on it. */
  batchSize: number;
  /** The platform's franking key (the delivery relay countersigns with it). */
  platformKey: Uint8Array;
  /** The clients' secret: conversation keys, franking keys and scanning secrets derive from it. */
  clientSecret: Uint8Array;
}

/** A batch whose messages are not yet sealed. */
export type UnsealedBatch = Omit<Batch, 'messages'> & { messages: Unsealed[] };

/** The actors, in the order they are asked each hour (the order of their draws). */
const ACTORS: readonly ((world: World) => Actor)[] = [ordinaryUsers, profilePhotos, sharers, producers, groomers, mentors, blockers, forgers];

export class WorldGenerator {
  readonly population: Population;
  readonly bank: PlatformBank;
  readonly popular: HashBank;
  readonly ledger: Ledger;
  private readonly book: LedgerBook;
  private readonly clients: Clients;
  private readonly actors: readonly Actor[];
  private readonly later = new Schedule();
  private readonly delivery: Delivery;
  /** The hour the actors are asked about, updated in place. */
  private readonly hour: Hour = { index: 0, start: 0, day: 0, issued: 0 };

  constructor(
    private readonly scenario: Scenario,
    private readonly options: GenerateOptions,
  ) {
    if (!(options.batchSize >= 1)) throw new RangeError('batchSize must be at least 1');
    const population = buildPopulation(scenario);
    this.population = population;
    const hb = scenario.detection.hashBank;
    this.popular = popularImages(scenario.seed, scenario.traffic.popularImages);
    this.bank = platformBank(scenario.seed, hb.size, hb.wronglyListedShare, this.popular);
    const rng = Random.derive(scenario.seed, 'traffic');
    this.clients = new Clients(options.clientSecret, population);
    this.book = new LedgerBook(population);
    this.ledger = this.book.ledger;
    const picks = new Picks(scenario, population, rng);
    const content = new ContentDraws(scenario, rng, this.popular);
    const world: World = { scenario, population, bank: this.bank, rng, picks, content, envelopes: new Envelopes(scenario, population) };
    this.actors = ACTORS.map((actor) => actor(world));
    const relay = new Relay(this.clients, options.platformKey, scenario.detection.userReports.franking);
    const recipients = new Recipients(scenario, population, picks, relay, this.later);
    const vouchers = new Vouchers(scenario, this.bank, this.clients);
    this.delivery = new Delivery(scenario, population, this.clients, vouchers, content, this.book, recipients);
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
    const hours = this.scenario.durationDays * 24;
    const run = this.options.run;
    let seq = 0;
    let batch: UnsealedBatch = { run, seq, final: false, messages: [], reports: [], blocks: [] };
    let size = 0;
    for (let hour = 0; hour < hours; hour++) {
      for (const event of this.generateHour(hour)) {
        if (event.type === 'message') batch.messages.push(event.message);
        else if (event.type === 'report') batch.reports.push(event.report);
        else batch.blocks.push(event.block);
        if (++size >= this.options.batchSize) {
          yield batch;
          batch = { run, seq: ++seq, final: false, messages: [], reports: [], blocks: [] };
          size = 0;
        }
      }
    }
    this.book.close();
    batch.final = true;
    yield batch;
  }

  /** One hour of the stream: what every actor does, in stream order. */
  private generateHour(index: number): StreamEvent[] {
    const hour = this.hour;
    hour.index = index;
    hour.start = index * HOUR;
    hour.day = Math.floor(index / 24);
    hour.issued = this.delivery.issued;
    const messages: Outgoing[] = [];
    const emit: Emit = { messages, later: this.later };
    for (const actor of this.actors) actor.step(hour, emit);

    // Messages in time order (stable: ties keep draw order), merged with the reports and
    // blocks due this hour, including those the hour's own messages provoke: at equal
    // times messages first, then reports, then blocks. Ids follow the merged order.
    messages.sort((a, b) => a.envelope.t - b.envelope.t);
    const events: StreamEvent[] = [];
    const dueBefore = (t: number) => {
      for (let s = this.later.takeBefore(t); s; s = this.later.takeBefore(t)) events.push(this.delivery.enter(s));
    };
    for (const message of messages) {
      dueBefore(message.envelope.t);
      events.push({ type: 'message', message: this.delivery.deliver(message) });
    }
    dueBefore(hour.start + HOUR);
    return events;
  }
}
