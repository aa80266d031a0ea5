/**
 * The synthetic platform's accounts and social graph. Accounts 0 .. adults-1 are
 * adults, adults .. adults+minors-1 are minors. Accounts belong to communities
 * (schools, clubs, neighbourhoods) where most contacts are made. Offenders and
 * innocent look-alikes are drawn from the adults.
 *
 * The population is open: every account has a creation time (which the platform knows)
 * and a closing time. The scenario's adults and minors are the accounts open at any
 * time: accounts close at a steady rate and as many join during the run, each joiner a
 * slot of its own (accountSlots). Offenders arrive, their accounts end, and many come
 * back on new accounts; so a run starts, and stays, in steady state.
 *
 * The platform also closes the accounts it reports (ban): the tables stay as built,
 * shared by every thread, and each Population instance keeps its own closings and the
 * careers they moved, so a thread or process that is told the same closings sees the
 * same accounts.
 *
 * Everything is held in typed arrays, a few per population and none per account: the
 * contacts in compressed rows (one Int32Array of row starts, one of contacts), the
 * offender networks and mentors' classes likewise, the kinds and creation times one
 * entry per account. Ten million accounts with 20 contacts each (100M pairs) take about
 * 2 GB while the graph is built, the table that de-duplicates pairs being half of it,
 * and 0.9 GB after.
 */
import { Random } from '../random';
import type { Scenario } from '../scenario';
import { accountSlots, contactPairs, DORMANT_ACCOUNTS, offenderArchetypes, RING_CONTACTS } from '../scenario/pairs';
import { NumberSet, sortedHas, sortedIndexOf } from '../tables';
import { DAY } from '../types';
import { Rows } from './rows';

export enum Kind {
  Ordinary = 0,
  Sharer = 1,
  Producer = 2,
  Groomer = 3,
  Mentor = 4,
}

export interface Population {
  /** Account slots in all (adults then minors): every account the run may open. */
  readonly users: number;
  /** Adult slots: accounts 0 .. adults-1. */
  readonly adults: number;
  /** Minor slots: accounts adults .. users-1. */
  readonly minors: number;
  /** Accounts open at any time (the scenario's adults plus minors): what per-user rates are of. */
  readonly open: number;
  /** Contacts of each account, ascending: row a holds account a's. */
  readonly contacts: Rows;
  /** Role of each account (ground truth: generator only). */
  readonly kind: Uint8Array;
  /** Creation time of each account, seconds relative to the run start (negative: before it; Infinity: a spare slot, never opened). */
  readonly createdAt: Float64Array;
  /** Closing time of each account, seconds relative to the run start (Infinity: stays open). */
  readonly closedAt: Float64Array;
  readonly sharers: number[];
  readonly producers: number[];
  readonly groomers: number[];
  readonly mentors: number[];
  /** Other image offenders an image offender is connected to (the network they trade in), in the order they met; empty for other accounts. */
  ringOf(account: number): Int32Array;
  /** Whether an offender also uses the unencrypted surfaces. */
  isPublicActive(account: number): boolean;
  /** The minors in a mentor's class, ascending; empty for other accounts. */
  classOf(account: number): Int32Array;
  isMinor(account: number): boolean;
  connected(a: number, b: number): boolean;
  isOffender(account: number): boolean;
  /** Whether `account` is open at time t (after the closings so far: see ban). */
  exists(account: number, t: number): boolean;
  /** When `account` opens and closes, after the closings so far (Infinity: never, or not in the run). */
  created(account: number): number;
  closed(account: number): number;
  /**
   * The platform closes `account` at time t (enforcement: it reported the account). If
   * the account is open then, it closes at t, and an offender's later accounts (the ones
   * their career continues on) move earlier: each opens its drawn delay after the one
   * before closes and stays open its drawn lifetime, as when an account ends of itself.
   * Nothing changes at times before t, so a closing may be applied at any time before it
   * takes effect. Returns whether anything changed.
   */
  ban(account: number, t: number): boolean;
  /**
   * For an offender's account opened when they came back: the account they had before
   * (-1 when it closed before the run); -2 for any other account.
   */
  previousAccount(account: number): number;
}

