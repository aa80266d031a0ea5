/**
 * The evaluation ledger: ground truth, written by the generator and read only by the
 * reporter's final join. No detecting stage reads it.
 */
import type { LedgerView } from '../result';
import type { Envelope } from '../types';
import { DAY } from '../types';
import type { AbuseKind } from '../vocabulary';
import type { Population } from './population';
import { addProtectionCounts, type ProtectionCounts, zeroProtectionCounts } from './protections';

export type Ledger = LedgerView;

/** A ledger with nothing in it yet. */
export function emptyLedger(): Ledger {
  return {
    offenders: { sharer: [], producer: [], groomer: [] },
    mentors: [],
    viralSharers: [],
    offenderReturns: 0,
    offenderReturnsAfterClosing: 0,
    abusiveMessages: { knownImage: 0, newImage: 0, grooming: 0 },
    abusiveIds: { knownImage: [], newImage: [], grooming: [] },
    abusiveEncrypted: 0,
    firstAbuse: [],
    messages: 0,
    encrypted: 0,
    messagesPerDay: [],
    encryptedPerDay: [],
    userReports: 0,
    forgedReports: 0,
    blocks: 0,
    protections: zeroProtectionCounts(),
    privacy: { readableInnocentMessages: 0, innocentUsersExposed: 0, innocentUsers: 0 },
  };
}

/** Keeps the ledger as the stream is made: who is who, every message, report and block in stream order. */
export class LedgerBook {
  readonly ledger: Ledger = emptyLedger();
  /** Innocent accounts with at least one DM the platform could read. */
  private readonly readable: Uint8Array;
  /** Accounts that have sent abuse (their first abusive message is in the ledger). */
  private readonly abused: Uint8Array;
  /** The id of each first abusive message in ledger.firstAbuse, in the same order. */
  readonly firstAbuseIds: number[] = [];

  /** `on`: the accounts on the run's platform (a world of several platforms: see platforms.ts); every account by default. */
  constructor(
    private readonly population: Population,
    private readonly on: (account: number) => boolean = () => true,
  ) {
    const p = population;
    this.readable = new Uint8Array(p.users);
    this.abused = new Uint8Array(p.users);
    this.ledger.mentors = p.mentors.filter(on);
  }

  /** The offenders' accounts the run opened (a closing may open some, or none, of those kept past its end), and how many of them came back. */
  private offenders(): void {
    const p = this.population;
    const opened = (a: number) => this.on(a) && p.created(a) !== Number.POSITIVE_INFINITY;
    this.ledger.offenders.sharer = p.sharers.filter(opened);
    this.ledger.offenders.producer = p.producers.filter(opened);
    this.ledger.offenders.groomer = p.groomers.filter(opened);
    this.ledger.offenderReturns = 0;
    this.ledger.offenderReturnsAfterClosing = 0;
    for (const list of Object.values(this.ledger.offenders)) {
      for (const a of list) {
        const before = p.previousAccount(a);
        if (before === -2) continue;
        this.ledger.offenderReturns++;
        // The account before closed sooner than it would have of itself: the platform closed it.
        if (before >= 0 && p.closed(before) !== p.closedAt[before]) this.ledger.offenderReturnsAfterClosing++;
      }
    }
  }

  /** A message entered the stream (its id set); `abusive` is its ground truth. */
  message(e: Envelope, abusive: AbuseKind | null): void {
    const ledger = this.ledger;
    ledger.messages++;
    const day = Math.floor(e.t / DAY);
    bump(ledger.messagesPerDay, day);
    if (e.encrypted) {
      ledger.encrypted++;
      bump(ledger.encryptedPerDay, day);
    }
    // Privacy exposure: private messages (DMs) of innocent users that the platform can read.
    if (e.surface === 'dm' && !this.population.isOffender(e.sender) && !e.encrypted) {
      ledger.privacy.readableInnocentMessages++;
      this.readable[e.sender] = 1;
    }
    if (abusive) {
      ledger.abusiveMessages[abusive]++;
      ledger.abusiveIds[abusive].push(e.id);
      if (e.encrypted) ledger.abusiveEncrypted++;
      if (!this.abused[e.sender]) {
        this.abused[e.sender] = 1;
        ledger.firstAbuse.push([e.sender, e.t]);
        this.firstAbuseIds.push(e.id);
      }
    }
  }

