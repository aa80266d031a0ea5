/**
 * The clients' nonce counters: how many encrypted messages each conversation has had,
 * so that every message gets a nonce of its own. A week of ten million accounts makes
 * some 10^8 conversations, more than a Map holds, so the counters are typed arrays:
 *
 *   - one per contact pair (most DMs are between contacts), by the pair's place in the
 *     population's contact rows: pair (a, b), a < b, is b's place among a's contacts
 *     greater than a, after all such pairs of accounts before a;
 *   - one per account for its public posts and one for its profile photos;
 *   - a NumberMap for DMs between accounts that are not contacts, and for every
 *     conversation when no population is given.
 *
 * Each array is made the first time a conversation of its kind is. Conversation ids are
 * delivery's: a·users + b for the DM of a < b, -(sender + 1)·4 - 1 for public posts and
 * -(sender + 1)·4 - 2 for profile photos.
 */
import { NumberMap } from '../tables';
import type { Population } from './population';

/** What the counters need of the population: the accounts and their contact rows. */
export type Accounts = Pick<Population, 'users' | 'contacts'>;

/** A counter holds 2^32 - 1 messages; no conversation of any scenario within the limits comes near. */
const MAX_COUNT = 0xffffffff;

export class NonceCounters {
  /** Messages so far in each contact pair's conversation, by pair index. */
  private pairs: Uint32Array | null = null;
  /** upper[a]: contact pairs (x, y), x < y, with x < a; upper[users] is every pair. */
  private upper: Int32Array | null = null;
  private posts: Uint32Array | null = null;
  private profiles: Uint32Array | null = null;
  /** Every other conversation, by 2·id for DMs and 2·(-id) - 1 for the others. */
  private readonly others = new NumberMap();
  private started = 0;

  constructor(private readonly accounts: Accounts | null = null) {}

  /** Conversations with at least one message. */
  get conversations(): number {
    return this.started;
  }

  /** One more message in `conversation`: its count, 1 for the first. */
  next(conversation: number): number {
    const accounts = this.accounts;
    if (accounts === null) return this.bump(this.others, conversation >= 0 ? 2 * conversation : -2 * conversation - 1);
    if (conversation < 0) {
      const code = -conversation;
      const sender = Math.floor(code / 4) - 1;
      const counts = code % 4 === 1 ? (this.posts ??= new Uint32Array(accounts.users)) : (this.profiles ??= new Uint32Array(accounts.users));
      return this.bumpAt(counts, sender);
    }
    const a = Math.floor(conversation / accounts.users);
    const b = conversation - a * accounts.users;
    const at = accounts.contacts.find(a, b);
    if (at < 0) return this.bump(this.others, 2 * conversation);
    return this.bumpAt((this.pairs ??= this.pairCounters()), this.pairIndex(a, at));
  }

  private bumpAt(counts: Uint32Array, i: number): number {
    const n = (counts[i] as number) + 1;
    if (n > MAX_COUNT) throw new RangeError('a conversation passed 2^32 - 1 messages');
    if (n === 1) this.started++;
    counts[i] = n;
    return n;
  }

  private bump(map: NumberMap, key: number): number {
    const n = map.add(key, 1);
    if (n === 1) this.started++;
    return n;
  }

  /** The index of contact pair (a, b), a < b, where b is at `at` in a's row. */
  private pairIndex(a: number, at: number): number {
    const upper = this.upper as Int32Array;
    const offsets = (this.accounts as Accounts).contacts.offsets;
    const above = (upper[a + 1] as number) - (upper[a] as number);
    const firstAbove = (offsets[a + 1] as number) - above;
    return (upper[a] as number) + at - firstAbove;
  }

  /** Zeroed counters, one per contact pair, and the pair index they are found by. */
  private pairCounters(): Uint32Array {
    const { users, contacts } = this.accounts as Accounts;
    const { offsets, items } = contacts;
    const upper = new Int32Array(users + 1);
    for (let a = 0; a < users; a++) {
      // The first of a's contacts greater than a: a binary search in the ascending row.
      let lo = offsets[a] as number;
      let hi = offsets[a + 1] as number;
      const end = hi;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if ((items[mid] as number) > a) hi = mid;
        else lo = mid + 1;
      }
      upper[a + 1] = (upper[a] as number) + (end - lo);
    }
    this.upper = upper;
    return new Uint32Array(upper[users] as number);
  }
}
