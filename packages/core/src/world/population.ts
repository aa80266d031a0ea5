/**
 * The synthetic platform's accounts and social graph. Accounts 0 .. adults-1 are
 * adults, adults .. adults+minors-1 are minors; offenders are drawn from the adults.
 */
import type { Scenario } from '../scenario';
import { Random } from '../random';

export const enum Kind {
  Ordinary = 0,
  Sharer = 1,
  Groomer = 2,
}

export interface Population {
  readonly users: number;
  readonly adults: number;
  readonly minors: number;
  /** Contacts of each account. */
  readonly contacts: Int32Array[];
  /** Offender kind of each account (ground truth: generator only). */
  readonly kind: Uint8Array;
  readonly sharers: number[];
  readonly groomers: number[];
  /** Other sharers each sharer is connected to (their ring). */
  readonly ring: Map<number, number[]>;
  /** Sharers who also post on the public surface. */
  readonly publicPosters: Set<number>;
  isMinor(account: number): boolean;
  connected(a: number, b: number): boolean;
}

const RING_CONTACTS = 5;

export function buildPopulation(scenario: Scenario): Population {
  const rng = Random.derive(scenario.seed, 'population');
  const { adults, minors } = scenario.population;
  const users = adults + minors;
  const edges = new Set<number>();
  const key = (a: number, b: number) => (a < b ? a * users + b : b * users + a);
  const addEdge = (a: number, b: number): boolean => {
    if (a === b) return false;
    const k = key(a, b);
    if (edges.has(k)) return false;
    edges.add(k);
    return true;
  };

  // Contacts: each edge starts at a random account and ends in the same age group
  // with probability sameAgeGroupShare.
  const target = Math.round((users * scenario.traffic.contactsPerUser) / 2);
  const pick = (minor: boolean): number =>
    minor ? adults + rng.int(minors) : rng.int(adults);
  let attempts = 0;
  while (edges.size < target && attempts < target * 10) {
    attempts++;
    const a = rng.int(users);
    const aMinor = a >= adults;
    let bMinor = rng.chance(scenario.traffic.sameAgeGroupShare) ? aMinor : !aMinor;
    if (bMinor && minors === 0) bMinor = false;
    addEdge(a, pick(bMinor));
  }

  // Offenders, drawn from the adults.
  const kind = new Uint8Array(users);
  const order = rng.shuffle(Array.from({ length: adults }, (_, i) => i));
  const { sharers: sharerCfg, groomers: groomerCfg } = scenario.population.offenders;
  const sharers = order.slice(0, sharerCfg.count).sort((a, b) => a - b);
  const groomers = order.slice(sharerCfg.count, sharerCfg.count + groomerCfg.count).sort((a, b) => a - b);
  for (const s of sharers) kind[s] = Kind.Sharer;
  for (const g of groomers) kind[g] = Kind.Groomer;

  // Sharers know some other sharers: the ring they trade in.
  const ring = new Map<number, number[]>();
  for (const s of sharers) ring.set(s, []);
  if (sharers.length > 1) {
    for (const s of sharers) {
      for (let i = 0; i < RING_CONTACTS; i++) {
        const other = sharers[rng.int(sharers.length)] as number;
        if (addEdge(s, other)) {
          ring.get(s)?.push(other);
          ring.get(other)?.push(s);
        }
      }
    }
  }
  const publicPosters = new Set(sharers.filter(() => rng.chance(sharerCfg.publicPosterShare)));

  const lists: number[][] = Array.from({ length: users }, () => []);
  for (const k of edges) {
    const a = Math.floor(k / users);
    const b = k - a * users;
    lists[a]?.push(b);
    lists[b]?.push(a);
  }
  const contacts = lists.map((l) => Int32Array.from(l.sort((x, y) => x - y)));

  return {
    users,
    adults,
    minors,
    contacts,
    kind,
    sharers,
    groomers,
    ring,
    publicPosters,
    isMinor: (account) => account >= adults,
    connected: (a, b) => edges.has(key(a, b)),
  };
}
