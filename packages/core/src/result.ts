/**
 * The result document: the contract analysts and CI scripts rely on. It is the join of
 * the reporter's state with the evaluation ledger. Everything but `timing` is a
 * function of (scenario, seed).
 */
import { type RolloutSummary, rolloutSummary } from './rollout-summary';
import type { Scenario } from './scenario';
import { closingsOf, DETECTED_ROUTE_SLOTS, flagRecordOf, type Incident, type ReporterState } from './reporter';
import { DAY } from './types';
import { ROUTES, routeOfKind, zeroRoutes, type Route } from './routes';
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
  /** Of those, the ones whose earlier account the platform closed (enforcement). */
  offenderReturnsAfterClosing: number;
  abusiveMessages: Record<AbuseKind, number>;
  /** Ids of the abusive messages, by type (for recall). */
  abusiveIds: Record<AbuseKind, number[]>;
  abusiveEncrypted: number;
  /** (account, time) of each offender's first abusive message. */
  firstAbuse: [number, number][];
  messages: number;
  encrypted: number;
  /** Messages, and encrypted messages, sent each simulated day (index 0 = day 1; days after the last with any may be missing). */
  messagesPerDay: number[];
  encryptedPerDay: number[];
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

/** Ground truth about an account: the offender archetype, `mentor` for a teacher or coach, `viral` for an innocent account that forwarded a viral abuse image, else `innocent`. */
export type Truth = OffenderKind | 'mentor' | 'viral' | 'innocent';

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
  truth: Truth;
  /** Police opened an investigation of the account (during the run). */
  investigated: boolean;
  /** Simulated hours: the offender's first abusive message (reported offenders only; what timeToReport measures from). */
  firstAbuseHours?: number;
  /** The platform that filed it, in a world of several platforms. */
  platform?: string;
}

/** One incident (CyberTip) as the platform filed it, joined with the ground truth and what police did with it. */
export interface IncidentEntry {
  account: number;
  /** 1, 2, ... for the account's incidents. */
  n: number;
  routes: Route[];
  filedAtHours: number;
  firstDetectionHours: number;
  lastDetectionHours: number;
  evidence: Partial<Record<Route, number>>;
  /** The one hash-bank entry all of its evidence matched, or null. */
  bankEntry: number | null;
  /** Folded into an earlier incident of the same bank entry (NCMEC-style bundling of viral content). */
  bundled: boolean;
  /** Filed during the burn-in days: in the per-day series, not in the headline counts. */
  burnIn: boolean;
  truth: Truth;
  /** Police triage judged it criminally relevant. */
  relevant: boolean;
  /** It opened an investigation, or joined one already open for the account. */
  investigated: boolean;
  /** The investigation it belongs to ended in an arrest. */
  arrested: boolean;
  /** The platform that filed it, in a world of several platforms. */
  platform?: string;
}

export interface Timing {
  transport: 'embedded' | 'bullmq';
  wallSeconds: number;
  messagesPerSecond: number;
}

type PerRoute = Record<Route, number>;
/** The scenario's surface blocks. */
export type SurfaceBlock = keyof Scenario['surfaces'];
type PerAbuse = Record<AbuseKind, number>;