/** 0, 1, ..., n - 1. */
function identity(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

const EMPTY = new Int32Array(0);

export function buildPopulation(scenario: Scenario): Population {
  const rng = Random.derive(scenario.seed, 'population');
  const p = scenario.population;
  const slots = accountSlots(scenario);
  const { adults, minors, users } = slots;
  // Each contact pair once, as a·users + b with a < b, in a table sized for every pair
  // the population can make.
  const edges = new NumberSet(contactPairs(scenario));
  const addEdge = (a: number, b: number): boolean => a !== b && edges.add(a < b ? a * users + b : b * users + a);

  // Communities: a random partition into groups of about communitySize. The i-th account
  // of a shuffled order joins community i mod communityCount, so community c is
  // order[c], order[c + communityCount], order[c + 2 communityCount], ...
  const communityCount = Math.max(1, Math.round(users / p.communitySize));
  const order = rng.shuffle(identity(users));
  const communityOf = new Int32Array(users);
  for (let i = 0; i < users; i++) communityOf[order[i] as number] = i % communityCount;
  const membersOf = (c: number) => Math.floor((users - 1 - c) / communityCount) + 1;

  // Contacts: mostly inside the community; otherwise in the same age group with
  // probability sameAgeGroupShare.
  const target = Math.round((users * scenario.traffic.contactsPerUser) / 2);
  const pickGroup = (minor: boolean): number => (minor ? adults + rng.int(minors) : rng.int(adults));
  let attempts = 0;
  while (edges.size < target && attempts < target * 10) {
    attempts++;
    const a = rng.int(users);
    if (rng.chance(scenario.traffic.communityShare)) {
      const c = communityOf[a] as number;
      addEdge(a, order[c + rng.int(membersOf(c)) * communityCount] as number);
      continue;
    }
    const aMinor = a >= adults;
    let bMinor = rng.chance(scenario.traffic.sameAgeGroupShare) ? aMinor : !aMinor;
    if (bMinor && minors === 0) bMinor = false;
    addEdge(a, pickGroup(bMinor));
  }

  // Lifetimes. Slots 0 .. p.adults-1 and the first p.minors minor slots hold the
  // accounts open when the run starts: each is as old as an exponential draw and
  // (memoryless) stays open for another. The offenders' reserve follows the open adults;
  // every other slot is a joiner, opening at a uniform time of the run.
  const day = DAY;
  const duration = scenario.durationDays * day;
  const lifetime = p.accountAgeDays;
  const createdAt = new Float64Array(users);
  const closedAt = new Float64Array(users);
  const reserveStart = p.adults;
  const reserveEnd = p.adults + slots.offenderReserve;
  const openAtStart = (a: number) => a < p.adults || (a >= adults && a < adults + p.minors);
  for (let a = 0; a < users; a++) {
    if (openAtStart(a)) {
      createdAt[a] = -Math.max(1, rng.exponential(lifetime)) * day;
      closedAt[a] = rng.exponential(lifetime) * day;
    } else {
      createdAt[a] = Math.floor(rng.next() * duration);
      closedAt[a] = (createdAt[a] as number) + rng.exponential(lifetime) * day;
    }
  }

  // Offenders and look-alikes: the open offenders and the mentors are drawn from the
  // adults open at the start; the offenders' later accounts (returns and newcomers) take
  // reserve slots, opening when they need them.
  const kind = new Uint8Array(users);
  const adultOrder = rng.shuffle(identity(p.adults));
  let next = 0;
  const take = (n: number, k: Kind) => {
    const picked = Array.from(adultOrder.subarray(next, next + Math.min(n, p.adults - next)));
    next += picked.length;
    for (const a of picked) kind[a] = k;
    return picked;
  };
  let reserve = reserveStart;
  const returning: number[] = [];
  const previous: number[] = [];
  /** For each of `returning`: the delay after the account before closed, and its own lifetime, seconds (what a closing re-times it by). */
  const gaps: number[] = [];
  const lives: number[] = [];
  /** A reserve slot opened for an offender of kind k at `start`, or -1 when the reserve is spent. */
  const newAccount = (k: Kind, start: number, lifetimeDays: number): number => {
    if (reserve >= reserveEnd) return -1;
    const a = reserve++;
    kind[a] = k;
    createdAt[a] = Math.floor(start);
    closedAt[a] = (createdAt[a] as number) + rng.exponential(lifetimeDays) * day;
    return a;
  };
  const archetypes = offenderArchetypes(scenario);
  const offenderKinds = [Kind.Sharer, Kind.Producer, Kind.Groomer] as const;
  const lists: number[][] = [];
  archetypes.forEach((o, i) => {
    const k = offenderKinds[i] as Kind;
    const accounts = take(o.count, k);
    for (const a of accounts) {
      createdAt[a] = -Math.max(1, rng.exponential(o.accountLifetimeDays)) * day;
      closedAt[a] = rng.exponential(o.accountLifetimeDays) * day;
    }
    const link = (a: number, prev: number, gap: number, life: number) => {
      accounts.push(a);
      returning.push(a);
      previous.push(prev);
      gaps.push(gap);
      lives.push(life);
    };
    // Accounts past the run's end, for an offender whose account the platform may close
    // early (enforcement): never opened unless a closing brings them forward. Kept
    // whether or not the platform closes accounts, so that the population is the same.
    // `firstGap`: the delay after `from` closes if already drawn, else null.
    const dormant = (from: number, firstGap: number | null) => {
      let prev = from;
      let gap = firstGap;
      for (let i = 0; i < DORMANT_ACCOUNTS; i++) {
        if (gap === null) {
          if (!rng.chance(o.returnShare)) return;
          gap = rng.exponential(o.returnDelayDays) * day;
        }
        if (reserve >= reserveEnd) return;
        const a = reserve++;
        kind[a] = k;
        createdAt[a] = Number.POSITIVE_INFINITY;
        closedAt[a] = Number.POSITIVE_INFINITY;
        link(a, prev, gap, rng.exponential(o.accountLifetimeDays) * day);
        prev = a;
        gap = null;
      }
    };
    // The account an offender's career continues on when `from` closes: back (with
    // probability returnShare) after an exponential delay, if still within the run.
    const follow = (from: number) => {
      let prev = from;
      while ((closedAt[prev] as number) < duration && rng.chance(o.returnShare)) {
        const gap = rng.exponential(o.returnDelayDays) * day;
        const start = (closedAt[prev] as number) + gap;
        if (start >= duration) {
          dormant(prev, gap);
          return;
        }
        const a = newAccount(k, start, o.accountLifetimeDays);
        if (a < 0) return;
        link(a, prev, (createdAt[a] as number) - (closedAt[prev] as number), (closedAt[a] as number) - (createdAt[a] as number));
        prev = a;
      }
      if ((closedAt[prev] as number) >= duration) dormant(prev, null);
    };
    for (const a of [...accounts]) follow(a);
    // Offenders between accounts when the run starts (as many as steady state holds)
    // come back at an exponential delay; newcomers arrive at the rate that keeps the
    // open count steady: count (1 - returnShare) / accountLifetimeDays a day.
    const waiting = Math.round((o.count * o.returnShare * o.returnDelayDays) / o.accountLifetimeDays);
    for (let w = 0; w < waiting; w++) {
      const start = rng.exponential(o.returnDelayDays) * day;
      if (start >= duration) continue;
      const a = newAccount(k, start, o.accountLifetimeDays);
      if (a < 0) break;
      link(a, -1, 0, (closedAt[a] as number) - (createdAt[a] as number));
      follow(a);
    }
    const newcomers = rng.poisson((o.count * (1 - o.returnShare) * scenario.durationDays) / o.accountLifetimeDays);
    for (let n = 0; n < newcomers; n++) {
      const a = newAccount(k, rng.next() * duration, o.accountLifetimeDays);
      if (a < 0) break;
      accounts.push(a);
      follow(a);
    }
    lists.push(accounts.sort((x, y) => x - y));
  });
  const [sharers, producers, groomers] = lists as [number[], number[], number[]];
  // Reserve slots no offender needed are never opened.
  for (let a = reserve; a < reserveEnd; a++) {
    createdAt[a] = Number.POSITIVE_INFINITY;
    closedAt[a] = Number.POSITIVE_INFINITY;
  }
  const mentors = take(p.lookalikes.mentors.count, Kind.Mentor).sort((a, b) => a - b);
  for (const m of mentors) closedAt[m] = Number.POSITIVE_INFINITY;

  // Image offenders know some other image offenders: the network they trade in. The
  // pairs they make, in order, give each one's list in the order they met.
  const o = p.offenders;
  const imageOffenders = Int32Array.from([...sharers, ...producers]).sort();
  const met = new Int32Array(2 * RING_CONTACTS * imageOffenders.length);
  let meetings = 0;
  if (imageOffenders.length > 1) {
    for (const s of imageOffenders) {
      for (let i = 0; i < RING_CONTACTS; i++) {
        const other = imageOffenders[rng.int(imageOffenders.length)] as number;
        if (addEdge(s, other)) {
          met[2 * meetings] = s;
          met[2 * meetings + 1] = other;
          meetings++;
        }
      }
    }
  }
  const ring = pairRows(imageOffenders, met.subarray(0, 2 * meetings));
  const publicActive = Int32Array.from([
    ...sharers.filter(() => rng.chance(o.sharers.publicActivityShare)),
    ...producers.filter(() => rng.chance(o.producers.publicActivityShare)),
  ]).sort();

  // Mentors' classes: minors from anywhere; some are contacts. Mentor i's class is row i.
  const m = p.lookalikes.mentors;
  const classSize = Math.min(m.minorsEach, minors);
  const classes = new Rows(
    Int32Array.from({ length: mentors.length + 1 }, (_, i) => i * classSize),
    new Int32Array(mentors.length * classSize),
  );
  const inClass = new Uint8Array(minors);
  mentors.forEach((mentor, i) => {
    const cls = classes.row(i);
    for (let n = 0; n < classSize; ) {
      const minor = rng.int(minors);
      if (inClass[minor]) continue;
      inClass[minor] = 1;
      cls[n++] = adults + minor;
    }
    for (const minor of cls) inClass[minor - adults] = 0;
    cls.sort();
    for (const minor of cls) if (rng.chance(m.connectedShare)) addEdge(mentor, minor);
  });

  const byAccount = returning.map((a, i) => [a, previous[i] as number, gaps[i] as number, lives[i] as number] as const).sort((x, y) => x[0] - y[0]);
  return new Accounts({
    users,
    adults,
    minors,
    open: p.adults + p.minors,
    contacts: contactRows(users, edges),
    kind,
    createdAt,
    closedAt,
    sharers,
    producers,
    groomers,
    mentors,
    imageOffenders,
    ring,
    publicActive,
    classes,
    returning: Int32Array.from(byAccount, (x) => x[0]),
    previous: Int32Array.from(byAccount, (x) => x[1]),
    gaps: Float64Array.from(byAccount, (x) => x[2]),
    lives: Float64Array.from(byAccount, (x) => x[3]),
    end: duration,
  });
}

/** What buildPopulation makes, as plain data: the population's own fields, and the tables its questions are answered from. */
interface Tables
  extends Pick<
    Population,
    'users' | 'adults' | 'minors' | 'open' | 'contacts' | 'kind' | 'createdAt' | 'closedAt' | 'sharers' | 'producers' | 'groomers' | 'mentors'
  > {
  /** The image offenders, ascending: row i of `ring` is the i-th one's network. */
  imageOffenders: Int32Array;
  ring: Rows;
  /** Ascending. */
  publicActive: Int32Array;
  /** Row i is the class of the i-th mentor. */
  classes: Rows;
  /**
   * Offenders' accounts opened on coming back, ascending, and the account each had before
   * (-1: closed before the run); each one's delay after that one closed and its own
   * lifetime, seconds. Those kept past the run's end (their times Infinity) open only
   * if a closing brings them forward.
   */
  returning: Int32Array;
  previous: Int32Array;
  gaps: Float64Array;
  lives: Float64Array;
  /** The run's end, seconds. */
  end: number;
}

/**
 * A population: its tables and the questions asked of them. A class of its own, so that
 * nothing of the build (the pair table above all) stays reachable from it.
 */
class Accounts implements Population {
  /** The tables it was made from. */
  readonly tables: Tables;
  readonly users: number;
  readonly adults: number;
  readonly minors: number;
  readonly open: number;
  readonly contacts: Rows;
  readonly kind: Uint8Array;
  readonly createdAt: Float64Array;
  readonly closedAt: Float64Array;
  readonly sharers: number[];
  readonly producers: number[];
  readonly groomers: number[];
  readonly mentors: number[];
  private readonly imageOffenders: Int32Array;
  private readonly ring: Rows;
  private readonly publicActive: Int32Array;
  private readonly mentorList: Int32Array;
  private readonly classes: Rows;
  /** Each offender account's next one (the account their career continues on), where there is one. */
  private readonly nextOf = new Map<number, number>();
  /** Accounts whose times a closing changed (1), and their opening and closing times: this instance's own, not shared. */
  private moved: Uint8Array | null = null;
  private readonly times = new Map<number, readonly [number, number]>();

  constructor(t: Tables) {
    this.tables = t;
    this.users = t.users;
    this.adults = t.adults;
    this.minors = t.minors;
    this.open = t.open;
    this.contacts = t.contacts;
    this.kind = t.kind;
    this.createdAt = t.createdAt;
    this.closedAt = t.closedAt;
    this.sharers = t.sharers;
    this.producers = t.producers;
    this.groomers = t.groomers;
    this.mentors = t.mentors;
    this.imageOffenders = t.imageOffenders;
    this.ring = t.ring;
    this.publicActive = t.publicActive;
    this.mentorList = Int32Array.from(t.mentors);
    this.classes = t.classes;
    t.returning.forEach((a, i) => {
      const prev = t.previous[i] as number;
      if (prev >= 0) this.nextOf.set(prev, a);
    });
  }

  ringOf(account: number): Int32Array {
    const r = sortedIndexOf(this.imageOffenders, account);
    return r < 0 ? EMPTY : this.ring.row(r);
  }

  isPublicActive(account: number): boolean {
    return sortedHas(this.publicActive, account);
  }

  classOf(account: number): Int32Array {
    const r = sortedIndexOf(this.mentorList, account);
    return r < 0 ? EMPTY : this.classes.row(r);
  }

  isMinor(account: number): boolean {
    return account >= this.adults;
  }

  /** Whether a and b are contacts: a binary search in the shorter of their lists. */
  connected(a: number, b: number): boolean {
    const c = this.contacts;
    return (c.size(a) <= c.size(b) ? c.find(a, b) : c.find(b, a)) >= 0;
  }

  isOffender(account: number): boolean {
    const k = this.kind[account];
    return k === Kind.Sharer || k === Kind.Producer || k === Kind.Groomer;
  }

  exists(account: number, t: number): boolean {
    if (this.moved !== null && this.moved[account] === 1) {
      const m = this.times.get(account) as readonly [number, number];
      return m[0] <= t && t < m[1];
    }
    return (this.createdAt[account] as number) <= t && t < (this.closedAt[account] as number);
  }

  created(account: number): number {
    return this.moved !== null && this.moved[account] === 1 ? (this.times.get(account) as readonly [number, number])[0] : (this.createdAt[account] as number);
  }

  closed(account: number): number {
    return this.moved !== null && this.moved[account] === 1 ? (this.times.get(account) as readonly [number, number])[1] : (this.closedAt[account] as number);
  }

  ban(account: number, t: number): boolean {
    if (t >= this.closed(account) || t < this.created(account)) return false;
    this.move(account, this.created(account), t);
    // The rest of the career, each account after the one before, by its own drawn delay and lifetime.
    let end = t;
    for (let a = this.nextOf.get(account); a !== undefined; a = this.nextOf.get(a)) {
      const i = sortedIndexOf(this.tables.returning, a);
      const opens = end + (this.tables.gaps[i] as number);
      // Past the run's end: it stays unopened, as do the ones after it.
      if (opens >= this.tables.end) break;
      end = opens + (this.tables.lives[i] as number);
      this.move(a, opens, end);
    }
    return true;
  }

  private move(account: number, created: number, closed: number): void {
    this.moved ??= new Uint8Array(this.users);
    this.moved[account] = 1;
    this.times.set(account, [created, closed]);
  }

  previousAccount(account: number): number {
    const i = sortedIndexOf(this.tables.returning, account);
    return i < 0 ? -2 : (this.tables.previous[i] as number);
  }
}

/** Rows as plain data: what a thread is sent. */
interface RowData {
  offsets: Int32Array;
  items: Int32Array;
}

/**
 * A population as plain data in shared memory: every typed array on a
 * SharedArrayBuffer, so a thread it is sent to reads the same memory rather than a
 * copy (a worker thread's structured clone shares a SharedArrayBuffer). Built once, read
 * by every thread that plays a shard.
 */
export type SharedPopulation = Omit<Tables, 'contacts' | 'ring' | 'classes'> & { contacts: RowData; ring: RowData; classes: RowData };

/** A copy of `a` on a SharedArrayBuffer. */
function shared<T extends Int32Array | Uint8Array | Float64Array>(a: T): T {
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

const sharedRows = (r: Rows): RowData => ({ offsets: shared(r.offsets), items: shared(r.items) });

/** `population`'s tables copied into shared memory (the population itself is left as it was). */
export function sharePopulation(population: Population): SharedPopulation {
  if (!(population instanceof Accounts)) throw new TypeError('only a population buildPopulation made can be shared');
  const t = population.tables;
  return {
    ...t,
    contacts: sharedRows(t.contacts),
    kind: shared(t.kind),
    createdAt: shared(t.createdAt),
    closedAt: shared(t.closedAt),
    returning: shared(t.returning),
    previous: shared(t.previous),
    gaps: shared(t.gaps),
    lives: shared(t.lives),
    imageOffenders: shared(t.imageOffenders),
    ring: sharedRows(t.ring),
    publicActive: shared(t.publicActive),
    classes: sharedRows(t.classes),
  };
}

/** The population of shared tables (as sharePopulation made them, possibly in another thread). */
export function populationFrom(s: SharedPopulation): Population {
  const rows = (r: RowData) => new Rows(r.offsets, r.items);
  return new Accounts({ ...s, contacts: rows(s.contacts), ring: rows(s.ring), classes: rows(s.classes) });
}

/**
 * Rows of `keys` (ascending) from pairs (flattened: k0, k1, k0, k1, ...) of them: each
 * pair puts each of its two in the other's row, rows in the order of the pairs.
 */
function pairRows(keys: Int32Array, pairs: Int32Array): Rows {
  const rowOf = (account: number) => sortedIndexOf(keys, account);
  const offsets = new Int32Array(keys.length + 1);
  for (const a of pairs) offsets[rowOf(a) + 1] = (offsets[rowOf(a) + 1] as number) + 1;
  for (let r = 0; r < keys.length; r++) offsets[r + 1] = (offsets[r + 1] as number) + (offsets[r] as number);
  const items = new Int32Array(pairs.length);
  const fill = offsets.slice(0, keys.length);
  const put = (row: number, x: number) => {
    items[fill[row] as number] = x;
    fill[row] = (fill[row] as number) + 1;
  };
  for (let i = 0; i < pairs.length; i += 2) {
    const a = pairs[i] as number;
    const b = pairs[i + 1] as number;
    put(rowOf(a), b);
    put(rowOf(b), a);
  }
  return new Rows(offsets, items);
}

/** Rows of short lists at most this long are sorted in place by insertion, longer ones by the typed array's sort. */
const INSERTION_SORT = 32;

/** The contact rows of every account, ascending, from the table of pairs a·users + b. */
function contactRows(users: number, edges: NumberSet): Rows {
  const offsets = new Int32Array(users + 1);
  edges.forEachKey((k) => {
    const a = Math.floor(k / users);
    const b = k - a * users;
    offsets[a + 1] = (offsets[a + 1] as number) + 1;
    offsets[b + 1] = (offsets[b + 1] as number) + 1;
  });
  for (let a = 0; a < users; a++) offsets[a + 1] = (offsets[a + 1] as number) + (offsets[a] as number);
  const items = new Int32Array(offsets[users] as number);
  const fill = offsets.slice(0, users);
  edges.forEachKey((k) => {
    const a = Math.floor(k / users);
    const b = k - a * users;
    items[fill[a] as number] = b;
    fill[a] = (fill[a] as number) + 1;
    items[fill[b] as number] = a;
    fill[b] = (fill[b] as number) + 1;
  });
  for (let a = 0; a < users; a++) {
    const from = offsets[a] as number;
    const to = offsets[a + 1] as number;
    if (to - from > INSERTION_SORT) {
      items.subarray(from, to).sort();
      continue;
    }
    for (let i = from + 1; i < to; i++) {
      const x = items[i] as number;
      let j = i - 1;
      while (j >= from && (items[j] as number) > x) {
        items[j + 1] = items[j] as number;
        j--;
      }
      items[j + 1] = x;
    }
  }
  return new Rows(offsets, items);
}
