import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../types';
import { Schedule, type Scheduled } from './schedule';

const envelope = {} as Envelope;
const plain = new Uint8Array(0);
const block = (t: number, blocker: number): Scheduled => ({ type: 'block', t, blocker, blocked: 0 });
const report = (t: number, reporter: number): Scheduled => ({ type: 'report', t, reporter, envelope, plain });

function drain(s: Schedule, before = Number.POSITIVE_INFINITY): Scheduled[] {
  const out: Scheduled[] = [];
  for (let x = s.takeBefore(before); x; x = s.takeBefore(before)) out.push(x);
  return out;
}

describe('Schedule', () => {
  it('gives events back by time, whatever order they were scheduled in', () => {
    const s = new Schedule();
    for (const t of [5, 1, 4, 2, 3]) s.add(block(t, t));
    expect(drain(s).map((x) => x.t)).toEqual([1, 2, 3, 4, 5]);
  });

  it('at equal times puts reports before blocks, and otherwise keeps the order of scheduling', () => {
    const s = new Schedule();
    s.add(block(7, 1));
    s.add(report(7, 2));
    s.add(block(7, 3));
    s.add(report(7, 4));
    expect(drain(s).map((x) => (x.type === 'block' ? `b${x.blocker}` : x.type === 'report' ? `r${x.reporter}` : 'f'))).toEqual(['r2', 'r4', 'b1', 'b3']);
  });

  it('takes only events due strictly before the given time', () => {
    const s = new Schedule();
    s.add(block(1, 1));
    s.add(block(2, 2));
    s.add(block(3, 3));
    expect(drain(s, 2).map((x) => x.t)).toEqual([1]);
    expect(drain(s, 3.5).map((x) => x.t)).toEqual([2, 3]);
    expect(s.takeBefore(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('takes exactly what a sorted list with stable insertion would, under any mix of adds and takes', () => {
    // The reference: stream order by time, reports before blocks, then first scheduled first.
    const op = fc.oneof(
      fc.record({ add: fc.constant(true as const), t: fc.integer({ min: 0, max: 20 }), block: fc.boolean() }),
      fc.record({ add: fc.constant(false as const), before: fc.integer({ min: 0, max: 25 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const s = new Schedule();
        const ref: { t: number; rank: number; id: number }[] = [];
        let id = 0;
        for (const o of ops) {
          if (o.add) {
            const x = o.block ? block(o.t, id) : report(o.t, id);
            s.add(x);
            ref.push({ t: o.t, rank: o.block ? 2 : 1, id: id++ });
            ref.sort((a, b) => a.t - b.t || a.rank - b.rank || a.id - b.id);
          } else {
            const want: number[] = [];
            while (ref.length > 0 && (ref[0] as { t: number }).t < o.before) want.push((ref.shift() as { id: number }).id);
            const got = drain(s, o.before).map((x) => (x.type === 'block' ? x.blocker : x.type === 'report' ? x.reporter : -1));
            expect(got).toEqual(want);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
