/**
 * Reports and blocks waiting for their time. They are scheduled when decided (a forger
 * picks a time within the hour; a recipient reacts some hours after a message) and enter
 * the stream, taking their ids, when the generator reaches their time. Kept in stream
 * order: by time, reports before blocks at equal times, then first scheduled first.
 */
import type { UserReport } from '../types';
import type { Delivered } from './relay';

export type Scheduled =
  /** A recipient's (or a viewer's) report of a message they received. */
  | { type: 'report'; t: number; reporter: number; message: Delivered }
  /** A forged report: fabricated content against an innocent account. */
  | { type: 'forged'; t: number; report: Omit<UserReport, 'id'> }
  | { type: 'block'; t: number; blocker: number; blocked: number };

const rank = (x: Scheduled) => (x.type === 'block' ? 2 : 1);

export class Schedule {
  private readonly list: Scheduled[] = [];

  add(s: Scheduled): void {
    const list = this.list;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = list[mid] as Scheduled;
      if (m.t < s.t || (m.t === s.t && rank(m) <= rank(s))) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, s);
  }

  /** The next event due before time t, taken off the schedule, or undefined. */
  takeBefore(t: number): Scheduled | undefined {
    const list = this.list;
    return list.length > 0 && (list[0] as Scheduled).t < t ? list.shift() : undefined;
  }
}
