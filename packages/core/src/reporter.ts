/**
 * The reporter: the platform's review and reporting desk.
 *
 * - Verifies user reports against their franking commitment and the platform's
 *   countersignature; forged ones are rejected and counted.
 * - Collects client-side-scanning shares per account and opens the account's vouchers
 *   once it holds the threshold number of them (and every later one at once).
 * - Raises a flag per (account, route) and runs human review under a daily capacity in
 *   simulated time, most urgent route first, oldest first; the backlog carries over.
 * - A confirmed flag is a route report; the first one for an account files a CyberTip-
 *   like report to police (account, routes, evidence counts, first and last detection),
 *   later ones add to it.
 * - Reports are also cut into incidents, one CyberTip each (see Incident): an incident
 *   covers an account's confirmed detections within `reporting.incidentWindowDays` of
 *   its first one; a later detection opens the account's next incident.
 *
 * Inputs must be applied in batch order (the transports guarantee it); within a batch
 * everything is merged by stream event id, so the result does not depend on how the
 * stream was cut into batches or in what order the scanner and the metadata detector
 * finished. The state is plain JSON so a transport can persist it between batches.
 */
import type { Scenario } from './scenario';
import type { Detection, MetadataResult, ScanResult, UserReport, VoucherMatch } from './types';
import { DAY } from './types';
import type { MetadataRule } from './metadata/rules';
import { MERGE_RANK, ROUTES, checkStageHandles, routeModule, routeOfKind, routeSettings, zeroRoutes, type Detector, type Route } from './routes';
import { fromBase64, toBase64 } from './base64';
import { decodeContent, ContentError } from './content';
import { decodeShare, openAccount } from './css';

export interface Flag {
  account: number;
  route: Route;
  /** Time of the first detection behind the flag. */
  t: number;
  /** Strongest evidence seen so far. */
  evidence: number;
  detections: number;
  /** Time of the latest detection behind the flag. */
  last: number;
  /** The one hash-bank entry every detection behind it matched; null when none did or they differ. */
  bankEntry: number | null;
  /** The message of the strongest evidence, the one a reviewer judges by (-1 for a pattern). */
  strongest: number;
}

/**
 * One incident: a CyberTip as the platform files it. The first confirmation for an
 * account opens its first incident, filed at the end of the review day. Later detections
 * of the account whose time is inside the window (from the incident's first detection,
 * `reporting.incidentWindowDays` long) join it as evidence, whenever they arrive. After
 * the window:
 *   - a detection by a route already confirmed for the account needs no new review: it
 *     opens the account's next incident at once, filed at the end of that detection's
 *     day (so the rest of that day's detections join it);
 *   - a detection by a route not yet confirmed for it is flagged and reviewed as any
 *     other; if confirmed, it joins the latest incident when the flag's first detection
 *     is inside that incident's window, else it opens the next incident, filed at the end
 *     of the review day.
 */
export interface Incident {
  account: number;
  /** 1, 2, ... for the account's incidents, in the order they were opened. */
  n: number;
  /** Routes with evidence in it, in the order they joined. */
  routes: Route[];
  /** Simulated time it is filed: the end of the review day, or of the opening detection's day. */
  filedAt: number;
  firstDetection: number;
  lastDetection: number;
  /** Detections of the account before this time join it. */
  windowEnd: number;
  /** Detections per route in it. */
  evidence: Partial<Record<Route, number>>;
  /** The one hash-bank entry all of its evidence matched, or null (then it is never bundled). */
  bankEntry: number | null;
}

/** A report to police about one account (CyberTip-like). */
export interface Tip {
  account: number;
  /** Routes confirmed by review, in the order they were confirmed. */
  routes: Route[];
  /** Simulated time the report was filed (end of the review day). */
  filedAt: number;
  /** First and last detection behind it, simulated seconds. */
  firstDetection: number;
  lastDetection: number;
  /** Detections per route attached to the report. */
  evidence: Partial<Record<Route, number>>;
}

