/**
 * The population: its contact rows, and the open population's steady state (accounts
 * and offenders open at any time as the scenario says, offenders coming back on new
 * accounts).
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../scenario';
import { accountSlots } from '../scenario/pairs';
import { testScenario } from '../testing';
import { DAY } from '../types';
import { buildPopulation, Kind, type Population } from './population';

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

/** Accounts of `list` (all when omitted) open at time t. */
function openAt(p: Population, t: number, list?: readonly number[]): number {
  let n = 0;
  if (list) for (const a of list) n += p.exists(a, t) ? 1 : 0;
  else for (let a = 0; a < p.users; a++) n += p.exists(a, t) ? 1 : 0;
  return n;
}

describe('buildPopulation', () => {
  it.each(scenarios)('is the same population for the same scenario and seed, and sized by accountSlots: %s', (_name, scenario) => {
    const a = buildPopulation(scenario);
    const b = buildPopulation(scenario);
    const slots = accountSlots(scenario);
    expect([a.users, a.adults, a.minors]).toEqual([slots.users, slots.adults, slots.minors]);
    expect(a.open).toBe(scenario.population.adults + scenario.population.minors);
    expect(a.contacts.rows).toBe(a.users);
    expect(a.kind).toEqual(b.kind);
    expect(a.createdAt).toEqual(b.createdAt);
    expect(a.closedAt).toEqual(b.closedAt);
    expect(a.contacts.items).toEqual(b.contacts.items);
    expect([a.sharers, a.producers, a.groomers, a.mentors]).toEqual([b.sharers, b.producers, b.groomers, b.mentors]);
    // Every slot but the spare ones (and the offenders' accounts kept for closings to
    // bring forward) is open at some time of the run, and the kinds agree with the lists.
    const end = scenario.durationDays * DAY;
    for (let x = 0; x < a.users; x++) {
      if (a.createdAt[x] === Number.POSITIVE_INFINITY && (a.kind[x] === Kind.Ordinary || a.previousAccount(x) >= 0)) continue;
      expect(a.createdAt[x] as number).toBeLessThan(end);
      expect(a.closedAt[x] as number).toBeGreaterThan(Math.max(0, a.createdAt[x] as number));
    }
    for (const [list, k] of [
      [a.sharers, Kind.Sharer],
      [a.producers, Kind.Producer],
      [a.groomers, Kind.Groomer],
      [a.mentors, Kind.Mentor],
    ] as const) {
      for (const x of list) expect(a.kind[x]).toBe(k);
      for (const x of list) expect(a.isMinor(x)).toBe(false);
    }
    const kinds = a.kind.reduce((n, k) => n + (k === Kind.Ordinary ? 0 : 1), 0);
    expect(kinds).toBe(a.sharers.length + a.producers.length + a.groomers.length + a.mentors.length);
  });

  it('stays in steady state: as many accounts and offenders open on the last day as on the first', () => {
    const scenario = testScenario({
      seed: 21,
      durationDays: 120,
      population: {
        adults: 20_000,
        minors: 5_000,
        accountAgeDays: 200,
        offenders: {
          sharers: { count: 300, accountLifetimeDays: 20, returnShare: 0.6, returnDelayDays: 3 },
          groomers: { count: 100, accountLifetimeDays: 30 },
        },
      },
      traffic: { contactsPerUser: 4 },
    });
    const p = buildPopulation(scenario);
    const open = scenario.population.adults + scenario.population.minors;
    for (const day of [0.5, 30, 60, 119.5]) {
      const t = day * DAY;
      // An open count's spread over the run is about the square root of the turnover.
      expect(Math.abs(openAt(p, t) - open)).toBeLessThan(0.02 * open);
      expect(Math.abs(openAt(p, t, p.sharers) - 300)).toBeLessThan(45);
      expect(Math.abs(openAt(p, t, p.groomers) - 100)).toBeLessThan(25);
    }
    // Over 120 days at 20-day lifetimes each sharer's account turns over about six times.
    expect(p.sharers.length).toBeGreaterThan(300 * 4);
  });

  it('brings offenders back on new accounts, opened after the old one closed', () => {
    const scenario = testScenario({
      seed: 4,
      durationDays: 60,
      population: { adults: 5_000, minors: 1_000, offenders: { sharers: { count: 50, accountLifetimeDays: 10, returnShare: 0.8, returnDelayDays: 2 } } },
      traffic: { contactsPerUser: 4 },
    });
    const p = buildPopulation(scenario);
    let returns = 0;
    for (const a of p.sharers) {
      const before = p.previousAccount(a);
      if (before === -2 || p.createdAt[a] === Number.POSITIVE_INFINITY) continue;
      returns++;
      expect(p.createdAt[a] as number).toBeGreaterThanOrEqual(0);
      if (before >= 0) {
        expect(p.kind[before]).toBe(Kind.Sharer);
        expect(p.closedAt[before] as number).toBeLessThanOrEqual(p.createdAt[a] as number);
      }
    }
    // About count × days / lifetime × returnShare of them: 240.
    expect(returns).toBeGreaterThan(150);
    expect(returns).toBeLessThan(340);
    // Without coming back, offenders' later accounts are newcomers only.
    const none = buildPopulation({
      ...scenario,
      population: {
        ...scenario.population,
        offenders: { ...scenario.population.offenders, sharers: { ...scenario.population.offenders.sharers, returnShare: 0 } },
      },
    });
    expect(none.sharers.filter((a) => none.previousAccount(a) !== -2)).toEqual([]);
    expect(none.sharers.length).toBeGreaterThan(150);
  });

  describe('closings (enforcement)', () => {
    const scenario = testScenario({
      seed: 12,
      durationDays: 60,
      population: { adults: 4_000, minors: 1_000, offenders: { sharers: { count: 40, accountLifetimeDays: 200, returnShare: 1, returnDelayDays: 2 } } },
      traffic: { contactsPerUser: 4 },
    });
    const end = scenario.durationDays * DAY;
    /** Each account's open interval at the times given, for comparing before and after a closing. */
    const openings = (p: Population, times: readonly number[]) => times.map((t) => Array.from({ length: p.users }, (_, a) => p.exists(a, t)));

    it('closes an open account at its time, brings the career forward, and changes nothing before', () => {
      const p = buildPopulation(scenario);
      // A sharer open on day 10 whose account would outlive the run: its next account is one kept for a closing.
      const t = 10 * DAY;
      const first = p.sharers.find((a) => p.exists(a, t) && (p.closedAt[a] as number) >= end);
      expect(first).toBeDefined();
      const a = first as number;
      const next = p.sharers.find((x) => p.previousAccount(x) === a);
      expect(next).toBeDefined();
      const b = next as number;
      expect(p.created(b)).toBe(Number.POSITIVE_INFINITY);
      const before = openings(p, [0, DAY, t - 1]);
      expect(p.ban(a, t)).toBe(true);
      expect(p.closed(a)).toBe(t);
      expect(p.exists(a, t)).toBe(false);
      expect(p.exists(a, t - 1)).toBe(true);
      // The next account opens its drawn delay after the closing, and lasts its drawn lifetime.
      expect(p.created(b)).toBeGreaterThan(t);
      expect(p.created(b)).toBeLessThan(end);
      expect(p.closed(b)).toBeGreaterThan(p.created(b));
      expect(p.exists(b, p.created(b))).toBe(true);
      expect(openings(p, [0, DAY, t - 1])).toEqual(before);
      // The shared tables are untouched: only this instance's view moved.
      expect(p.createdAt[b]).toBe(Number.POSITIVE_INFINITY);
      // Closing it again, or later, changes nothing.
      expect(p.ban(a, t)).toBe(false);
      expect(p.ban(a, t + DAY)).toBe(false);
    });

    it('is the same for the same closings, and each instance keeps its own', () => {
      const p = buildPopulation(scenario);
      const q = buildPopulation(scenario);
      const t = 5 * DAY;
      const open = p.sharers.filter((a) => p.exists(a, t));
      for (const a of open) p.ban(a, t);
      for (const a of open) q.ban(a, t);
      const times = [t, 20 * DAY, 40 * DAY];
      expect(openings(p, times)).toEqual(openings(q, times));
      const r = buildPopulation(scenario);
      expect(openings(r, times)).not.toEqual(openings(p, times));
      // Every sharer came back (returnShare 1): as many are open a few days later as before.
      expect(open.filter((a) => p.exists(a, t)).length).toBe(0);
      const later = p.sharers.filter((a) => p.exists(a, t + 10 * DAY)).length;
      expect(later).toBeGreaterThan(0.8 * open.length);
    });

    it('is the same population whether or not the platform closes accounts', () => {
      const off = buildPopulation({ ...scenario, enforcement: { ...scenario.enforcement, banReported: false } });
      const on = buildPopulation(scenario);
      expect(on.sharers.some((a) => on.createdAt[a] === Number.POSITIVE_INFINITY)).toBe(true);
      expect([off.users, off.sharers, off.createdAt, off.closedAt, off.contacts.items]).toEqual([
        on.users,
        on.sharers,
        on.createdAt,
        on.closedAt,
        on.contacts.items,
      ]);
    });
  });

  it('keeps mentors open for the whole run', () => {
    const [, scenario] = scenarios[0] as [string, Scenario];
    const p = buildPopulation(scenario);
    for (const m of p.mentors) expect([p.exists(m, 0), p.exists(m, scenario.durationDays * DAY - 1)]).toEqual([true, true]);
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
