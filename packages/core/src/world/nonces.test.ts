/**
 * The nonce counters in typed arrays count exactly as one Map entry per (conversation,
 * sending side) would: contact pairs, strangers, public posts and profile photos, each on
 * its own; and a DM's two sides never give the same nonce.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../random';
import { testScenario } from '../testing';
import { NonceCounters } from './nonces';
import { buildPopulation } from './population';

describe('NonceCounters', () => {
  const population = buildPopulation(testScenario({ seed: 21, durationDays: 1, population: { adults: 300, minors: 100 }, traffic: { contactsPerUser: 6 } }));
  const users = population.users;

  /** A message as delivery numbers it, from a random draw: its conversation, sender and recipient (-1 when public). */
  function message(rng: Random): [number, number, number] {
    const sender = rng.int(users);
    const r = rng.next();
    if (r < 0.1) return [-(sender + 1) * 4 - 1, sender, -1];
    if (r < 0.15) return [-(sender + 1) * 4 - 2, sender, -1];
    const row = population.contacts.row(sender);
    const recipient = r < 0.9 && row.length > 0 ? (row[rng.int(row.length)] as number) : (sender + 1 + rng.int(users - 1)) % users;
    return [Math.min(sender, recipient) * users + Math.max(sender, recipient), sender, recipient];
  }

  it.each([
    ['with the population', true],
    ['without one', false],
  ])('counts every conversation and side on its own, as a Map would, %s', (_name, withPopulation) => {
    const rng = Random.derive(5, 'conversations');
    const counters = new NonceCounters(withPopulation ? population : null);
    const want = new Map<string, number>();
    const conversations = new Set<number>();
    const got: number[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const [c, sender, recipient] = message(rng);
      const side = recipient >= 0 && sender > recipient ? 1 : 0;
      const key = `${c}/${side}`;
      const n = (want.get(key) ?? 0) + 1;
      want.set(key, n);
      conversations.add(c);
      expected.push(recipient < 0 ? n : 2 * n - 1 + side);
      got.push(counters.next(c, sender, recipient));
    }
    expect(got).toEqual(expected);
    expect(counters.conversations).toBe(conversations.size);
    // Every kind was there, both sides of some DMs sent, and some conversations had many messages.
    expect([...conversations].some((c) => c < 0 && -c % 4 === 1)).toBe(true);
    expect([...conversations].some((c) => c < 0 && -c % 4 === 2)).toBe(true);
    expect([...conversations].some((c) => c >= 0 && !population.connected(Math.floor(c / users), c % users))).toBe(true);
    expect([...conversations].some((c) => c >= 0 && want.has(`${c}/0`) && want.has(`${c}/1`))).toBe(true);
    expect(Math.max(...want.values())).toBeGreaterThan(5);
  });

  it("gives each side of a contact pair its own counter, and the two sides' nonces never meet", () => {
    const counters = new NonceCounters(population);
    let pairs = 0;
    for (let a = 0; a < users; a++) {
      for (const b of population.contacts.row(a)) {
        if (b < a) continue;
        pairs++;
        expect(counters.next(a * users + b, a, b)).toBe(1);
        expect(counters.next(a * users + b, b, a)).toBe(2);
      }
    }
    expect(counters.conversations).toBe(pairs);
    expect(pairs).toBe(population.contacts.items.length / 2);
    const b = population.contacts.row(0)[0] as number;
    expect([counters.next(b, 0, b), counters.next(b, 0, b), counters.next(b, b, 0)]).toEqual([3, 5, 4]);
  });
});
