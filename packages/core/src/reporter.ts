/**
 * The reporter: aggregates detections per account, runs human review under a daily
 * capacity in simulated time, and files at most one report per (account, reason).
 * A report filed here is a report to police (a CyberTip-like referral).
 *
 * Inputs must be applied in batch order (the transports guarantee it); within a batch
 * detections are merged in simulated-time order with a total tie-break, so the result
 * does not depend on how the stream was cut into batches or in what order the scanner
 * and the metadata detector finished.
 *
 * The state is plain JSON so a transport can persist it between batches.
 */
import type { Scenario } from './scenario';
import type { Detection, MetadataResult, Route, ScanResult } from './types';
import { DAY, ROUTES } from './types';

export interface Flag {
  account: number;
  route: Route;
  /** Time of the first detection behind the flag. */
  t: number;
  /** Strongest evidence seen so far (explicitness score, or minors for metadata). */
  evidence: number;
  detections: number;
}

export interface FiledReport {
  account: number;
  route: Route;
  /** Simulated time the report was filed (end of the review day). */
  filedAt: number;
  /** Time of the first detection behind it. */
  firstDetection: number;
  /** Detections aggregated into the report, including those after filing. */
  detections: number;
}

export interface ReporterState {
  /** Days before this one have been reviewed (closed). */
  day: number;
  /** Open flags by `account:route`, and their review order. */
  flags: Record<string, Flag>;
  backlog: string[];
  filed: Record<string, FiledReport>;
  perDay: number[];
  detections: Record<Route, number>;
  review: { flags: number; reviewed: number; confirmed: number; rejected: number };
  messages: { total: number; encrypted: number; scanned: number; unscannable: number; deadLettered: number };
  /** True once the final batch has been applied. */
  done: boolean;
}

const ROUTE_ORDER: Record<Route, number> = { hashMatch: 0, metadata: 1, userReport: 2 };

export function initialReporterState(scenario: Scenario): ReporterState {
  return {
    day: 0,
    flags: {},
    backlog: [],
    filed: {},
    perDay: new Array<number>(scenario.durationDays).fill(0),
    detections: { hashMatch: 0, metadata: 0, userReport: 0 },
    review: { flags: 0, reviewed: 0, confirmed: 0, rejected: 0 },
    messages: { total: 0, encrypted: 0, scanned: 0, unscannable: 0, deadLettered: 0 },
    done: false,
  };
}

/**
 * The generator's stream order: by time; at equal times messages before user reports;
 * then by message id. Detections from the same message follow in route order. Sorting
 * a batch by this key reproduces the stream order, so however the stream is cut into
 * batches the reporter sees detections in the same order.
 */
function compareDetections(a: Detection, b: Detection): number {
  const aReport = a.route === 'userReport' ? 1 : 0;
  const bReport = b.route === 'userReport' ? 1 : 0;
  return (
    a.t - b.t ||
    aReport - bReport ||
    a.messageId - b.messageId ||
    ROUTE_ORDER[a.route] - ROUTE_ORDER[b.route] ||
    a.account - b.account ||
    a.evidence - b.evidence
  );
}

/** Applies one batch's scanner and metadata outputs. Mutates `state`. */
export function applyReporter(scenario: Scenario, state: ReporterState, scan: ScanResult, meta: MetadataResult): void {
  if (state.done) throw new Error(`reporter: batch ${scan.seq} arrived after the final batch`);
  if (scan.seq !== meta.seq) throw new Error(`reporter: scanner batch ${scan.seq} paired with metadata batch ${meta.seq}`);
  const m = state.messages;
  m.total += scan.counts.messages + scan.counts.deadLettered;
  m.encrypted += scan.counts.encrypted;
  m.scanned += scan.counts.scanned;
  m.unscannable += scan.counts.unscannable;
  m.deadLettered += scan.counts.deadLettered;

  const merged = [...scan.detections, ...meta.detections].sort(compareDetections);
  for (const d of merged) {
    closeDaysBefore(scenario, state, Math.floor(d.t / DAY));
    state.detections[d.route]++;
    const key = `${d.account}:${d.route}`;
    const report = state.filed[key];
    if (report) {
      report.detections++;
      continue;
    }
    const flag = state.flags[key];
    if (flag) {
      flag.detections++;
      if (d.evidence > flag.evidence) flag.evidence = d.evidence;
      continue;
    }
    state.flags[key] = { account: d.account, route: d.route, t: d.t, evidence: d.evidence, detections: 1 };
    state.backlog.push(key);
    state.review.flags++;
  }
  if (scan.final) {
    closeDaysBefore(scenario, state, scenario.durationDays);
    state.done = true;
  }
}

/** Reviews every day before `day` that has not been reviewed yet. */
function closeDaysBefore(scenario: Scenario, state: ReporterState, day: number): void {
  const last = Math.min(day, scenario.durationDays);
  while (state.day < last) {
    reviewDay(scenario, state, state.day);
    state.day++;
  }
}

/**
 * One day of human review: the oldest flags first, up to the day's capacity. A reviewer
 * sees the content (or, for metadata, only the pattern) and confirms or rejects it.
 */
function reviewDay(scenario: Scenario, state: ReporterState, day: number): void {
  const { capacityPerDay, confirmThreshold, metadataMinMinors } = scenario.review;
  const take = state.backlog.splice(0, capacityPerDay);
  for (const key of take) {
    const flag = state.flags[key] as Flag;
    delete state.flags[key];
    state.review.reviewed++;
    const confirmed = flag.route === 'metadata' ? flag.evidence >= metadataMinMinors : flag.evidence >= confirmThreshold;
    if (!confirmed) {
      state.review.rejected++;
      continue;
    }
    state.review.confirmed++;
    state.filed[key] = {
      account: flag.account,
      route: flag.route,
      filedAt: (day + 1) * DAY,
      firstDetection: flag.t,
      detections: flag.detections,
    };
    state.perDay[day] = (state.perDay[day] ?? 0) + 1;
  }
}

export { ROUTES };
