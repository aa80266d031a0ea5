/**
 * The nonce counters in typed arrays count exactly as one Map entry per conversation
 * would: contact pairs, strangers, public posts and profile photos, each on its own.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../random';
import { testScenario } from '../testing';
import { NonceCounters } from './nonces';
import { buildPopulation } from './population';

describe('NonceCounters', () => {
  const population = buildPopulation(testScenario({ seed: 21, durationDays: 1, population: { adults: 300, minors: 100 }, traffic: { contactsPerUser: 6 } }));
  const users = population.users;

  /** A conversation id as delivery makes it, from a random draw: mostly contacts, some strangers, some public. */
  function conversation(rng: Random): number {
    const sender = rng.int(users);
    const r = rng.next();
    if (r < 0.1) return -(sender + 1) * 4 - 1;
    if (r < 0.15) return -(sender + 1) * 4 - 2;
    const row = population.contacts.row(sender);
    const recipient = r < 0.9 && row.length > 0 ? (row[rng.int(row.length)] as number) : (sender + 1 + rng.int(users - 1)) % users;
    return Math.min(sender, recipient) * users + Math.max(sender, recipient);
  }

  it.each([
    ['with the population', true],
    ['without one', false],
  ])('counts every conversation on its own, as a Map would, %s', (_name, withPopulation) => {
    const rng = Random.derive(5, 'conversations');
    const counters = new NonceCounters(withPopulation ? population : null);
    const want = new Map<number, number>();
    const got: number[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const c = conversation(rng);
      const n = (want.get(c) ?? 0) + 1;
      want.set(c, n);
      expected.push(n);
      got.push(counters.next(c));
    }
    expect(got).toEqual(expected);
    expect(counters.conversations).toBe(want.size);
    // Every kind was there, and some conversations had many messages.
    expect([...want.keys()].some((c) => c < 0 && -c % 4 === 1)).toBe(true);
    expect([...want.keys()].some((c) => c < 0 && -c % 4 === 2)).toBe(true);
    expect([...want.keys()].some((c) => c >= 0 && !population.connected(Math.floor(c / users), c % users))).toBe(true);
    expect(Math.max(...want.values())).toBeGreaterThan(5);
  });

  it('gives each contact pair its own counter, whichever side sends', () => {
    const counters = new NonceCounters(population);
    let pairs = 0;
    for (let a = 0; a < users; a++) {
      for (const b of population.contacts.row(a)) {
        if (b < a) continue;
        pairs++;
        expect(counters.next(a * users + b)).toBe(1);
      }
    }
    expect(counters.conversations).toBe(pairs);
    expect(pairs).toBe(population.contacts.items.length / 2);
    expect(counters.next(0 * users + (population.contacts.row(0)[0] as number))).toBe(2);
  });
});
