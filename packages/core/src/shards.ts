/**
 * The world's shards: the accounts split into SHARDS fixed parts, account a in shard
 * a mod SHARDS. Each shard plays its own accounts hour after hour, drawing from streams
 * of its own derived from (seed, shard), and owns every event about its accounts:
 *
 *   - what they send (messages, in time order);
 *   - the reports and blocks their messages provoke (a recipient reports or blocks the
 *     sender: drawn in the sender's shard, from that shard's reaction stream);
 *   - the blocks and forged reports aimed at them (drawn in the shard of the account
 *     blocked or reported, whoever does it).
 *
 * So a shard's hour depends only on the population (read-only) and the shard's own
 * earlier hours, never on another shard: shards can be played on any number of threads,
 * processes or machines and give the same events. The stream is hour by hour, and within
 * an hour shard by shard, each shard's events in time order: every account's events are
 * in time order, all in one shard, and a detector keyed by account sees them exactly as
 * it would in one global time order.
 *
 * An event's id says where it is: (hour, shard, place in the shard-hour), see eventId.
 * Ids increase in stream order, and a shard numbers its own events without knowing how
 * many the others have: no thread, process or machine waits for another to number.
 *
 * The number of shards is fixed, not a setting: it is part of what a (scenario, seed)
 * means, and it bounds how many threads or generator processes can share one run.
 */

/** Shards of every world. */
export const SHARDS = 64;

/** Events a shard-hour may hold: an event's place in its shard-hour takes the low 30 bits of its id. */
export const SHARD_HOUR_EVENTS = 2 ** 30;

/**
 * The id of the `index`-th event of `shard` in `hour`: (hour · SHARDS + shard) · 2^30 +
 * index. The longest run (LIMITS.days, 87,600 hours) stays below 2^53, so ids are exact
 * numbers; they increase in stream order, with gaps between shard-hours.
 */
export function eventId(hour: number, shard: number, index: number): number {
  if (!(index < SHARD_HOUR_EVENTS)) throw new RangeError(`shard ${shard} has more than 2^30 events in hour ${hour}`);
  return (hour * SHARDS + shard) * SHARD_HOUR_EVENTS + index;
}

/** The shard-hour an event id is in, as hour · SHARDS + shard. */
export function shardHourOf(id: number): number {
  return Math.floor(id / SHARD_HOUR_EVENTS);
}

/** The shard that owns `account`. */
export function shardOf(account: number): number {
  return account % SHARDS;
}

/** One shard's accounts: index, index + SHARDS, index + 2·SHARDS, ... below `users`. */
export class Shard {
  /** Accounts in the shard. */
  readonly size: number;

  constructor(
    readonly index: number,
    /** Accounts in the whole population. */
    readonly users: number,
  ) {
    if (!(Number.isInteger(index) && index >= 0 && index < SHARDS)) throw new RangeError(`shard ${index} is not in [0, ${SHARDS})`);
    this.size = index < users ? Math.floor((users - 1 - index) / SHARDS) + 1 : 0;
  }

  /** The shard's k-th account, k in [0, size). */
  account(k: number): number {
    return this.index + k * SHARDS;
  }

  /** Whether the shard owns `account`. */
  owns(account: number): boolean {
    return account % SHARDS === this.index;
  }

  /** The accounts of `list` this shard owns, in list order. */
  mine(list: readonly number[]): number[] {
    return list.filter((a) => this.owns(a));
  }

  /** The shard's share of a rate over the whole population. */
  share(rate: number): number {
    return this.users > 0 ? (rate * this.size) / this.users : 0;
  }
}