export interface RunResult {
  scenario: { name: string; file: string; seed: number };
  /** Days at the start left out of the headline counts (see README "Burn-in"). */
  burnInDays: number;
  /** Each surface's encryption as the scenario sets it: when its rollout starts and over how many days (see messages.encryptedPerDay). */
  surfaces: Record<SurfaceBlock, { encryption: 'none' | 'e2ee'; fromDay: number; rampDays: number }>;
  /** CyberTips a day before a rollout of encryption, since its start and once complete (rollout-summary.ts); null without a rollout after the burn-in. */
  rollout: RolloutSummary | null;
  messages: {
    total: number;
    encrypted: number;
    scanned: number;
    unscannable: number;
    deadLettered: number;
    /** Messages sent per simulated day (index 0 = day 1), and those of them end-to-end encrypted: a rollout shows here. */
    perDay: number[];
    encryptedPerDay: number[];
    /** The same per 30-day month (index 0 = days 1-30; a last, shorter month holds the days left). */
    perMonth: number[];
    encryptedPerMonth: number[];
  };
  /** Detection events per route, before review. */
  detections: PerRoute;
  reports: {
    /** Reports to police (one per account, CyberTip-like), all routes. */
    total: number;
    /** Reports filed per simulated day (index 0 = day 1). */
    perDay: number[];
    /** Reports filed per 30-day month (index 0 = days 1-30; a last, shorter month holds the days left). */
    perMonth: number[];
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
  /**
   * Enforcement, over the whole run (burn-in included): accounts the platform closed
   * because it reported them (closing within the run), offenders' and innocent ones, and
   * offenders' accounts opened on coming back after such a closing.
   */
  enforcement: { closed: number; offendersClosed: number; innocentClosed: number; returnsAfterClosing: number };
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
    /** Flags per 30-day month, as reports.perMonth. */
    flagsPerMonth: number[];
    reviewed: number;
    confirmed: number;
    rejected: number;
    backlogAtEnd: number;
  };
  /** Reports referred (every incident the platform files), investigations opened and those of offenders; headline counts. */
  referrals: { referred: number; investigated: number; offendersInvestigated: number };
  /** CyberTips counted per incident (headline counts from day burnInDays on; per-day series over every day). */
  cyberTips: {
    /** Incidents as the platform files them. */
    reports: number;
    /** Incidents after NCMEC-style bundling of viral duplicates (reports − bundled). */
    incidents: number;
    /** Reports folded into an earlier incident of the same bank entry. */
    bundled: number;
    /** Unique accounts reported (equal to reports.total). */
    accounts: number;
    /** Reports filed per simulated day, and incidents after bundling (a bundle counts on the day its first report was filed). */
    reportsPerDay: number[];
    incidentsPerDay: number[];
    /** The same per 30-day month (as messages.perMonth): the series year-over-year NCMEC figures compare. */
    reportsPerMonth: number[];
    incidentsPerMonth: number[];
    /** Every incident, burn-in days included, in filing order (then account, then number). */
    list: IncidentEntry[];
  };
  /** Police: triage, a queue bounded by capacity, investigations and arrests (headline counts; per-day series over every day). */
  police: {
    capacityPerDay: number;
    /** Referrals (platform reports) received, and those triage judged criminally relevant. */
    referred: number;
    relevant: number;
    /** Investigations opened (at most one per account), those of offenders and of innocent accounts. */
    investigations: number;
    offendersInvestigated: number;
    innocentInvestigated: number;
    /** Investigations that ended in an arrest. */
    arrests: number;
    /** Relevant referrals still waiting when the run ended (over the whole run). */
    backlogAtEnd: number;
    /** Investigations opened per simulated day. */
    investigationsPerDay: number[];
  };
  /**
   * Per route: flags raised, those about abuse and flags confirmed by review (headline counts), and recall
   * per abuse type, over the whole run: the share of abusive messages of the type that this
   * route detected (0 for the metadata route, which points at no message; null where there
   * was no abuse of a type).
   */
  routes: Record<
    Route,
    {
      flags: number;
      /** Flags about abuse, as ground truth judges the message a reviewer judges by (its strongest evidence), or for the pattern route the account. */
      flagsAbusive: number;
      /** flagsAbusive / flags: precision before review; null without flags. */
      precision: number | null;
      confirmed: number;
      recall: Record<AbuseKind, number | null>;
    }
  >;
  /** What the platform's protections for minors did: messages refused, accounts restricted, safety notices and the reactions to them. */
  protections: ProtectionCounts;
  /** Consistency problems found while joining; empty on a sound run. */
  warnings: string[];
  timing: Timing;
  /**
   * In a world of several platforms (scenario `platforms`), each platform's key figures, in
   * the scenario's order; the headline figures above are then the world's (see
   * platform-results.ts). Absent for a world of one platform.
   */
  platforms?: PlatformSummary[];
}

/**
 * One platform's key figures in a world of several: its counts add up, over the
 * platforms, to the result's headline counts. Police investigations and arrests are
 * those of the world's one police queue that this platform's incidents opened.
 */
