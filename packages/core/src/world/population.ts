/**
 * The synthetic platform's accounts and social graph. Accounts 0 .. adults-1 are
 * adults, adults .. adults+minors-1 are minors. Accounts belong to communities
 * (schools, clubs, neighbourhoods) where most contacts are made. Offenders and
 * innocent look-alikes are drawn from the adults. Every account has a creation time the
 * platform knows; some are created during the run.
 */
import type { Scenario } from '../scenario';
import { Random } from '../random';
import { DAY } from '../types';

export enum Kind {
  Ordinary = 0,
  Sharer = 1,
  Producer = 2,
  Groomer = 3,
  Mentor = 4,
}

export interface Population {
  readonly users: number;
  readonly adults: number;
  readonly minors: number;
  /** Contacts of each account, ascending. */
  readonly contacts: Int32Array[];
  /** Role of each account (ground truth: generator only). */
  readonly kind: Uint8Array;
  /** Creation time of each account, seconds relative to the run start (negative: before it). */
  readonly createdAt: Float64Array;
  readonly sharers: number[];
  readonly producers: number[];
  readonly groomers: number[];
  readonly mentors: number[];
  /** Other image offenders each image offender is connected to (the network they trade in). */
  readonly ring: Map<number, number[]>;
  /** Offenders who also use the unencrypted surfaces. */
  readonly publicActive: Set<number>;
  /** The minors in each mentor's class. */
  readonly classes: Map<number, number[]>;
  isMinor(account: number): boolean;
  connected(a: number, b: number): boolean;
  isOffender(account: number): boolean;
}

const RING_CONTACTS = 5;

export function buildPopulation(scenario: Scenario): Population {
  const rng = Random.derive(scenario.seed, 'population');
  const p = scenario.population;
  const { adults, minors } = p;
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

  // Communities: a random partition into groups of about communitySize.
  const communityCount = Math.max(1, Math.round(users / p.communitySize));
  const order = rng.shuffle(Array.from({ length: users }, (_, i) => i));
  const communityOf = new Int32Array(users);
  const members: number[][] = Array.from({ length: communityCount }, () => []);
  order.forEach((account, i) => {
    const c = i % communityCount;
    communityOf[account] = c;
    members[c]?.push(account);
  });

  // Contacts: mostly inside the community; otherwise in the same age group with
  // probability sameAgeGroupShare.
  const target = Math.round((users * scenario.traffic.contactsPerUser) / 2);
  const pickGroup = (minor: boolean): number => (minor ? adults + rng.int(minors) : rng.int(adults));
  let attempts = 0;
  while (edges.size < target && attempts < target * 10) {
    attempts++;
    const a = rng.int(users);
    if (rng.chance(scenario.traffic.communityShare)) {
      const group = members[communityOf[a] as number] as number[];
      addEdge(a, group[rng.int(group.length)] as number);
      continue;
    }
    const aMinor = a >= adults;
    let bMinor = rng.chance(scenario.traffic.sameAgeGroupShare) ? aMinor : !aMinor;
    if (bMinor && minors === 0) bMinor = false;
    addEdge(a, pickGroup(bMinor));
  }

  // Offenders and look-alikes, drawn from the adults.
  const kind = new Uint8Array(users);
  const adultOrder = rng.shuffle(Array.from({ length: adults }, (_, i) => i));
  let next = 0;
  const take = (n: number, k: Kind) => {
    const picked = adultOrder.slice(next, next + n).sort((a, b) => a - b);
    next += n;
    for (const a of picked) kind[a] = k;
    return picked;
  };
  const o = p.offenders;
  const sharers = take(o.sharers.count, Kind.Sharer);
  const producers = take(o.producers.count, Kind.Producer);
  const groomers = take(o.groomers.count, Kind.Groomer);
  const mentors = take(p.lookalikes.mentors.count, Kind.Mentor);

  // Image offenders know some other image offenders: the network they trade in.
  const imageOffenders = [...sharers, ...producers].sort((a, b) => a - b);
  const ring = new Map<number, number[]>();
  for (const s of imageOffenders) ring.set(s, []);
  if (imageOffenders.length > 1) {
    for (const s of imageOffenders) {
      for (let i = 0; i < RING_CONTACTS; i++) {
        const other = imageOffenders[rng.int(imageOffenders.length)] as number;
        if (addEdge(s, other)) {
          ring.get(s)?.push(other);
          ring.get(other)?.push(s);
        }
      }
    }
  }
  const publicActive = new Set<number>([
    ...sharers.filter(() => rng.chance(o.sharers.publicActivityShare)),
    ...producers.filter(() => rng.chance(o.producers.publicActivityShare)),
  ]);

  // Mentors' classes: minors from anywhere; some are contacts.
  const classes = new Map<number, number[]>();
  const m = p.lookalikes.mentors;
  for (const mentor of mentors) {
    const cls = new Set<number>();
    while (cls.size < Math.min(m.minorsEach, minors)) cls.add(adults + rng.int(minors));
    const list = [...cls].sort((a, b) => a - b);
    for (const minor of list) if (rng.chance(m.connectedShare)) addEdge(mentor, minor);
    classes.set(mentor, list);
  }

  // Account creation: most accounts predate the run; a share of each group is created
  // during it (offenders often start on fresh accounts).
  const createdAt = new Float64Array(users);
  const duration = scenario.durationDays * DAY;
  const newShare = (a: number): number => {
    switch (kind[a]) {
      case Kind.Sharer:
        return o.sharers.newAccountShare;
      case Kind.Producer:
        return o.producers.newAccountShare;
      case Kind.Groomer:
        return o.groomers.newAccountShare;
      case Kind.Mentor:
        return 0;
      default:
        return p.newAccountShare;
    }
  };
  for (let a = 0; a < users; a++) {
    createdAt[a] = rng.chance(newShare(a)) ? Math.floor(rng.next() * duration * 0.8) : -Math.max(1, rng.exponential(p.accountAgeDays)) * DAY;
  }

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
    createdAt,
    sharers,
    producers,
    groomers,
    mentors,
    ring,
    publicActive,
    classes,
    isMinor: (account) => account >= adults,
    connected: (a, b) => edges.has(key(a, b)),
    isOffender: (account) => kind[account] === Kind.Sharer || kind[account] === Kind.Producer || kind[account] === Kind.Groomer,
  };
}