export interface ReporterState {
  /** Days before this one have been reviewed (closed). */
  day: number;
  /** Open flags by `account:route`, in arrival order. */
  flags: Record<string, Flag>;
  backlog: string[];
  /** Confirmed (account, route) pairs. */
  confirmed: Record<string, true>;
  /** Reports to police by account. */
  tips: Record<string, Tip>;
  /** Every incident (CyberTip), in the order opened. */
  incidents: Incident[];
  /** Each account's latest incident, as an index into `incidents`. */
  latestIncident: Record<string, number>;
  /** Incidents filed per day. */
  incidentsPerDay: number[];
  /**
   * Per route, counted from day `burnInDays` on: flags raised (by the day of their first
   * detection) and flags confirmed (by review day).
   */
  routeFlags: Record<Route, number>;
  routeConfirmed: Record<Route, number>;
  /** Reports filed per day, and flags raised per day. */
  perDay: number[];
  flagsPerDay: number[];
  detections: Record<Route, number>;
  review: { flags: number; reviewed: number; confirmed: number; rejected: number };
  /** Accounts whose content or pattern a reviewer looked at. */
  reviewed: Record<string, true>;
  /** Metadata rules that have fired for each account: what a reviewer of a metadata flag sees. */
  patterns: Record<string, MetadataRule[]>;
  messages: { total: number; encrypted: number; scanned: number; unscannable: number; deadLettered: number };
  userReports: { received: number; accepted: number; rejected: number };
  vouchers: { received: number; matched: number; opened: number; accountsOpened: number };
  /** Client-side scanning: shares and sealed evidence per account, and whether it has opened. */
  css: Record<string, { shares: string[]; inners: string[]; messages: number[]; open: boolean }>;
  /**
   * Enforcement (scenario `enforcement`): the accounts each review day filed a first
   * report about, which the platform closes; empty when it closes none.
   */
  closings: number[][];
  /** True once the final batch has been applied. */
  done: boolean;
}

/** An account the platform closes, and when: what the world is told (enforcement). */
export interface Closing {
  account: number;
  /** Simulated seconds: the start of the day the account closes. */
  t: number;
}

export interface ReporterContext {
  scenario: Scenario;
  /** The platform's franking key, to verify reports. */
  platformKey: Uint8Array;
}

/**
 * Messages a batch's detections point at (for recall), kept apart from the state because
 * they only grow: each entry is the message id × DETECTED_ROUTE_SLOTS plus the detecting
 * route's index in ROUTES, so recall can be counted per route in the same 8 bytes; and one
 * negative flag record per flag leaving review (see flagRecord), for precision.
 */
export type DetectedMessages = number[];
export const DETECTED_ROUTE_SLOTS = 8;
if (ROUTES.length > DETECTED_ROUTE_SLOTS)
  throw new Error(`reporter: ${ROUTES.length} routes do not fit a detected entry's ${DETECTED_ROUTE_SLOTS} route slots`);
/** A detected entry: the message and the route that detected it. */
export const detectedEntry = (messageId: number, route: Route) => messageId * DETECTED_ROUTE_SLOTS + ROUTES.indexOf(route);
export const detectedMessage = (entry: number) => Math.floor(entry / DETECTED_ROUTE_SLOTS);
export const detectedRoute = (entry: number) => ROUTES[entry % DETECTED_ROUTE_SLOTS] as Route;
/**
 * A flag record, written into the detected messages when a flag counted in the headline
 * (raised from day burnInDays on) is reviewed or the run ends with it open: negative, so
 * it sorts apart from the entries. It names the flag's route and what ground truth judges
 * it by: for a content route the message of its strongest evidence, for the pattern
 * route the account.
 */
export const flagRecord = (subject: number, route: Route) => -(1 + ROUTES.indexOf(route) + DETECTED_ROUTE_SLOTS * (subject + 1));
export const flagRecordOf = (record: number): { route: Route; subject: number } => {
  const x = -record - 1;
  return { route: ROUTES[x % DETECTED_ROUTE_SLOTS] as Route, subject: Math.floor(x / DETECTED_ROUTE_SLOTS) - 1 };
};

