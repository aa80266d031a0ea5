import { describe, expect, it } from 'vitest';
import { mergeData, testScenario } from './testing';

describe('testScenario', () => {
  const base = { seed: 1, durationDays: 2, population: { adults: 40, minors: 10, offenders: { sharers: { count: 2 } } } };

  it('merges overrides section by section, later ones winning', () => {
    const s = testScenario(base, { population: { minors: 7 } }, { population: { offenders: { sharers: { count: 3 } } } });
    expect(s.population.adults).toBe(40);
    expect(s.population.minors).toBe(7);
    expect(s.population.offenders.sharers.count).toBe(3);
  });

  it('replaces arrays and scalars rather than merging them', () => {
    expect(mergeData({ a: [1, 2], b: { c: 1 } }, { a: [3], b: 2 })).toEqual({ a: [3], b: 2 });
  });

  it('refuses a scenario that does not validate, naming the field', () => {
    expect(() => testScenario(base, { population: { minors: -1 } })).toThrow(/population\.minors/);
  });
});
