/**
 * The population in typed arrays against the population as it was first written (a
 * Set of pairs, an array per account, Maps and Sets): the same draws in the same order,
 * so the same accounts, contacts, networks and classes, whatever the scenario.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../random';
import type { Scenario } from '../scenario';
import { testScenario } from '../testing';
import { DAY } from '../types';
import { buildPopulation, Kind } from './population';

/** The first population: what buildPopulation must reproduce draw for draw (it held at most 2^24 pairs). */
function reference(scenario: Scenario) {
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
  const communityCount = Math.max(1, Math.round(users / p.communitySize));
  const order = rng.shuffle(Array.from({ length: users }, (_, i) => i));
  const communityOf = new Int32Array(users);
  const members: number[][] = Array.from({ length: communityCount }, () => []);
  order.forEach((account, i) => {
    const c = i % communityCount;
    communityOf[account] = c;
    members[c]?.push(account);
  });
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
  const imageOffenders = [...sharers, ...producers].sort((a, b) => a - b);
  const ring = new Map<number, number[]>();
  for (const s of imageOffenders) ring.set(s, []);
  if (imageOffenders.length > 1) {
    for (const s of imageOffenders) {
      for (let i = 0; i < 5; i++) {
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
  const classes = new Map<number, number[]>();
  const m = p.lookalikes.mentors;
  for (const mentor of mentors) {
    const cls = new Set<number>();
    while (cls.size < Math.min(m.minorsEach, minors)) cls.add(adults + rng.int(minors));
    const list = [...cls].sort((a, b) => a - b);
    for (const minor of list) if (rng.chance(m.connectedShare)) addEdge(mentor, minor);
    classes.set(mentor, list);
  }
  const createdAt = new Float64Array(users);
  const duration = scenario.durationDays * DAY;
  const shares: Record<number, number> = {
    [Kind.Ordinary]: p.newAccountShare,
    [Kind.Sharer]: o.sharers.newAccountShare,
    [Kind.Producer]: o.producers.newAccountShare,
    [Kind.Groomer]: o.groomers.newAccountShare,
    [Kind.Mentor]: 0,
  };
  for (let a = 0; a < users; a++) {
    createdAt[a] = rng.chance(shares[kind[a] as number] as number)
      ? Math.floor(rng.next() * duration * 0.8)
      : -Math.max(1, rng.exponential(p.accountAgeDays)) * DAY;
  }
  const lists: number[][] = Array.from({ length: users }, () => []);
  for (const k of edges) {
    const a = Math.floor(k / users);
    const b = k - a * users;
    lists[a]?.push(b);
    lists[b]?.push(a);
  }
  const contacts = lists.map((l) => l.sort((x, y) => x - y));
  return {
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
    connected: (a: number, b: number) => edges.has(key(a, b)),
  };
}

const scenarios: [string, Scenario][] = [
  [
    'the defaults, with every kind of account',
    testScenario({
      seed: 11,
      durationDays: 3,
      population: {
        adults: 900,
        minors: 300,
        offenders: { sharers: { count: 40 }, producers: { count: 12 }, groomers: { count: 6 } },
        lookalikes: { mentors: { count: 5, minorsEach: 30 } },
      },
    }),
  ],
  [
    'no minors',
    testScenario({
      seed: 5,
      durationDays: 2,
      population: { adults: 500, minors: 0, offenders: { sharers: { count: 30 }, producers: { count: 10 }, groomers: { count: 5 } } },
      traffic: { contactsPerUser: 12 },
    }),
  ],
  [
    'small communities, large classes, many offenders',
    testScenario({
      seed: 77,
      durationDays: 2,
      population: {
        adults: 2_000,
        minors: 300,
        communitySize: 40,
        offenders: { sharers: { count: 200 }, producers: { count: 100 } },
        lookalikes: { mentors: { count: 50, minorsEach: 280, connectedShare: 0.3 } },
      },
      traffic: { contactsPerUser: 30 },
    }),
  ],
  [
    'one image offender, dense contacts',
    testScenario({
      seed: 3,
      durationDays: 1,
      population: { adults: 60, minors: 20, communitySize: 7, offenders: { sharers: { count: 1 } } },
      traffic: { contactsPerUser: 50, communityShare: 0.3 },
    }),
  ],
  [
    'every minor in each class',
    testScenario({ seed: 9, durationDays: 1, population: { adults: 200, minors: 25, lookalikes: { mentors: { count: 4, minorsEach: 25 } } } }),
  ],
];

describe('buildPopulation', () => {
  it.each(scenarios)('makes the population the first implementation made: %s', (_name, scenario) => {
    const want = reference(scenario);
    const got = buildPopulation(scenario);
    const users = scenario.population.adults + scenario.population.minors;
    expect(got.users).toBe(users);
    expect(got.contacts.rows).toBe(users);
    expect(Array.from({ length: users }, (_, a) => Array.from(got.contacts.row(a)))).toEqual(want.contacts);
    expect(got.kind).toEqual(want.kind);
    expect(got.createdAt).toEqual(want.createdAt);
    expect([got.sharers, got.producers, got.groomers, got.mentors]).toEqual([want.sharers, want.producers, want.groomers, want.mentors]);
    for (let a = 0; a < users; a++) {
      expect(Array.from(got.ringOf(a))).toEqual(want.ring.get(a) ?? []);
      expect(got.isPublicActive(a)).toBe(want.publicActive.has(a));
      expect(Array.from(got.classOf(a))).toEqual(want.classes.get(a) ?? []);
    }
    const rng = Random.derive(1, 'pairs');
    for (let i = 0; i < 5_000; i++) {
      const a = rng.int(users);
      const b = rng.int(users);
      expect(got.connected(a, b)).toBe(want.connected(a, b));
    }
    for (let a = 0; a < users; a++) for (const b of want.contacts[a] as number[]) expect(got.connected(a, b) && got.connected(b, a)).toBe(true);
  });

  it('holds the same contacts on both sides, each list ascending, each pair once', () => {
    const [, scenario] = scenarios[0] as [string, Scenario];
    const { contacts, users } = buildPopulation(scenario);
    let entries = 0;
    for (let a = 0; a < users; a++) {
      const row = contacts.row(a);
      entries += row.length;
      for (let i = 1; i < row.length; i++) expect(row[i] as number).toBeGreaterThan(row[i - 1] as number);
      for (const b of row) expect(contacts.find(b, a)).toBeGreaterThanOrEqual(0);
      expect(contacts.find(a, a)).toBe(-1);
    }
    expect(entries).toBe(contacts.items.length);
    expect(entries).toBeGreaterThan(users * 15);
  });
});
