/**
 * The result document: the contract analysts and CI scripts rely on. It is the join of
 * the reporter's state with the evaluation ledger. Everything but `timing` is a
 * function of (scenario, seed).
 */
import type { Scenario } from './scenario';
import type { ReporterState } from './reporter';
import { zeroRoutes, type Route } from './routes';
import { ABUSE_KINDS, ABUSE_OF_OFFENDER, OFFENDER_KINDS, type AbuseKind, type OffenderKind } from './vocabulary';
import { Random } from './random';
import { percentile } from './stats';
import { sortedHas } from './tables';

/** What the platform's protections for minors (scenario `protections`) did in the run. */
export interface ProtectionCounts {
  /** DMs from adults to unconnected minors refused because the minor had not accepted the message request (teen DM limit). */
  refusedRequests: number;
  /** Such DMs refused because minors had blocked the adult (restrictions). */
  restrictedMessages: number;
  /** Ground truth: of the refused DMs (both kinds), the abusive ones. */
  refusedAbusive: number;
  /** Adults restricted during the run (blocked by restrictions.minBlocks distinct minors). */
  restrictedAccounts: number;
  /** Ground truth: of those, accounts of no offender (teachers and coaches, ordinary adults). */
  restrictedInnocent: number;
  /** Abusive DMs from unconnected adults whose minor recipient saw a safety notice. */
  prompted: number;
  /** Reports and blocks those prompted minors made within the run. */
  promptedReports: number;
  promptedBlocks: number;
}

/** The ground truth the join needs, as the ledger records it. */
export interface LedgerView {
  offenders: Record<OffenderKind, number[]>;
  /** Innocent look-alikes (teachers, coaches). */
  mentors: number[];
  /** Innocent accounts that forwarded a viral abuse image, ascending. */
  viralSharers: number[];
  /** Offenders' accounts opened on coming back after an earlier account ended. */
  offenderReturns: number;
  abusiveMessages: Record<AbuseKind, number>;
  /** Ids of the abusive messages, by type (for recall). */
  abusiveIds: Record<AbuseKind, number[]>;
  abusiveEncrypted: number;
  /** (account, time) of each offender's first abusive message. */
  firstAbuse: [number, number][];
  messages: number;
  encrypted: number;
  /** Genuine user reports made, forged ones made, and blocks. */
  userReports: number;
  forgedReports: number;
  blocks: number;
  /** What the protections for minors did. */
  protections: ProtectionCounts;
  privacy: {
    /** Private messages (DMs) sent by innocent accounts that the platform could read. */
    readableInnocentMessages: number;
    /** Innocent accounts with at least one private message the platform could read, of all innocent accounts. */
    innocentUsersExposed: number;
    innocentUsers: number;
  };
}

export interface ReportEntry {
  account: number;
  /** Routes confirmed by review, in the order they were. */
  routes: Route[];
  /** Simulated hours: when it was filed, and the first and last detection behind it. */
  filedAtHours: number;
  firstDetectionHours: number;
  lastDetectionHours: number;
  /** Detections per route attached to the report. */
  evidence: Partial<Record<Route, number>>;
  /** Ground truth: the offender archetype, `mentor` for a teacher or coach, `viral` for an innocent account that forwarded a viral abuse image, else `innocent`. */
  truth: OffenderKind | 'mentor' | 'viral' | 'innocent';
  investigated: boolean;
}

export interface Timing {
  transport: 'embedded' | 'bullmq';
  wallSeconds: number;
  messagesPerSecond: number;
}

type PerRoute = Record<Route, number>;
type PerAbuse = Record<AbuseKind, number>;

