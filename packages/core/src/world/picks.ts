/**
 * Who and when: times within an hour and accounts (the shard's active ones, contacts,
 * strangers, minors), drawn from the shard's traffic stream. Each pick makes a few tries
 * and gives up with -1, so a pick costs a bounded number of draws.
 */
import type { Random } from '../random';
import type { Scenario } from '../scenario';
import type { Population } from './population';
import type { Shard } from '../shards';

export class Picks {
  constructor(
    private readonly scenario: Scenario,
    private readonly population: Population,
    private readonly rng: Random,
    private readonly shard: Shard,
  ) {}

  /** A time within the hour that starts at `start`, in whole milliseconds (exact through JSON). */
  timeIn(start: number): number {
    return start + Math.floor(this.rng.next() * 3_600_000) / 1000;
  }

  /** Whether `account` is open at time t: created by then and not yet closed (no draw). */
  exists(account: number, t: number): boolean {
    return this.population.exists(account, t);
  }

  /** A random account of the shard that exists at time t (a few tries), or -1. */
  activeAccount(t: number): number {
    const size = this.shard.size;
    if (size === 0) return -1;
    for (let i = 0; i < 4; i++) {
      const a = this.shard.account(this.rng.int(size));
      if (this.exists(a, t)) return a;
    }
    return -1;
  }

  /** A random account of the shard, existing or not (one draw), or -1 when the shard has none. */
  shardAccount(): number {
    const size = this.shard.size;
    return size === 0 ? -1 : this.shard.account(this.rng.int(size));
  }

  /** A contact of `sender` whose account exists at time t (a few tries), or -1. */
  contactOf(sender: number, t: number): number {
    const { offsets, items } = this.population.contacts;
    const first = offsets[sender] as number;
    const n = (offsets[sender + 1] as number) - first;
    for (let i = 0; i < 4; i++) {
      const c = n === 0 ? this.anyOther(sender) : (items[first + this.rng.int(n)] as number);
      if (this.exists(c, t)) return c;
    }
    return -1;
  }

  /** Mostly a contact; sometimes someone who is not. The account exists at time t, or -1. */
  ordinaryRecipient(sender: number, t: number): number {
    if (this.population.contacts.size(sender) === 0 || this.rng.chance(this.scenario.traffic.unconnectedShare)) {
      for (let i = 0; i < 8; i++) {
        const other = this.anyOther(sender);
        if (!this.population.connected(sender, other) && this.exists(other, t)) return other;
      }
    }
    return this.contactOf(sender, t);
  }

  /** Any account but `sender`, from `rng` (the traffic stream unless told). */
  anyOther(sender: number, rng: Random = this.rng): number {
    const users = this.population.users;
    const other = rng.int(users - 1);
    return other >= sender ? other + 1 : other;
  }

  /** A minor not connected to `groomer` whose account exists at time t (a few tries), or -1. */
  unconnectedMinor(groomer: number, t: number): number {
    const p = this.population;
    for (let i = 0; i < 16; i++) {
      const minor = p.adults + this.rng.int(p.minors);
      if (!p.connected(groomer, minor) && this.exists(minor, t)) return minor;
    }
    return -1;
  }
}
