/**
 * Reports and blocks waiting for their time. They are scheduled when decided (a forger
 * picks a time within the hour; a recipient reacts some hours after a message) and enter
 * their shard's stream when the shard reaches their time (and take their ids when the
 * sequencer numbers that stream). Each shard keeps its own schedule, in stream order: by
 * time, reports before blocks at equal times, then first scheduled first.
 */
import type { Envelope, UserReport } from '../types';

export type Scheduled =
  /**
   * A recipient's (or a viewer's) report of a message they received: its envelope and
   * plaintext. What the recipient's client hands over (the relay's countersignature) is
   * worked out when the report is numbered, the message's id known by then.
   */
  | { type: 'report'; t: number; reporter: number; envelope: Envelope; plain: Uint8Array }
  /**
   * A forged report: fabricated content against an innocent account. It names one of
   * the ids issued before it, chosen by `pick` in [0, 1) when it enters the stream (its
   * messageId until then is a placeholder).
   */
  | { type: 'forged'; t: number; pick: number; report: Omit<UserReport, 'id'> }
  | { type: 'block'; t: number; blocker: number; blocked: number };

const rank = (x: Scheduled) => (x.type === 'block' ? 2 : 1);

interface Entry {
  s: Scheduled;
  rank: number;
  /** Order of scheduling: first scheduled first among equals. */
  seq: number;
}

const before = (a: Entry, b: Entry) => a.s.t < b.s.t || (a.s.t === b.s.t && (a.rank < b.rank || (a.rank === b.rank && a.seq < b.seq)));

/**
 * A binary heap on (time, rank, order of scheduling): O(log n) to add and to take, so a
 * flood of scheduled reports (a million forged ones a day) costs no more per report than
 * a trickle. The order taken is the stream order above, exactly.
 */
export class Schedule {
  private readonly heap: Entry[] = [];
  private added = 0;

  add(s: Scheduled): void {
    const heap = this.heap;
    const e: Entry = { s, rank: rank(s), seq: this.added++ };
    let i = heap.length;
    heap.push(e);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Entry;
      if (!before(e, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = e;
  }

  /** The next event due before time t, taken off the schedule, or undefined. */
  takeBefore(t: number): Scheduled | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined || !(top.s.t < t)) return undefined;
    const last = heap.pop() as Entry;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(heap[r] as Entry, heap[l] as Entry) ? r : l;
        if (!before(heap[c] as Entry, last)) break;
        heap[i] = heap[c] as Entry;
        i = c;
      }
      heap[i] = last;
    }
    return top.s;
  }
}