export interface RunResult {
  scenario: { name: string; file: string; seed: number };
  messages: { total: number; encrypted: number; scanned: number; unscannable: number; deadLettered: number };
  /** Detection events per route, before review. */
  detections: PerRoute;
  reports: {
    /** Reports to police (one per account, CyberTip-like), all routes. */
    total: number;
    /** Reports filed per simulated day (index 0 = day 1). */
    perDay: number[];
    /** Reports about offenders, and about innocent accounts. */
    truePositive: number;
    falsePositive: number;
    /** Reports each route had a confirmed part in (a report can count under several routes). */
    byRoute: PerRoute;
    /** The route that got each report filed first (sums to total). */
    byFirstRoute: PerRoute;
    falsePositiveByRoute: PerRoute;
    /** Reports by the reported offender's abuse type; `none` for innocent accounts. */
    byAbuseType: PerAbuse & { none: number };
    /** Route reports confirmed by review: (account, route) pairs. */
    routeReports: PerRoute;
    /** Every report to police, by account (CyberTip-like), joined with the ground truth. */
    list: ReportEntry[];
  };
  /** Share of abusive messages of each type that some content route or a user report detected. */
  recall: Record<AbuseKind, number | null>;
  offenders: {
    /** Offenders' accounts open at some time of the run. */
    total: number;
    /** Offenders' accounts with a report. */
    reported: number;
    /** Offenders' accounts opened during or just before the run by an offender coming back after an earlier account ended. */
    returns: number;
    byKind: Record<OffenderKind, { total: number; reported: number }>;
  };
  /** Innocent accounts reported, in all, among the look-alikes (teachers, coaches), and among those who forwarded a viral abuse image. */
  innocentReported: number;
  lookalikesReported: number;
  viralSharersReported: number;
  /** Hours from an offender's first abusive message to their report (reported offenders only). */
  timeToReport: { reported: number; medianHours: number | null; p90Hours: number | null };
  abuse: PerAbuse & { encrypted: number };
  userReports: { made: number; forged: number; received: number; accepted: number; rejected: number };
  clientSideScanning: { vouchers: number; matched: number; opened: number; accountsOpened: number; innocentAccountsOpened: number };
  privacy: {
    /** Private messages (DMs) of innocent accounts the platform could read. */
    readableInnocentMessages: number;
    /** Innocent accounts with at least one readable private message, of all innocent accounts. */
    innocentUsersExposed: number;
    innocentUsers: number;
    /** Innocent accounts whose content or pattern a human reviewer looked at. */
    innocentAccountsReviewed: number;
  };
  review: {
    capacityPerDay: number;
    flags: number;
    flagsPerDay: number[];
    reviewed: number;
    confirmed: number;
    rejected: number;
    backlogAtEnd: number;
  };
  referrals: { referred: number; investigated: number; offendersInvestigated: number };
  /** What the platform's protections for minors did: messages refused, accounts restricted, safety notices and the reactions to them. */
  protections: ProtectionCounts;
  /** Consistency problems found while joining; empty on a sound run. */
  warnings: string[];
  timing: Timing;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

export function buildResult(scenario: Scenario, file: string, state: ReporterState, detected: Iterable<number>, ledger: LedgerView, timing: Timing): RunResult {
  const kindOf = new Map<number, OffenderKind>();
  for (const k of OFFENDER_KINDS) for (const a of ledger.offenders[k]) kindOf.set(a, k);
  const mentors = new Set(ledger.mentors);
  const firstAbuse = new Map(ledger.firstAbuse);

  const byRoute = zeroRoutes();
  const byFirstRoute = zeroRoutes();
  const fpByRoute = zeroRoutes();
  const byAbuseType = { ...(Object.fromEntries(ABUSE_KINDS.map((k) => [k, 0])) as PerAbuse), none: 0 };
  const byKind = Object.fromEntries(OFFENDER_KINDS.map((k) => [k, { total: ledger.offenders[k].length, reported: 0 }])) as RunResult['offenders']['byKind'];
  let tp = 0;
  let fp = 0;
  let lookalikes = 0;
  let viral = 0;
  let investigated = 0;
  let offendersInvestigated = 0;
  const delays: number[] = [];
  const list: ReportEntry[] = [];
  const hours = (t: number) => Math.round((t / 3600) * 100) / 100;
  const accounts = Object.keys(state.tips)
    .map(Number)
    .sort((a, b) => a - b);
  for (const account of accounts) {
    const tip = state.tips[String(account)];
    if (!tip) continue;
    for (const r of new Set(tip.routes)) byRoute[r]++;
    const first = tip.routes[0] as Route;
    byFirstRoute[first]++;
    const kind = kindOf.get(account);
    // Police investigate a share of referrals; the draw is per account, so it does not
    // depend on the order reports were filed in.
    const isInvestigated = Random.derive(scenario.seed, `referral:${account}`).next() < scenario.referral.investigationRate;
    if (isInvestigated) investigated++;
    list.push({
      account,
      routes: [...tip.routes],
      filedAtHours: hours(tip.filedAt),
      firstDetectionHours: hours(tip.firstDetection),
      lastDetectionHours: hours(tip.lastDetection),
      evidence: { ...tip.evidence },
      truth: kind ?? (mentors.has(account) ? 'mentor' : sortedHas(ledger.viralSharers, account) ? 'viral' : 'innocent'),
      investigated: isInvestigated,
    });
    if (kind) {
      tp++;
      byKind[kind].reported++;
      byAbuseType[ABUSE_OF_OFFENDER[kind]]++;
      if (isInvestigated) offendersInvestigated++;
      const start = firstAbuse.get(account);
      if (start !== undefined) delays.push((tip.filedAt - start) / 3600);
    } else {
      fp++;
      byAbuseType.none++;
      if (mentors.has(account)) lookalikes++;
      if (sortedHas(ledger.viralSharers, account)) viral++;
      for (const r of new Set(tip.routes)) fpByRoute[r]++;
    }
  }
  const routeReports = zeroRoutes();
  for (const key of Object.keys(state.confirmed)) routeReports[key.slice(key.indexOf(':') + 1) as Route]++;

  // Every detected id (with repeats), sorted and searched: 8 bytes an id, however many
  // (a Set holds at most 2^24).
  const seen = Float64Array.from(detected).sort();
  const recall = Object.fromEntries(
    ABUSE_KINDS.map((k) => {
      const ids = ledger.abusiveIds[k];
      if (ids.length === 0) return [k, null];
      let hit = 0;
      for (const id of ids) if (sortedHas(seen, id)) hit++;
      return [k, round(hit / ids.length)];
    }),
  ) as Record<AbuseKind, number | null>;

  delays.sort((a, b) => a - b);
  const median = percentile(delays, 0.5);
  const p90 = percentile(delays, 0.9);

  let innocentReviewed = 0;
  for (const a of Object.keys(state.reviewed)) if (!kindOf.has(Number(a))) innocentReviewed++;
  let innocentOpened = 0;
  for (const [a, acc] of Object.entries(state.css)) if (acc.open && !kindOf.has(Number(a))) innocentOpened++;

  const warnings: string[] = [];
  if (!state.done) warnings.push('the final batch was never applied: the run is incomplete');
  if (state.messages.total !== ledger.messages) {
    warnings.push(`${ledger.messages} messages generated but ${state.messages.total} accounted for by the scanner`);
  }
  if (state.messages.encrypted !== ledger.encrypted) {
    warnings.push(`${ledger.encrypted} messages encrypted by clients but ${state.messages.encrypted} seen encrypted by the scanner`);
  }
  const reportsMade = ledger.userReports + ledger.forgedReports;
  if (state.userReports.received !== reportsMade) warnings.push(`${reportsMade} user reports made but ${state.userReports.received} received`);

  const offenderTotal = kindOf.size;
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
      byFirstRoute,
      falsePositiveByRoute: fpByRoute,
      byAbuseType,
      routeReports,
      list,
    },
    recall,
    offenders: { total: offenderTotal, reported: tp, returns: ledger.offenderReturns, byKind },
    innocentReported: fp,
    lookalikesReported: lookalikes,
    viralSharersReported: viral,
    timeToReport: {
      reported: delays.length,
      medianHours: median === null ? null : round(median, 1),
      p90Hours: p90 === null ? null : round(p90, 1),
    },
    abuse: { ...ledger.abusiveMessages, encrypted: ledger.abusiveEncrypted },
    userReports: {
      made: ledger.userReports,
      forged: ledger.forgedReports,
      received: state.userReports.received,
      accepted: state.userReports.accepted,
      rejected: state.userReports.rejected,
    },
    clientSideScanning: {
      vouchers: state.vouchers.received,
      matched: state.vouchers.matched,
      opened: state.vouchers.opened,
      accountsOpened: state.vouchers.accountsOpened,
      innocentAccountsOpened: innocentOpened,
    },
    privacy: { ...ledger.privacy, innocentAccountsReviewed: innocentReviewed },
    review: {
      capacityPerDay: scenario.review.capacityPerDay,
      flags: state.review.flags,
      flagsPerDay: [...state.flagsPerDay],
      reviewed: state.review.reviewed,
      confirmed: state.review.confirmed,
      rejected: state.review.rejected,
      backlogAtEnd: state.backlog.length,
    },
    referrals: { referred: tp + fp, investigated, offendersInvestigated },
    protections: { ...ledger.protections },
    warnings,
    timing,
  };
}
