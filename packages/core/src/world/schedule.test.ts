import { describe, expect, it } from 'vitest';
import type { Delivered } from './relay';
import { Schedule, type Scheduled } from './schedule';

const message = {} as Delivered;
const block = (t: number, blocker: number): Scheduled => ({ type: 'block', t, blocker, blocked: 0 });
const report = (t: number, reporter: number): Scheduled => ({ type: 'report', t, reporter, message });

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
});
