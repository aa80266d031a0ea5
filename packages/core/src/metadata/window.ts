/**
 * One rule's sliding window over one account's events, kept incrementally so that each
 * event costs O(1) amortized whatever the window holds: an event enters at the back,
 * expired events leave at the front, and a distinct count keeps, per key, how many of
 * the window's entries name it (so the number of distinct keys is a counter, not a
 * recount of the window).
 *
 * Leaving is from the front only, in arrival order: an entry leaves once it and every
 * entry before it is older than the window's start. In a stream whose times never go
 * back (what the generator produces) that is exactly "the entries no older than the
 * window's start".
 *
 * Plain data: the ordered stage stores each account's windows as JSON between batches.
 */

export interface SlidingWindow {
  /**
   * Entries in arrival order, flattened: a time each, or a (time, key) pair each for a
   * distinct count. Those before `head` have left the window; they are dropped once they
   * are at least as many as those still in it, so the list stays at most twice the window.
   */
  entries: number[];
  /** Index in `entries` of the oldest entry still in the window. */
  head: number;
  /**
   * Distinct counts only: for each key in the window, how many of its entries name it. A
   * key whose count falls to zero is deleted, so `distinct` is its number of keys.
   */
  keys?: Record<number, number>;
  distinct?: number;
}

/** An empty window; `distinct` makes it count distinct keys rather than entries. */
export function openWindow(distinct: boolean): SlidingWindow {
  return distinct ? { entries: [], head: 0, keys: {}, distinct: 0 } : { entries: [], head: 0 };
}

/** Adds an event at time `t`; `key` is what a distinct count counts (ignored otherwise). */
export function enter(w: SlidingWindow, t: number, key: number): void {
  const keys = w.keys;
  if (!keys) {
    w.entries.push(t);
    return;
  }
  w.entries.push(t, key);
  const n = keys[key];
  if (n === undefined) {
    keys[key] = 1;
    w.distinct = (w.distinct as number) + 1;
  } else keys[key] = n + 1;
}

/** Lets entries older than `since` leave from the front, stopping at the first that is not. */
export function leaveBefore(w: SlidingWindow, since: number): void {
  const { entries, keys } = w;
  const stride = keys ? 2 : 1;
  let head = w.head;
  while (head < entries.length && (entries[head] as number) < since) {
    if (keys) {
      const key = entries[head + 1] as number;
      const n = (keys[key] as number) - 1;
      if (n === 0) {
        delete keys[key];
        w.distinct = (w.distinct as number) - 1;
      } else keys[key] = n;
    }
    head += stride;
  }
  // Dropping the dead prefix costs what is still live, at most what has left since the
  // last drop: O(1) amortized per entry.
  if (head > 0 && 2 * head >= entries.length) {
    entries.splice(0, head);
    head = 0;
  }
  w.head = head;
}

/** What the window measures: its entries, or its distinct keys. */
export function measure(w: SlidingWindow): number {
  return w.keys ? (w.distinct as number) : w.entries.length - w.head;
}
