import { describe, expect, it } from 'vitest';
import { bankEntry, buildBank, matchBank, perturb, randomHash } from './hash';
import { BankIndex } from './hash-index';
import { Random } from './random';

describe('BankIndex (multi-index hashing)', () => {
  // Property: on random banks and queries (random ones, and perturbed copies of bank
  // entries at every distance around the threshold), the index returns exactly what
  // brute force returns, for several thresholds.
  it.each([
    [1, 500],
    [2, 5_000],
    [3, 30_000],
  ])('agrees with brute force (seed %i, bank of %i)', (seed, size) => {
    const bank = buildBank(seed, size);
    const index = new BankIndex(bank);
    const rng = Random.derive(seed, 'index-queries');
    let matched = 0;
    for (let i = 0; i < 1_500; i++) {
      const query = i % 3 === 0 ? randomHash(rng) : perturb(bankEntry(bank, rng.int(size)), rng.int(48), rng);
      for (const distance of [0, 15, 31, 40]) {
        const expected = matchBank(bank, query, distance);
        expect(index.match(query, distance), `query ${i}, distance ${distance}`).toEqual(expected);
        if (expected) matched++;
      }
    }
    // The property is only worth something if many queries did match.
    expect(matched).toBeGreaterThan(1_000);
  });

  it('finds the lowest index among equally close entries, like brute force', () => {
    const bank = buildBank(9, 4_000);
    // Make entries 10 and 3000 identical; a query near them must return 10.
    bank.words.set(bank.words.subarray(10 * 8, 11 * 8), 3000 * 8);
    const index = new BankIndex(bank);
    const query = perturb(bankEntry(bank, 10), 7, Random.derive(1, 'tie'));
    expect(index.match(query, 31)).toEqual({ index: 10, distance: 7 });
    expect(matchBank(bank, query, 31)).toEqual({ index: 10, distance: 7 });
  });
});