  userReport(): void {
    this.ledger.userReports++;
  }

  forgedReport(): void {
    this.ledger.forgedReports++;
  }

  block(): void {
    this.ledger.blocks++;
  }

  /**
   * The stream is over: how many innocent accounts the platform could read a DM of, of
   * how many (every account slot but the spare ones is open at some time of the run), and which innocent
   * accounts forwarded abuse; counting only the accounts `owns` (a book that saw only
   * some shards' messages). `protections`: what the protections of the shards it numbered
   * did (each shard's counts, see WorldShard.protectionCounts).
   */
  close(protections: readonly ProtectionCounts[], owns: (account: number) => boolean = () => true): void {
    for (const c of protections) addProtectionCounts(this.ledger.protections, c);
    this.offenders();
    const p = this.population;
    let senders = 0;
    let readable = 0;
    for (let a = 0; a < p.users; a++) {
      if (p.isOffender(a) || !owns(a) || !this.on(a)) continue;
      if (this.abused[a]) this.ledger.viralSharers.push(a);
      if (p.created(a) === Number.POSITIVE_INFINITY) continue;
      senders++;
      if (this.readable[a]) readable++;
    }
    this.ledger.privacy.innocentUsersExposed = readable;
    this.ledger.privacy.innocentUsers = senders;
  }
}

/** One more in `series[day]`, the days before it counted as zero where they had none. */
function bump(series: number[], day: number): void {
  while (series.length <= day) series.push(0);
  series[day] = (series[day] as number) + 1;
}

/** Adds series `from` into `to`, day by day (the longer one's length). */
function addSeries(to: number[], from: readonly number[]): void {
  from.forEach((n, day) => {
    while (to.length <= day) to.push(0);
    to[day] = (to[day] as number) + n;
  });
}

/** What a LedgerBook kept of some shards' messages, once closed: merged with the other shards' by mergeLedgers. */
export interface LedgerPart {
  ledger: Ledger;
  firstAbuseIds: number[];
}

/** The ledger of a whole stream from the closed ledgers of its shards (each shard in exactly one part). */
export function mergeLedgers(parts: readonly LedgerPart[]): Ledger {
  const first = parts[0];
  if (!first) throw new RangeError('no ledger to merge');
  const out = emptyLedger();
  out.offenders = first.ledger.offenders;
  out.mentors = first.ledger.mentors;
  out.offenderReturns = first.ledger.offenderReturns;
  out.offenderReturnsAfterClosing = first.ledger.offenderReturnsAfterClosing;
  const firsts: Array<{ id: number; entry: [number, number] }> = [];
  for (const { ledger: l, firstAbuseIds } of parts) {
    for (const kind of Object.keys(out.abusiveMessages) as (keyof Ledger['abusiveMessages'])[]) {
      out.abusiveMessages[kind] += l.abusiveMessages[kind];
      for (const id of l.abusiveIds[kind]) out.abusiveIds[kind].push(id);
    }
    out.abusiveEncrypted += l.abusiveEncrypted;
    l.firstAbuse.forEach((entry, i) => {
      firsts.push({ id: firstAbuseIds[i] as number, entry });
    });
    out.messages += l.messages;
    out.encrypted += l.encrypted;
    addSeries(out.messagesPerDay, l.messagesPerDay);
    addSeries(out.encryptedPerDay, l.encryptedPerDay);
    out.userReports += l.userReports;
    out.forgedReports += l.forgedReports;
    out.blocks += l.blocks;
    addProtectionCounts(out.protections, l.protections);
    for (const a of l.viralSharers) out.viralSharers.push(a);
    out.privacy.readableInnocentMessages += l.privacy.readableInnocentMessages;
    out.privacy.innocentUsersExposed += l.privacy.innocentUsersExposed;
    out.privacy.innocentUsers += l.privacy.innocentUsers;
  }
  for (const ids of Object.values(out.abusiveIds)) ids.sort((a, b) => a - b);
  out.viralSharers.sort((a, b) => a - b);
  out.firstAbuse = firsts.sort((a, b) => a.id - b.id).map((f) => f.entry);
  return out;
}
