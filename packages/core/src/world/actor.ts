/**
 * What every actor of the world has in common. An actor is one kind of user (ordinary
 * users, sharers, groomers, ...) within one shard of the world: each simulated hour the
 * shard asks every actor, in a fixed order, what it does in that hour, and the actor
 * answers by emitting messages (delivered later this hour, in time order) and reports or
 * blocks (scheduled for when they happen). An actor plays the shard's accounts only:
 * they send its messages, and they are the ones its reports and blocks are about.
 * Actors draw only from the shard's traffic stream, in the order they are asked, so the
 * order of the actor list is part of a run's definition.
 */
import type { PlatformBank } from '../hash';
import type { Random } from '../random';
import type { Scenario } from '../scenario';
import type { Content, Envelope } from '../types';
import type { AbuseKind } from '../vocabulary';
import type { ContentDraws } from './content-draws';
import type { Envelopes } from './envelopes';
import type { Picks } from './picks';
import type { Population } from './population';
import type { Schedule } from './schedule';
import type { Shard } from '../shards';

/** A message as its sender sends it, before delivery gives it an id. */
export interface Outgoing {
  envelope: Envelope;
  content: Content;
  /** Ground truth: the kind of abuse it carries, or null (the ledger's business only). */
  abusive: AbuseKind | null;
}

/** The hour an actor is asked about (one object, updated every hour). */
export interface Hour {
  /** Hours since the run started. */
  index: number;
  /** Its start, seconds since the run started. */
  start: number;
  /** Its day of the run, from 0. */
  day: number;
}

/** Where an actor's output goes. */
export interface Emit {
  /** Messages sent this hour, in draw order; the generator delivers them in time order (ties keep this order). */
  readonly messages: Outgoing[];
  /** Reports and blocks, each entering the stream at its own time. */
  readonly later: Schedule;
}

export interface Actor {
  /** What the actor does in `hour`: called once per hour, in the generator's fixed order. */
  step(hour: Hour, emit: Emit): void;
}

/** What actors see of the world: the scenario, the accounts, the shard they play and its draws. */
export interface World {
  readonly scenario: Scenario;
  readonly population: Population;
  readonly bank: PlatformBank;
  /** The accounts whose actions (and whose events) this world plays. */
  readonly shard: Shard;
  /** The shard's traffic stream: every actor draws from it, in the order the shard asks them. */
  readonly rng: Random;
  /** Times and accounts, drawn from the traffic stream. */
  readonly picks: Picks;
  /** Images and texts, drawn from the traffic stream. */
  readonly content: ContentDraws;
  /** The facts the platform stamps on each message. */
  readonly envelopes: Envelopes;
}

/**
 * The hour's arrivals at `rate` per hour (a Poisson count), each at a time in the hour
 * and from one of the shard's accounts active then; an arrival that finds no active
 * account is dropped.
 * Draws, in order: the count, then per arrival its time and its account.
 */
export function eachActiveArrival(world: World, hour: Hour, rate: number, arrive: (time: number, sender: number) => void): void {
  const { rng, picks } = world;
  const n = rng.poisson(rate);
  for (let i = 0; i < n; i++) {
    const time = picks.timeIn(hour.start);
    const sender = picks.activeAccount(time);
    if (sender >= 0) arrive(time, sender);
  }
}

/**
 * The shard's share of the accounts open at any time: per-user rates are of open
 * accounts, and the shard's slots include accounts not yet opened or already closed.
 */
export function openInShard(world: World): number {
  const p = world.population;
  return p.users > 0 ? (world.shard.size * p.open) / p.users : 0;
}