checkStageHandles('reporter', ['report']);
/** The routes whose detections the reporter makes or reviews in its own way. */
const REPORT_ROUTE = routeOfKind('report');
const VOUCHER_ROUTE = routeOfKind('voucher');
/** The route a reviewer judges by behaviour (the rules that fired), not by content. */
const PATTERN_ROUTE = routeOfKind('pattern');
/** The route whose detections name the bank entry they matched. */
const HASH_ROUTE: Route = 'hashMatch';

/** A detector's settings in the scenario, for a route known to have a detector of that kind. */
function detectorOf<K extends 'report' | 'voucher'>(scenario: Scenario, route: Route, kind: K) {
  const module = routeModule(route);
  if (module.detect.kind !== kind) throw new Error(`route "${route}": expected a "${kind}" detector`);
  return { detect: module.detect as Extract<Detector<unknown>, { kind: K }>, settings: routeSettings(scenario.detection, module) };
}

export function initialReporterState(scenario: Scenario): ReporterState {
  return {
    day: 0,
    flags: {},
    backlog: [],
    confirmed: {},
    tips: {},
    incidents: [],
    latestIncident: {},
    incidentsPerDay: new Array<number>(scenario.durationDays).fill(0),
    routeFlags: zeroRoutes(),
    routeConfirmed: zeroRoutes(),
    perDay: new Array<number>(scenario.durationDays).fill(0),
    flagsPerDay: new Array<number>(scenario.durationDays).fill(0),
    detections: zeroRoutes(),
    review: { flags: 0, reviewed: 0, confirmed: 0, rejected: 0 },
    reviewed: {},
    patterns: {},
    messages: { total: 0, encrypted: 0, scanned: 0, unscannable: 0, deadLettered: 0 },
    userReports: { received: 0, accepted: 0, rejected: 0 },
    vouchers: { received: 0, matched: 0, opened: 0, accountsOpened: 0 },
    css: {},
    closings: Array.from({ length: scenario.durationDays }, () => []),
    done: false,
  };
}

/**
 * Reviews every day before `day` not yet reviewed: a runner calls it once every input
 * before that day is applied and none after it (so the result is that of reviewing the
 * day when its first later input came), to learn the day's closings without waiting for
 * a detection on a later day. Returns the messages the review found (for recall).
 */
export function advanceReporter(scenario: Scenario, state: ReporterState, day: number): DetectedMessages {
  const detected: DetectedMessages = [];
  if (!state.done) closeDaysBefore(scenario, state, day, detected);
  return detected;
}

/**
 * The closings of review days from..to-1 (only those reviewed already): a first report
 * filed at the end of day d closes its account at the start of day d + 1 + delayDays.
 */
export function closingsOf(scenario: Scenario, state: ReporterState, from: number, to: number): Closing[] {
  const out: Closing[] = [];
  const t = (d: number) => (d + 1 + scenario.enforcement.delayDays) * DAY;
  for (let d = Math.max(0, from); d < Math.min(to, state.day); d++) for (const account of state.closings[d] ?? []) out.push({ account, t: t(d) });
  return out;
}

type Item =
  | { kind: 'detection'; event: number; rank: number; account: number; detection: Detection }
  | { kind: 'report'; event: number; rank: number; account: number; report: UserReport }
  | { kind: 'voucher'; event: number; rank: number; account: number; voucher: VoucherMatch };

function lookOf(bytes: Uint8Array): number {
  try {
    return decodeContent(bytes).look;
  } catch (err) {
    if (err instanceof ContentError) return 0;
    throw err;
  }
}

/**
 * Applies one batch's scanner and metadata outputs. Mutates `state`; returns the
 * messages that content routes detected in this batch.
 */