export interface PlatformSummary {
  name: string;
  /** Its surfaces' encryption, as its block (or the top-level one) sets it. */
  surfaces: RunResult['surfaces'];
  /** Its rollout of encryption, before and after (RunResult.rollout). */
  rollout: RolloutSummary | null;
  /** Its CyberTips per simulated day, as filed and after bundling (cyberTips.reportsPerDay and incidentsPerDay): the per-platform before and after. */
  cyberTipsPerDay: { reports: number[]; incidents: number[] };
  messages: { total: number; encrypted: number; scanned: number; unscannable: number; deadLettered: number };
  detections: PerRoute;
  reports: { total: number; truePositive: number; falsePositive: number; byRoute: PerRoute; byFirstRoute: PerRoute };
  offenders: { total: number; reported: number };
  /** The accounts its own reports closed (RunResult.enforcement). */
  enforcement: RunResult['enforcement'];
  innocentReported: number;
  lookalikesReported: number;
  cyberTips: { reports: number; incidents: number; bundled: number; accounts: number };
  /** Its incidents referred, and the investigations (of offenders) its incidents opened. */
  referrals: { referred: number; investigated: number; offendersInvestigated: number };
  /** Of the world's police: its relevant referrals, the investigations its incidents opened, their arrests, and its relevant referrals still waiting at the end. */
  police: Omit<RunResult['police'], 'capacityPerDay' | 'investigationsPerDay'>;
  /** Per route: flags raised and confirmed by its review. */
  routes: Record<Route, { flags: number; confirmed: number }>;
  review: { capacityPerDay: number; flags: number; reviewed: number; confirmed: number; rejected: number; backlogAtEnd: number };
  privacy: { readableInnocentMessages: number; innocentUsersExposed: number; innocentUsers: number; innocentAccountsReviewed: number };
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Days in a month of the per-month series. */
export const MONTH_DAYS = 30;

/** A per-day series summed by 30-day months: days 1-30, 31-60, ...; a last, shorter month holds the days left. */
export function perMonth(perDay: readonly number[]): number[] {
  const out = new Array<number>(Math.ceil(perDay.length / MONTH_DAYS)).fill(0);
  perDay.forEach((n, day) => {
    const m = Math.floor(day / MONTH_DAYS);
    out[m] = (out[m] as number) + n;
  });
  return out;
}

/** A series of `days` days from one whose last days may be missing; a day past the run counts in its last, as the reporter counts. */
function ofDays(series: readonly number[] | undefined, days: number): number[] {
  const out = new Array<number>(days).fill(0);
  (series ?? []).forEach((n, day) => {
    const d = Math.min(day, days - 1);
    out[d] = (out[d] as number) + n;
  });
  return out;
}

/** What the platform's closings did (RunResult.enforcement). */
function enforcementOf(scenario: Scenario, state: ReporterState, kindOf: ReadonlyMap<number, OffenderKind>, ledger: LedgerView): RunResult['enforcement'] {
  const end = scenario.durationDays * DAY;
  let closed = 0;
  let offendersClosed = 0;
  for (const c of closingsOf(scenario, state, 0, scenario.durationDays)) {
    if (c.t >= end) continue;
    closed++;
    if (kindOf.has(c.account)) offendersClosed++;
  }
  return { closed, offendersClosed, innocentClosed: closed - offendersClosed, returnsAfterClosing: ledger.offenderReturnsAfterClosing };
}

export function buildResult(scenario: Scenario, file: string, state: ReporterState, detected: Iterable<number>, ledger: LedgerView, timing: Timing): RunResult {
  const kindOf = new Map<number, OffenderKind>();
  for (const k of OFFENDER_KINDS) for (const a of ledger.offenders[k]) kindOf.set(a, k);
  const mentors = new Set(ledger.mentors);
  const truthOf = (account: number): Truth =>
    kindOf.get(account) ?? (mentors.has(account) ? 'mentor' : sortedHas(ledger.viralSharers, account) ? 'viral' : 'innocent');
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
  const from = scenario.burnInDays * DAY;
  const counted = (filedAt: number) => filedAt > from;
  const tips = incidentsOf(scenario, state, truthOf);
  const investigatedAccounts = new Set(tips.list.filter((e) => e.investigated).map((e) => e.account));
  const accounts = Object.keys(state.tips)
    .map(Number)
    .sort((a, b) => a - b);
  for (const account of accounts) {
    const tip = state.tips[String(account)];
    if (!tip || !counted(tip.filedAt)) continue;
    for (const r of new Set(tip.routes)) byRoute[r]++;
    const first = tip.routes[0] as Route;
    byFirstRoute[first]++;
    const kind = kindOf.get(account);
    const isInvestigated = investigatedAccounts.has(account);
    const entry: ReportEntry = {
      account,
      routes: [...tip.routes],
      filedAtHours: hours(tip.filedAt),
      firstDetectionHours: hours(tip.firstDetection),
      lastDetectionHours: hours(tip.lastDetection),
      evidence: { ...tip.evidence },
      truth: truthOf(account),
      investigated: isInvestigated,
    };
    list.push(entry);
    if (kind) {
      tp++;
      byKind[kind].reported++;
      byAbuseType[ABUSE_OF_OFFENDER[kind]]++;
      const start = firstAbuse.get(account);
      if (start !== undefined) {
        delays.push((tip.filedAt - start) / 3600);
        entry.firstAbuseHours = hours(start);
      }
    } else {
      fp++;
      byAbuseType.none++;
      const truth = truthOf(account);
      if (truth === 'mentor') lookalikes++;
      if (truth === 'viral') viral++;
      for (const r of new Set(tip.routes)) fpByRoute[r]++;
    }
  }
  for (const i of tips.investigations) {
    if (i.day < scenario.burnInDays) continue;
    investigated++;
    if (kindOf.has(i.account)) offendersInvestigated++;
  }
  const routeReports = zeroRoutes();
  for (const key of Object.keys(state.confirmed)) routeReports[key.slice(key.indexOf(':') + 1) as Route]++;

  // Every detected entry (message id × slots + route, with repeats), sorted and searched:
  // 8 bytes an entry, however many (a Set holds at most 2^24). A message's entries are
  // next to each other, one per route that detected it.
  const seen = Float64Array.from(detected).sort();
  const detectedByAny = (id: number) => {
    const i = lowerBound(seen, id * DETECTED_ROUTE_SLOTS);
    return i < seen.length && (seen[i] as number) < (id + 1) * DETECTED_ROUTE_SLOTS;
  };
  const recallOf = (hit: (id: number) => boolean) =>
    Object.fromEntries(
      ABUSE_KINDS.map((k) => {
        const ids = ledger.abusiveIds[k];
        if (ids.length === 0) return [k, null];
        let n = 0;
        for (const id of ids) if (hit(id)) n++;
        return [k, round(n / ids.length)];
      }),
    ) as Record<AbuseKind, number | null>;
  const recall = recallOf(detectedByAny);
  // Flag records sort first (negative): per route, the flags about abuse.
  const flagsAbusive = zeroRoutes();
  const flagsRecorded = zeroRoutes();
  const abusive = (id: number) => ABUSE_KINDS.some((k) => sortedHas(ledger.abusiveIds[k], id));
  for (let i = 0; i < seen.length && (seen[i] as number) < 0; i++) {
    const { route, subject } = flagRecordOf(seen[i] as number);
    flagsRecorded[route]++;
    if (route === routeOfKind('pattern') ? kindOf.has(subject) : abusive(subject)) flagsAbusive[route]++;
  }
  const routeRecall = (route: Route) => {
    const slot = ROUTES.indexOf(route);
    return recallOf((id) => sortedHas(seen, id * DETECTED_ROUTE_SLOTS + slot));
  };

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
  if (state.done) {
    for (const r of ROUTES)
      if (flagsRecorded[r] !== state.routeFlags[r]) warnings.push(`${state.routeFlags[r]} ${r} flags raised but ${flagsRecorded[r]} recorded`);
  }
  const reportsMade = ledger.userReports + ledger.forgedReports;
  if (state.userReports.received !== reportsMade) warnings.push(`${reportsMade} user reports made but ${state.userReports.received} received`);

  const offenderTotal = kindOf.size;
  const messagesPerDay = ofDays(ledger.messagesPerDay, scenario.durationDays);
  const encryptedPerDay = ofDays(ledger.encryptedPerDay, scenario.durationDays);
  return {
    scenario: { name: scenario.name, file, seed: scenario.seed },
    burnInDays: scenario.burnInDays,
    surfaces: {
      directMessages: { ...scenario.surfaces.directMessages },
      publicPosts: { ...scenario.surfaces.publicPosts },
      profilePhotos: { ...scenario.surfaces.profilePhotos },
    },
    rollout: rolloutSummary(scenario, state.incidentsPerDay, tips.incidentsPerDay),
    messages: {
      ...state.messages,
      total: ledger.messages,
      perDay: messagesPerDay,
      encryptedPerDay,
      perMonth: perMonth(messagesPerDay),
      encryptedPerMonth: perMonth(encryptedPerDay),
    },
    detections: { ...state.detections },
    reports: {
      total: tp + fp,
      perDay: [...state.perDay],
      perMonth: perMonth(state.perDay),
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
    enforcement: enforcementOf(scenario, state, kindOf, ledger),
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
      flagsPerMonth: perMonth(state.flagsPerDay),
      reviewed: state.review.reviewed,
      confirmed: state.review.confirmed,
      rejected: state.review.rejected,
      backlogAtEnd: state.backlog.length,
    },
    referrals: { referred: tips.counts.reports, investigated, offendersInvestigated },
    cyberTips: {
      reports: tips.counts.reports,
      incidents: tips.counts.incidents,
      bundled: tips.counts.reports - tips.counts.incidents,
      accounts: tp + fp,
      reportsPerDay: [...state.incidentsPerDay],
      incidentsPerDay: tips.incidentsPerDay,
      reportsPerMonth: perMonth(state.incidentsPerDay),
      incidentsPerMonth: perMonth(tips.incidentsPerDay),
      list: tips.list,
    },
    police: {
      capacityPerDay: scenario.police.capacityPerDay,
      referred: tips.counts.reports,
      relevant: tips.counts.relevant,
      investigations: investigated,
      offendersInvestigated,
      innocentInvestigated: investigated - offendersInvestigated,
      arrests: tips.counts.arrests,
      backlogAtEnd: tips.backlogAtEnd,
      investigationsPerDay: tips.investigationsPerDay,
    },
    routes: Object.fromEntries(
      ROUTES.map((r) => [
        r,
        {
          flags: state.routeFlags[r],
          flagsAbusive: flagsAbusive[r],
          precision: flagsRecorded[r] === 0 ? null : round(flagsAbusive[r] / flagsRecorded[r]),
          confirmed: state.routeConfirmed[r],
          recall: routeRecall(r),
        },
      ]),
    ) as RunResult['routes'],
    protections: { ...ledger.protections },
    warnings,
    timing,
  };
}

/** An investigation police opened: the account, the day, and the incident (its index in the list) that opened it. */
export interface Investigation {
  account: number;
  day: number;
  arrested: boolean;
  opener: number;
}

/**
 * The incidents joined with the ground truth, bundled, and run through police: triage,
 * then the police queue (policeQueue). Every draw is keyed by account and incident
 * number, and the order is by filing time, account and number, so nothing depends on how
 * the stream was batched.
 */
function incidentsOf(scenario: Scenario, state: ReporterState, truthOf: (account: number) => Truth) {
  const isOffender = (account: number) => OFFENDER_KINDS.includes(truthOf(account) as OffenderKind);
  const { reporting, police, seed, durationDays, burnInDays } = scenario;
  const hours = (t: number) => Math.round((t / 3600) * 100) / 100;
  const dayFiled = (i: Incident) => Math.min(Math.max(Math.round(i.filedAt / DAY) - 1, 0), durationDays - 1);
  const sorted = [...state.incidents].sort((a, b) => a.filedAt - b.filedAt || a.account - b.account || a.n - b.n);
  const incidentsPerDay = new Array<number>(durationDays).fill(0);
  const counts = { reports: 0, incidents: 0, relevant: 0, arrests: 0 };
  // Bundling: per bank entry, when its open bundle started.
  const bundles = new Map<number, number>();
  const list: IncidentEntry[] = sorted.map((i) => {
    let bundled = false;
    if (reporting.bundleViral && i.bankEntry !== null) {
      const start = bundles.get(i.bankEntry);
      if (start !== undefined && i.filedAt < start + reporting.bundleWindowDays * DAY) bundled = true;
      else bundles.set(i.bankEntry, i.filedAt);
    }
    const truth = truthOf(i.account);
    const p = isOffender(i.account) ? police.triage.offenderRelevant : police.triage.innocentRelevant;
    const relevant = Random.derive(seed, `triage:${i.account}:${i.n}`).next() < p;
    const day = dayFiled(i);
    if (!bundled) incidentsPerDay[day] = (incidentsPerDay[day] ?? 0) + 1;
    const burnIn = day < burnInDays;
    if (!burnIn) {
      counts.reports++;
      if (!bundled) counts.incidents++;
      if (relevant) counts.relevant++;
    }
    return {
      account: i.account,
      n: i.n,
      routes: [...i.routes],
      filedAtHours: hours(i.filedAt),
      firstDetectionHours: hours(i.firstDetection),
      lastDetectionHours: hours(i.lastDetection),
      evidence: { ...i.evidence },
      bankEntry: i.bankEntry,
      bundled,
      burnIn,
      truth,
      relevant,
      investigated: false,
      arrested: false,
    };
  });
  const q = policeQueue(scenario, list, (k) => (sorted[k] as Incident).filedAt);
  counts.arrests = q.arrests;
  return { list, counts, incidentsPerDay, investigationsPerDay: q.investigationsPerDay, investigations: q.investigations, backlogAtEnd: q.backlogAtEnd };
}

const OFFENDER_TRUTHS: ReadonlySet<Truth> = new Set(OFFENDER_KINDS);

/**
 * Police on a list of triaged incidents in filing order (`filedAt(k)`: the k-th one's
 * filing time, simulated seconds): relevant referrals reach police when filed and wait in
 * one first-filed-first queue that opens at most `police.capacityPerDay` investigations a
 * day (a fractional capacity accrues: day d may open floor(c·(d+1)) − floor(c·d) more), one
 * per account; an incident about an account already under investigation joins it. Sets
 * each entry's `investigated` and `arrested`. The arrest draw is keyed by account. Used
 * for one platform's incidents and, over the merged list, for all platforms of a world
 * (one police force).
 */
export function policeQueue(
  scenario: Pick<Scenario, 'police' | 'seed' | 'durationDays' | 'burnInDays'>,
  list: readonly IncidentEntry[],
  filedAt: (k: number) => number,
): { investigations: Investigation[]; investigationsPerDay: number[]; arrests: number; backlogAtEnd: number; waiting: number[] } {
  const { police, seed, durationDays, burnInDays } = scenario;
  const investigationsPerDay = new Array<number>(durationDays).fill(0);
  const open = new Map<number, Investigation>();
  const investigations: Investigation[] = [];
  // Indices into `list` of the relevant incidents waiting, first filed first.
  const queue: number[] = [];
  let head = 0;
  let next = 0;
  let arrests = 0;
  const attach = (e: IncidentEntry, inv: Investigation) => {
    e.investigated = true;
    e.arrested = inv.arrested;
  };
  const arrive = (until: number) => {
    for (; next < list.length && filedAt(next) <= until; next++) {
      const e = list[next] as IncidentEntry;
      if (!e.relevant) continue;
      const inv = open.get(e.account);
      if (inv) attach(e, inv);
      else queue.push(next);
    }
  };
  const capacity = police.capacityPerDay;
  for (let day = 0; day < durationDays; day++) {
    arrive(day * DAY);
    // A tiny allowance keeps 0.1 × 10 from rounding down to 0.999….
    let allowed = Math.floor(capacity * (day + 1) + 1e-9) - Math.floor(capacity * day + 1e-9);
    while (allowed > 0 && head < queue.length) {
      const k = queue[head++] as number;
      const e = list[k] as IncidentEntry;
      const already = open.get(e.account);
      if (already) {
        attach(e, already);
        continue;
      }
      const arrested = OFFENDER_TRUTHS.has(e.truth) && Random.derive(seed, `arrest:${e.account}`).next() < police.arrestRate;
      const inv = { account: e.account, day, arrested, opener: k };
      open.set(e.account, inv);
      investigations.push(inv);
      attach(e, inv);
      investigationsPerDay[day] = (investigationsPerDay[day] ?? 0) + 1;
      allowed--;
      if (arrested && day >= burnInDays) arrests++;
    }
  }
  // Those filed at the end of the last day arrive too late for the run's police.
  arrive(Number.POSITIVE_INFINITY);
  // Waiting incidents about an account whose investigation opened meanwhile join it.
  const waiting: number[] = [];
  for (const k of queue.slice(head)) {
    const e = list[k] as IncidentEntry;
    const inv = open.get(e.account);
    if (inv) attach(e, inv);
    else waiting.push(k);
  }
  return { investigations, investigationsPerDay, arrests, backlogAtEnd: waiting.length, waiting };
}

/** The first index of the ascending array `sorted` whose value is at least `x`. */
function lowerBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
