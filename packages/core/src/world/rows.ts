/**
 * Lists of accounts in compressed rows: every row's items one after another in one
 * Int32Array, and where each row starts in another (row r is items[offsets[r] ..
 * offsets[r + 1])). Two typed arrays, whatever the number of rows: what holds the
 * population's contacts, offender networks and mentors' classes.
 */
import { sortedIndexOf } from '../tables';

export class Rows {
  constructor(
    /** Where each row starts in `items`, and at the end their total: one more entry than rows. */
    readonly offsets: Int32Array,
    readonly items: Int32Array,
  ) {}

  get rows(): number {
    return this.offsets.length - 1;
  }

  /** Items in row `r`. */
  size(r: number): number {
    return (this.offsets[r + 1] as number) - (this.offsets[r] as number);
  }

  /** Row `r` (a view, no copy). */
  row(r: number): Int32Array {
    return this.items.subarray(this.offsets[r] as number, this.offsets[r + 1] as number);
  }

  /** Where `x` is in `items` if ascending row `r` holds it, else -1 (binary search). */
  find(r: number, x: number): number {
    return sortedIndexOf(this.items, x, this.offsets[r] as number, this.offsets[r + 1] as number);
  }
}
