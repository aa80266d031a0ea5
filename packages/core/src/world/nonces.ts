/**
 * The clients' nonce counters: how many encrypted messages each sender has sent in each
 * conversation, so that every message gets a nonce of its own. Each side of a DM counts
 * its own messages, and the nonce says which side sent it (odd for the lower account,
 * even for the higher): a conversation's nonces never repeat, and a sender's counter
 * depends on nothing but its own messages, so the world's shards (which own their
 * senders) count without ever sharing a counter. Under a rollout of encryption (see
 * rollout.ts) a conversation's first messages may be readable: they take no nonce, and
 * its encrypted ones, which come only after, count from 1 under its one key.
 *
 * A week of ten million accounts makes some 10^8 conversations, more than a Map holds,
 * so the counters are typed arrays:
 *
 *   - one per contact of each account (most DMs are between contacts), by the contact's
 *     place in the population's contact rows: sender a's counter for contact b is at b's
 *     place in a's row;
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

/**
 * The counters' arrays on SharedArrayBuffers, for threads that each play some of the
 * world's shards: a counter is only ever written by its sender's shard, so threads share
 * the arrays without a lock and none holds a copy of its own.
 */
export interface SharedCounters {
  /** Null where nothing is encrypted (DMs, public posts, profile photos respectively). */
  contacts: Uint32Array | null;
  posts: Uint32Array | null;
  profiles: Uint32Array | null;
}

/** Zeroed shared counters for `accounts`, for the surfaces that are encrypted. */
export function sharedCounters(accounts: Accounts, encrypted: { dm: boolean; public: boolean; profile: boolean }): SharedCounters {
  const zeros = (n: number) => new Uint32Array(new SharedArrayBuffer(4 * n));
  return {
    contacts: encrypted.dm ? zeros(accounts.contacts.items.length) : null,
    posts: encrypted.public ? zeros(accounts.users) : null,
    profiles: encrypted.profile ? zeros(accounts.users) : null,
  };
}

export class NonceCounters {
  /** Messages so far from each account to each of its contacts, by the contact's place in the contact rows. */
  private contacts: Uint32Array | null = null;
  private posts: Uint32Array | null = null;
  private profiles: Uint32Array | null = null;
  /** Every other conversation: 4·id + 2·side for DMs (side 1 when the higher account sends), 2·(-id) - 1 for the others. */
  private readonly others = new NumberMap();
  private started = 0;

  constructor(
    private readonly accounts: Accounts | null = null,
    shared?: SharedCounters,
  ) {
    if (shared) {
      if (!accounts) throw new RangeError('shared counters need the population they count for');
      const { contacts, posts, profiles } = shared;
      if (
        (contacts && contacts.length !== accounts.contacts.items.length) ||
        (posts && posts.length !== accounts.users) ||
        (profiles && profiles.length !== accounts.users)
      ) {
        throw new RangeError('the shared counters were made for another population');
      }
      this.contacts = shared.contacts;
      this.posts = shared.posts;
      this.profiles = shared.profiles;
    }
  }

  /**
   * Conversations with at least one message (from either side). With shared counters,
   * a conversation another thread's shard opened may be counted or not: a diagnostic only.
   */
  get conversations(): number {
    return this.started;
  }

  /**
   * One more message from `sender` to `recipient` in `conversation` (-1 on a public
   * surface): its nonce counter, 1 for the first. On a public surface the count itself;
   * in a DM 2n - 1 for the lower account's n-th message and 2n for the higher's.
   */
  next(conversation: number, sender: number, recipient: number): number {
    if (conversation < 0) return this.nextPublic(conversation);
    const side = sender < recipient ? 0 : 1;
    const at = this.accounts === null ? -1 : this.accounts.contacts.find(sender, recipient);
    let n: number;
    if (at < 0) {
      n = this.others.add(4 * conversation + 2 * side, 1);
      if (n === 1 && this.others.get(4 * conversation + 2 * (1 - side)) === undefined) this.started++;
    } else {
      const counts = (this.contacts ??= new Uint32Array((this.accounts as Accounts).contacts.items.length));
      n = (counts[at] as number) + 1;
      if (n > MAX_COUNT) throw new RangeError('a conversation passed 2^32 - 1 messages');
      counts[at] = n;
      if (n === 1 && !((counts[(this.accounts as Accounts).contacts.find(recipient, sender)] as number) > 0)) this.started++;
    }
    if (n > MAX_COUNT) throw new RangeError('a conversation passed 2^32 - 1 messages');
    return 2 * n - 1 + side;
  }

  private nextPublic(conversation: number): number {
    const accounts = this.accounts;
    if (accounts === null) return this.bump(this.others, -2 * conversation - 1);
    const code = -conversation;
    const sender = Math.floor(code / 4) - 1;
    const counts = code % 4 === 1 ? (this.posts ??= new Uint32Array(accounts.users)) : (this.profiles ??= new Uint32Array(accounts.users));
    const n = (counts[sender] as number) + 1;
    if (n > MAX_COUNT) throw new RangeError('a conversation passed 2^32 - 1 messages');
    if (n === 1) this.started++;
    counts[sender] = n;
    return n;
  }

  private bump(map: NumberMap, key: number): number {
    const n = map.add(key, 1);
    if (n > MAX_COUNT) throw new RangeError('a conversation passed 2^32 - 1 messages');
    if (n === 1) this.started++;
    return n;
  }
}