export function applyReporter(ctx: ReporterContext, state: ReporterState, scan: ScanResult, meta: MetadataResult): DetectedMessages {
  const { scenario } = ctx;
  if (state.done) throw new Error(`reporter: batch ${scan.seq} arrived after the final batch`);
  if (scan.seq !== meta.seq) throw new Error(`reporter: scanner batch ${scan.seq} paired with metadata batch ${meta.seq}`);
  const m = state.messages;
  m.total += scan.counts.messages + scan.counts.deadLettered;
  m.encrypted += scan.counts.encrypted;
  m.scanned += scan.counts.scanned;
  m.unscannable += scan.counts.unscannable;
  m.deadLettered += scan.counts.deadLettered;
  state.vouchers.received += scan.counts.vouchers;
  state.vouchers.matched += scan.counts.vouchersMatched;

  const items: Item[] = [];
  for (const d of [...scan.detections, ...meta.detections]) {
    items.push({ kind: 'detection', event: d.event, rank: MERGE_RANK[d.route], account: d.account, detection: d });
  }
  for (const r of meta.reports) items.push({ kind: 'report', event: r.id, rank: MERGE_RANK[REPORT_ROUTE], account: r.reported, report: r });
  for (const v of scan.vouchers) items.push({ kind: 'voucher', event: v.event, rank: MERGE_RANK[VOUCHER_ROUTE], account: v.account, voucher: v });
  items.sort((a, b) => a.event - b.event || a.rank - b.rank || a.account - b.account);

  const detected: DetectedMessages = [];
  const t0 = (i: Item) => (i.kind === 'detection' ? i.detection.t : i.kind === 'report' ? i.report.t : i.voucher.t);
  for (const item of items) {
    closeDaysBefore(scenario, state, Math.floor(t0(item) / DAY), detected);
    if (item.kind === 'detection') {
      if (item.detection.route !== PATTERN_ROUTE) detected.push(detectedEntry(item.detection.messageId, item.detection.route));
      detect(scenario, state, item.detection);
    } else if (item.kind === 'report') {
      const d = userReport(ctx, state, item.report);
      if (d) {
        detected.push(detectedEntry(d.messageId, d.route));
        detect(scenario, state, d);
      }
    } else {
      for (const d of voucher(scenario, state, item.voucher)) {
        detected.push(detectedEntry(d.messageId, d.route));
        detect(scenario, state, d);
      }
    }
  }
  if (scan.final) {
    closeDaysBefore(scenario, state, scenario.durationDays, detected);
    // Flags never reviewed are recorded too: precision is of every flag raised.
    for (const key of state.backlog) recordFlag(scenario, state.flags[key] as Flag, detected);
    state.done = true;
  }
  return detected;
}

/** A user report becomes a detection if it verifies (or if the platform does not frank). */
function userReport(ctx: ReporterContext, state: ReporterState, r: UserReport): Detection | null {
  state.userReports.received++;
  const { detect, settings } = detectorOf(ctx.scenario, REPORT_ROUTE, 'report');
  // The route switched off: the platform does not act on reports (users still make them).
  if (!detect.enabled(settings)) return null;
  if (!detect.accept(settings, ctx.platformKey, r)) {
    state.userReports.rejected++;
    return null;
  }
  state.userReports.accepted++;
  return { route: REPORT_ROUTE, account: r.reported, t: r.t, messageId: r.messageId, event: r.id, evidence: lookOf(r.content) };
}

/**
 * Collects a matched voucher's share and sealed evidence. Below the threshold nothing
 * can be opened; at it, every held voucher opens; above it, each new one opens at once.
 */
function voucher(scenario: Scenario, state: ReporterState, v: VoucherMatch): Detection[] {
  const { detect, settings } = detectorOf(scenario, VOUCHER_ROUTE, 'voucher');
  const threshold = detect.threshold(settings);
  const acc = (state.css[String(v.account)] ??= { shares: [], inners: [], messages: [], open: false });
  acc.shares.push(v.share);
  acc.inners.push(toBase64(v.inner));
  acc.messages.push(v.messageId);
  if (acc.shares.length < threshold) return [];
  const opened = openAccount(acc.shares.map(decodeShare), acc.inners.map(fromBase64), threshold);
  const messages = acc.messages;
  // Opened evidence need not be kept; enough shares to open later vouchers are.
  acc.inners = [];
  acc.messages = [];
  if (acc.shares.length > threshold) acc.shares.length = threshold;
  if (!opened) return [];
  if (!acc.open) state.vouchers.accountsOpened++;
  acc.open = true;
  state.vouchers.opened += opened.length;
  return opened.map((evidence, i) => ({
    route: VOUCHER_ROUTE,
    account: v.account,
    t: v.t,
    messageId: messages[i] as number,
    event: v.event,
    evidence: lookOf(evidence),
  }));
}

