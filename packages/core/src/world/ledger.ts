/**
 * The evaluation ledger: ground truth, written by the generator and read only by the
 * reporter's final join. No detecting stage reads it.
 */
import type { LedgerView } from '../result';

export type AbuseType = 'knownImage' | 'newImage' | 'grooming';
export type Ledger = LedgerView;

export function emptyLedger(): Ledger {
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
