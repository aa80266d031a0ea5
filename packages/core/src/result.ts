/**
 * The result document: the contract analysts and CI scripts rely on. It is the join of
 * the reporter's state with the evaluation ledger. Everything but `timing` is a
 * function of (scenario, seed).
 */
import type { Scenario } from './scenario';
import type { ReporterState } from './reporter';
import type { Route } from './types';
import { ROUTES } from './types';

/** The ground truth the join needs, as the ledger records it. */
export interface LedgerView {
  offenders: { sharer: number[]; groomer: number[] };
  abusiveMessages: { knownImage: number; grooming: number };
  abusiveEncrypted: number;
  messages: number;
  encrypted: number;
  userReports: number;
}

export interface Timing {
  transport: 'embedded' | 'bullmq';
  wallSeconds: number;
  messagesPerSecond: number;
}

type PerRoute = Record<Route, number>;

export interface RunResult {
  scenario: { name: string; file: string; seed: number };
  messages: { total: number; encrypted: number; scanned: number; unscannable: number; deadLettered: number };
  detections: PerRoute;
  reports: {
    /** Reports filed to police, all routes. */
    total: number;
    /** Reports filed per simulated day (index 0 = day 1). */
    perDay: number[];
    truePositive: number;
    falsePositive: number;
    byRoute: PerRoute;
    falsePositiveByRoute: PerRoute;
  };
  offenders: {
    total: number;
    /** Offenders with at least one report. */
    reported: number;
    byKind: { sharer: { total: number; reported: number }; groomer: { total: number; reported: number } };
  };
  /** Innocent accounts with at least one report. */
  innocentReported: number;
  abuse: { knownImage: number; grooming: number; encrypted: number };
  review: { capacityPerDay: number; flags: number; reviewed: number; confirmed: number; rejected: number; backlogAtEnd: number };
  /** Consistency problems found while joining; empty on a sound run. */
  warnings: string[];
  timing: Timing;
}

const zero = (): PerRoute => ({ hashMatch: 0, metadata: 0, userReport: 0 });

export function buildResult(
  scenario: Scenario,
  file: string,
  state: ReporterState,
  ledger: LedgerView,
  timing: Timing,
): RunResult {
  const kindOf = new Map<number, 'sharer' | 'groomer'>();
  for (const a of ledger.offenders.sharer) kindOf.set(a, 'sharer');
  for (const a of ledger.offenders.groomer) kindOf.set(a, 'groomer');

  const byRoute = zero();
  const fpByRoute = zero();
  let tp = 0;
  let fp = 0;
  const reportedAccounts = new Set<number>();
  const keys = Object.keys(state.filed).sort();
  for (const key of keys) {
    const r = state.filed[key];
    if (!r) continue;
    byRoute[r.route]++;
    reportedAccounts.add(r.account);
    if (kindOf.has(r.account)) tp++;
    else {
      fp++;
      fpByRoute[r.route]++;
    }
  }
  const byKind = {
    sharer: { total: ledger.offenders.sharer.length, reported: 0 },
    groomer: { total: ledger.offenders.groomer.length, reported: 0 },
  };
  let innocentReported = 0;
  for (const a of reportedAccounts) {
    const kind = kindOf.get(a);
    if (kind) byKind[kind].reported++;
    else innocentReported++;
  }

  const warnings: string[] = [];
  if (!state.done) warnings.push('the final batch was never applied: the run is incomplete');
  if (state.messages.total !== ledger.messages) {
    warnings.push(`${ledger.messages} messages generated but ${state.messages.total} accounted for by the scanner`);
  }
  if (state.messages.encrypted !== ledger.encrypted) {
    warnings.push(`${ledger.encrypted} messages encrypted by clients but ${state.messages.encrypted} seen encrypted by the scanner`);
  }
  if (state.detections.userReport !== ledger.userReports) {
    warnings.push(`${ledger.userReports} user reports made but ${state.detections.userReport} received`);
  }

  return {
    scenario: { name: scenario.name, file, seed: scenario.seed },
    messages: { ...state.messages, total: ledger.messages },
    detections: { ...state.detections },
    reports: {
      total: tp + fp,
      perDay: [...state.perDay],
      truePositive: tp,
      falsePositive: fp,
      byRoute,
      falsePositiveByRoute: fpByRoute,
    },
    offenders: {
      total: kindOf.size,
      reported: byKind.sharer.reported + byKind.groomer.reported,
      byKind,
    },
    innocentReported,
    abuse: { ...ledger.abusiveMessages, encrypted: ledger.abusiveEncrypted },
    review: {
      capacityPerDay: scenario.review.capacityPerDay,
      ...state.review,
      backlogAtEnd: state.backlog.length,
    },
    warnings,
    timing,
  };
}

export { ROUTES };