/** Aggregates a detection into the account's report or flag. */
function detect(scenario: Scenario, state: ReporterState, d: Detection): void {
  state.detections[d.route]++;
  if (d.rule) {
    const rules = (state.patterns[String(d.account)] ??= []);
    if (!rules.includes(d.rule)) rules.push(d.rule);
  }
  const key = `${d.account}:${d.route}`;
  const tip = state.tips[String(d.account)];
  if (tip) tip.lastDetection = Math.max(tip.lastDetection, d.t);
  if (state.confirmed[key]) {
    if (tip) tip.evidence[d.route] = (tip.evidence[d.route] ?? 0) + 1;
    confirmedDetection(scenario, state, d);
    return;
  }
  const flag = state.flags[key];
  if (flag) {
    flag.detections++;
    flag.last = Math.max(flag.last, d.t);
    if (d.evidence > flag.evidence) {
      flag.evidence = d.evidence;
      flag.strongest = d.messageId;
    }
    if (flag.bankEntry !== (d.bankEntry ?? null)) flag.bankEntry = null;
    return;
  }
  state.flags[key] = {
    account: d.account,
    route: d.route,
    t: d.t,
    last: d.t,
    evidence: d.evidence,
    detections: 1,
    bankEntry: d.bankEntry ?? null,
    strongest: d.messageId,
  };
  state.backlog.push(key);
  state.review.flags++;
  const day = dayOf(scenario, d.t);
  state.flagsPerDay[day] = (state.flagsPerDay[day] ?? 0) + 1;
  if (day >= scenario.burnInDays) state.routeFlags[d.route]++;
}

/** Writes a headline flag's record (see flagRecord) as it leaves review. */
function recordFlag(scenario: Scenario, flag: Flag, detected: DetectedMessages): void {
  if (dayOf(scenario, flag.t) < scenario.burnInDays) return;
  detected.push(flagRecord(flag.route === PATTERN_ROUTE ? flag.account : flag.strongest, flag.route));
}

/** The run's day a time falls in (a time past the end counts on the last day). */
function dayOf(scenario: Scenario, t: number): number {
  return Math.min(Math.floor(t / DAY), scenario.durationDays - 1);
}

/** The account's latest incident, if `t` is inside its window. */
function openIncident(state: ReporterState, account: number, t: number): Incident | null {
  const i = state.latestIncident[String(account)];
  const incident = i === undefined ? undefined : state.incidents[i];
  return incident && t < incident.windowEnd ? incident : null;
}

/** Adds evidence to an incident; its bank entry stays only while all of its evidence is hash matches of that one entry. */
function joinIncident(incident: Incident, route: Route, detections: number, first: number, last: number, bankEntry: number | null): void {
  if (!incident.routes.includes(route)) incident.routes.push(route);
  incident.evidence[route] = (incident.evidence[route] ?? 0) + detections;
  incident.firstDetection = Math.min(incident.firstDetection, first);
  incident.lastDetection = Math.max(incident.lastDetection, last);
  if (route !== HASH_ROUTE || bankEntry !== incident.bankEntry) incident.bankEntry = null;
}

/** Opens the account's next incident, filed at the end of `day`. */
function newIncident(
  scenario: Scenario,
  state: ReporterState,
  route: Route,
  account: number,
  day: number,
  detections: number,
  first: number,
  last: number,
  bankEntry: number | null,
): void {
  const previous = state.latestIncident[String(account)];
  const n = previous === undefined ? 1 : (state.incidents[previous] as Incident).n + 1;
  state.latestIncident[String(account)] = state.incidents.length;
  state.incidents.push({
    account,
    n,
    routes: [route],
    filedAt: (day + 1) * DAY,
    firstDetection: first,
    lastDetection: last,
    windowEnd: first + scenario.reporting.incidentWindowDays * DAY,
    evidence: { [route]: detections },
    bankEntry: route === HASH_ROUTE ? bankEntry : null,
  });
  state.incidentsPerDay[day] = (state.incidentsPerDay[day] ?? 0) + 1;
}

