/**
 * The evaluation ledger: ground truth, written by the generator and read only by the
 * reporter's final join. No detecting stage reads it.
 */
import type { LedgerView } from '../result';
import type { Envelope } from '../types';
import type { AbuseKind } from '../vocabulary';
import type { Population } from './population';

export type Ledger = LedgerView;

function emptyLedger(): Ledger {
  return {
    offenders: { sharer: [], producer: [], groomer: [] },
    mentors: [],
    abusiveMessages: { knownImage: 0, newImage: 0, grooming: 0 },
    abusiveIds: { knownImage: [], newImage: [], grooming: [] },
    abusiveEncrypted: 0,
    firstAbuse: [],
    messages: 0,
    encrypted: 0,
    userReports: 0,
    forgedReports: 0,
    blocks: 0,
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

  constructor(private readonly population: Population) {
    const p = population;
    this.readable = new Uint8Array(p.users);
    this.abused = new Uint8Array(p.users);
    this.ledger.offenders.sharer = [...p.sharers];
    this.ledger.offenders.producer = [...p.producers];
    this.ledger.offenders.groomer = [...p.groomers];
    this.ledger.mentors = [...p.mentors];
  }

  /** A message entered the stream (its id set); `abusive` is its ground truth. */
  message(e: Envelope, abusive: AbuseKind | null): void {
    const ledger = this.ledger;
    ledger.messages++;
    if (e.encrypted) ledger.encrypted++;
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

  /** The stream is over: how many innocent accounts the platform could read a DM of, of how many. */
  close(): void {
    const p = this.population;
    let senders = 0;
    let readable = 0;
    for (let a = 0; a < p.users; a++) {
      if (p.isOffender(a)) continue;
      senders++;
      if (this.readable[a]) readable++;
    }
    this.ledger.privacy.innocentUsersExposed = readable;
    this.ledger.privacy.innocentUsers = senders;
  }
}
