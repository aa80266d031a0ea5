/**
 * The evaluation ledger: ground truth, written by the generator and read only by the
 * reporter's final join. No detecting stage reads it.
 */
import type { LedgerView } from '../result';

export type AbuseType = 'knownImage' | 'grooming';
export type OffenderKind = 'sharer' | 'groomer';
export type Ledger = LedgerView;

export function emptyLedger(): Ledger {
  return {
    offenders: { sharer: [], groomer: [] },
    abusiveMessages: { knownImage: 0, grooming: 0 },
    abusiveEncrypted: 0,
    messages: 0,
    encrypted: 0,
    userReports: 0,
  };
}