/** A detection by a route already confirmed for the account: evidence for its open incident, or its next incident. */
function confirmedDetection(scenario: Scenario, state: ReporterState, d: Detection): void {
  const bankEntry = d.bankEntry ?? null;
  const incident = openIncident(state, d.account, d.t);
  if (incident) joinIncident(incident, d.route, 1, d.t, d.t, bankEntry);
  else newIncident(scenario, state, d.route, d.account, dayOf(scenario, d.t), 1, d.t, d.t, bankEntry);
}

/** Reviews every day before `day` that has not been reviewed yet. */
function closeDaysBefore(scenario: Scenario, state: ReporterState, day: number, detected: DetectedMessages): void {
  const last = Math.min(day, scenario.durationDays);
  while (state.day < last) {
    reviewDay(scenario, state, state.day, detected);
    state.day++;
  }
}

/**
 * One day of human review: flags in the scenario's route priority, oldest first within a
 * route, up to the day's capacity. A reviewer sees the content and confirms it if it
 * looks explicit enough; for a metadata flag the reviewer sees only behaviour (which
 * rules have fired for the account, and how strongly) and confirms when several rules
 * agree or one is far past its threshold.
 */
function reviewDay(scenario: Scenario, state: ReporterState, day: number, detected: DetectedMessages): void {
  const { capacityPerDay, confirmThreshold, metadataMinRules, metadataMinStrength, priority } = scenario.review;
  if (state.backlog.length === 0 || capacityPerDay === 0) return;
  const rank = (route: Route) => {
    const i = priority.indexOf(route);
    return i < 0 ? priority.length : i;
  };
  const order = state.backlog
    .map((key, index) => ({ key, index, flag: state.flags[key] as Flag }))
    .sort((a, b) => rank(a.flag.route) - rank(b.flag.route) || a.flag.t - b.flag.t || a.index - b.index);
  const take = new Set(order.slice(0, capacityPerDay).map((o) => o.key));
  state.backlog = state.backlog.filter((key) => !take.has(key));
  for (const { key, flag } of order.slice(0, capacityPerDay)) {
    delete state.flags[key];
    recordFlag(scenario, flag, detected);
    state.review.reviewed++;
    state.reviewed[String(flag.account)] = true;
    const ok =
      flag.route === PATTERN_ROUTE
        ? (state.patterns[String(flag.account)]?.length ?? 0) >= metadataMinRules || flag.evidence >= metadataMinStrength
        : flag.evidence >= confirmThreshold;
    if (!ok) {
      state.review.rejected++;
      continue;
    }
    state.review.confirmed++;
    state.confirmed[key] = true;
    if (day >= scenario.burnInDays) state.routeConfirmed[flag.route]++;
    const incident = openIncident(state, flag.account, flag.t);
    if (incident) joinIncident(incident, flag.route, flag.detections, flag.t, flag.last, flag.bankEntry);
    else newIncident(scenario, state, flag.route, flag.account, day, flag.detections, flag.t, flag.last, flag.bankEntry);
    const filedAt = (day + 1) * DAY;
    const tip = state.tips[String(flag.account)];
    if (tip) {
      tip.routes.push(flag.route);
      tip.evidence[flag.route] = (tip.evidence[flag.route] ?? 0) + flag.detections;
      tip.firstDetection = Math.min(tip.firstDetection, flag.t);
      tip.lastDetection = Math.max(tip.lastDetection, flag.last);
    } else {
      state.tips[String(flag.account)] = {
        account: flag.account,
        routes: [flag.route],
        filedAt,
        firstDetection: flag.t,
        lastDetection: flag.last,
        evidence: { [flag.route]: flag.detections },
      };
      state.perDay[day] = (state.perDay[day] ?? 0) + 1;
      if (scenario.enforcement.banReported) (state.closings[day] ??= []).push(flag.account);
    }
  }
}
