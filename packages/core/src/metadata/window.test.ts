import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enter, leaveBefore, measure, openWindow, type SlidingWindow } from './window';

/**
 * The window as the detector kept it before it was incremental: a flat list of times or
 * (time, key) pairs, pruned from the front and recounted whole on every event.
 */
class BruteForceWindow {
  private list: number[] = [];
  constructor(private readonly distinct: boolean) {}
  observe(t: number, key: number, since: number): number {
    const stride = this.distinct ? 2 : 1;
    if (this.distinct) this.list.push(t, key);
    else this.list.push(t);
    let drop = 0;
    while (drop < this.list.length && (this.list[drop] as number) < since) drop += stride;
    this.list.splice(0, drop);
    if (!this.distinct) return this.list.length;
    const seen = new Set<number>();
    for (let i = 1; i < this.list.length; i += 2) seen.add(this.list[i] as number);
    return seen.size;
  }
  live(): number[] {
    return [...this.list];
  }
}

/** Key counts recomputed from the live entries of a window. */
function countsOf(w: SlidingWindow): Record<number, number> {
  const counts: Record<number, number> = {};
  for (let i = w.head + 1; i < w.entries.length; i += 2) {
    const k = w.entries[i] as number;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

interface Step {
  /** Time since the previous event; negative sometimes, as a forged or corrupted stream might be. */
  dt: number;
  key: number;
  /** Store and reload the window as JSON before this event (the ordered stage does, between batches). */
  reload: boolean;
}

const step: fc.Arbitrary<Step> = fc.record({
  dt: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 50 }) },
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: -30, max: -1 }) },
    { weight: 1, arbitrary: fc.double({ min: 0, max: 200, noNaN: true }) },
  ),
  key: fc.integer({ min: -1, max: 12 }),
  reload: fc.boolean(),
});

describe('SlidingWindow', () => {
  it('measures what the brute-force window measures at every event, and holds the same entries', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 1, max: 300 }), fc.array(step, { maxLength: 400 }), (distinct, width, steps) => {
        let w = openWindow(distinct);
        const brute = new BruteForceWindow(distinct);
        let t = 1000;
        for (const s of steps) {
          t += s.dt;
          if (s.reload) w = JSON.parse(JSON.stringify(w)) as SlidingWindow;
          enter(w, t, s.key);
          leaveBefore(w, t - width);
          expect(measure(w)).toBe(brute.observe(t, s.key, t - width));
          expect(w.entries.slice(w.head)).toEqual(brute.live());
          if (distinct) {
            expect(w.keys).toEqual(countsOf(w));
            expect(w.distinct).toBe(Object.keys(w.keys ?? {}).length);
          }
          // What has left is dropped before it outnumbers what is still in the window.
          expect(w.entries.length === 0 || 2 * w.head < w.entries.length).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('is inclusive at the window’s start: an entry exactly `since` old stays, one older leaves', () => {
    for (const distinct of [false, true]) {
      const w = openWindow(distinct);
      enter(w, 10, 1);
      enter(w, 20, 2);
      leaveBefore(w, 10);
      expect(measure(w)).toBe(2);
      leaveBefore(w, 10.5);
      expect(measure(w)).toBe(1);
      leaveBefore(w, 21);
      expect(measure(w)).toBe(0);
      expect(w.entries).toEqual([]);
    }
  });

  it('counts a key once however often it is in the window, until its last entry leaves', () => {
    const w = openWindow(true);
    for (const [t, k] of [
      [1, 5],
      [2, 5],
      [3, 6],
      [4, 5],
    ] as const)
      enter(w, t, k);
    expect(measure(w)).toBe(2);
    leaveBefore(w, 3.5);
    expect(measure(w)).toBe(1);
    expect(w.keys).toEqual({ 5: 1 });
  });
});
