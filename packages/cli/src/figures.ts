/**
 * The headline figures of a run and what "by route" means, defined once for the terminal,
 * the HTML report and the CSV files, so that the three never count differently.
 */
import { ROUTE_LABELS, ROUTES, summaryOf, type PlatformSummary, type Route, type RunResult } from '@blindspot/core';

/**
 * Two honest answers to "how many reports came from this route", shown side by side and
 * always with their labels:
 * - had a part (`reports.byRoute`): a report counts under every route that had a
 *   confirmed part in it, so the routes add up to more than the reports;
 * - filed it (`reports.byFirstRoute`): the route whose confirmed flag got the report
 *   filed, so the routes add up to the reports.
 */
export const ROUTE_COUNTS = {
  hadAPart: {
    field: 'byRoute',
    label: 'had a part',
    heading: 'Reports to police by route that had a part',
    note: 'a report counts under every route confirmed in it, so these add up to more than the reports',
  },
  filedIt: {
    field: 'byFirstRoute',
    label: 'filed it',
    heading: 'Reports to police by route that filed it',
    note: 'the route whose confirmed flag got the report filed; these add up to the reports',
  },
} as const;
type RouteCount = keyof typeof ROUTE_COUNTS;
export const ROUTE_COUNT_KINDS = Object.keys(ROUTE_COUNTS) as RouteCount[];

export function routeCount(r: RunResult, kind: RouteCount, route: Route): number {
  return r.reports[ROUTE_COUNTS[kind].field][route] ?? 0;
}

const routeLabel = (route: Route): string => ROUTE_LABELS[route];

const n = (x: number) => x.toLocaleString('en-US');

/** A headline figure of a run: a table column, a trend line and a CSV column. */
export interface Figure {
  /** Where it is in the result document; the CSV header. */
  key: string;
  /** Short table header. */
  header: string;
  /** Full name. */
  label: string;
  value: (r: RunResult) => number;
  /** Table cell, if not just the number. */
  cell?: (r: RunResult) => string;
  /** For route counts: which count, and of which route. */
  route?: { kind: RouteCount; route: Route };
}

/** The routes worth a column: those with a report in some result (every route if none has). */
function routesWithReports(results: readonly RunResult[]): Route[] {
  const used = ROUTES.filter((route) => results.some((r) => routeCount(r, 'hadAPart', route) > 0));
  return used.length > 0 ? used : [...ROUTES];
}

/**
 * The headline figures: reports, both route counts, the truth behind them. Tables show
 * the routes that have reports; CSV files (`allRoutes`) every route, so that their
 * columns do not depend on the results.
 */
export function headlineFigures(results: readonly RunResult[], options: { allRoutes?: boolean } = {}): Figure[] {
  const routes = options.allRoutes ? [...ROUTES] : routesWithReports(results);
  const byRoute = (kind: RouteCount) =>
    routes.map(
      (route): Figure => ({
        key: `reports.${ROUTE_COUNTS[kind].field}.${route}`,
        header: routeLabel(route),
        label: `  ${routeLabel(route)} (${ROUTE_COUNTS[kind].label})`,
        value: (r) => routeCount(r, kind, route),
        route: { kind, route },
      }),
    );
  return [
    { key: 'reports.total', header: 'reports', label: 'reports to police', value: (r) => r.reports.total },
    ...byRoute('hadAPart'),
    ...byRoute('filedIt'),
    { key: 'reports.truePositive', header: 'true', label: 'true reports (offenders)', value: (r) => r.reports.truePositive },
    { key: 'reports.falsePositive', header: 'false', label: 'false reports (innocent accounts)', value: (r) => r.reports.falsePositive },
    {
      key: 'offenders.reported',
      header: 'offenders',
      label: 'offenders reported',
      value: (r) => r.offenders.reported,
      cell: (r) => `${n(r.offenders.reported)} of ${n(r.offenders.total)}`,
    },
    { key: 'innocentReported', header: 'innocent', label: 'innocent accounts reported', value: (r) => r.innocentReported },
    { key: 'messages.unscannable', header: 'unscannable', label: 'messages unscannable', value: (r) => r.messages.unscannable },
  ];
}

/** The privacy costs, as the terminal and the HTML report list them. */
export const PRIVACY_COSTS: { label: string; path: string; value: (r: RunResult) => number; note: string }[] = [
  {
    label: 'Innocent DMs readable',
    path: 'privacy.readableInnocentMessages',
    value: (r) => r.privacy.readableInnocentMessages,
    note: 'private messages of innocent users the platform could read',
  },
  {
    label: 'Innocent users exposed',
    path: 'privacy.innocentUsersExposed',
    value: (r) => r.privacy.innocentUsersExposed,
    note: 'innocent users with at least one private message the platform could read',
  },
  {
    label: 'Innocent accounts reviewed',
    path: 'privacy.innocentAccountsReviewed',
    value: (r) => r.privacy.innocentAccountsReviewed,
    note: 'innocent accounts whose content or pattern a human reviewer looked at',
  },
  {
    label: 'Innocent accounts closed',
    path: 'enforcement.innocentClosed',
    value: (r) => r.enforcement.innocentClosed,
    note: 'innocent accounts the platform closed because it reported them',
  },
];

/**
 * One CSV cell. Text a spreadsheet would take for a formula (starting with = + - @, or a
 * tab or carriage return) gets a leading apostrophe, so that a scenario name cannot run
 * code in the analyst's spreadsheet; commas, quotes and line breaks are quoted.
 */
export function csvCell(v: string | number | boolean | null | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (cells: readonly (string | number | boolean | null | undefined)[]) => cells.map(csvCell).join(',');

/**
 * The headline figures of each scenario, one row each, with both route counts (columns
 * named as in the result document: `reports.byRoute.*` had a part,
 * `reports.byFirstRoute.*` filed it) and the privacy costs.
 */
export function figuresCsv(labels: readonly string[], results: readonly RunResult[]): string {
  const figures = headlineFigures(results, { allRoutes: true });
  const header = [
    'scenario',
    'file',
    'seed',
    ...figures.flatMap((f) => (f.key === 'offenders.reported' ? [f.key, 'offenders.total'] : [f.key])),
    'privacy.readableInnocentMessages',
    'privacy.innocentUsersExposed',
    'privacy.innocentUsers',
    'privacy.innocentAccountsReviewed',
    'referrals.investigated',
    'timeToReport.medianHours',
    'cyberTips.reports',
    'cyberTips.incidents',
    'police.investigations',
    'police.arrests',
    'burnInDays',
  ];
  const rows = results.map((r, i) => [
    labels[i] ?? r.scenario.name,
    r.scenario.file,
    r.scenario.seed,
    ...figures.flatMap((f) => (f.key === 'offenders.reported' ? [f.value(r), r.offenders.total] : [f.value(r)])),
    r.privacy.readableInnocentMessages,
    r.privacy.innocentUsersExposed,
    r.privacy.innocentUsers,
    r.privacy.innocentAccountsReviewed,
    r.referrals.investigated,
    r.timeToReport.medianHours,
    r.cyberTips.reports,
    r.cyberTips.incidents,
    r.police.investigations,
    r.police.arrests,
    r.burnInDays,
  ]);
  return `${[header, ...rows].map(csvLine).join('\n')}\n`;
}

/** The surfaces of a platform summary, as the per-platform table and CSV name them. */
export const PLATFORM_SURFACES: readonly { key: keyof RunResult['surfaces']; header: string }[] = [
  { key: 'directMessages', header: 'DMs' },
  { key: 'publicPosts', header: 'posts' },
  { key: 'profilePhotos', header: 'photos' },
];

/** A surface's encryption in a word or three: `none`, `e2ee`, or `e2ee day 11+` for a rollout that starts later (1-based days). */
export function encryptionWords(s: RunResult['surfaces'][keyof RunResult['surfaces']]): string {
  if (s.encryption !== 'e2ee') return 'none';
  if (s.fromDay === 0 && s.rampDays === 0) return 'e2ee';
  return `e2ee day ${s.fromDay + 1}${s.rampDays > 0 ? `-${s.fromDay + s.rampDays}` : ''}+`;
}

/** The label of the total row of a per-platform table (a platform's name has no space). */
export const ALL_PLATFORMS = 'all platforms';

/**
 * The per-platform table's figures, for the terminal and the HTML report: each a count
 * of a platform summary, whose rows add up to the total row.
 */
export const PLATFORM_FIGURES: readonly { key: string; header: string; value: (p: PlatformSummary) => number; cell?: (p: PlatformSummary) => string }[] = [
  { key: 'messages.total', header: 'messages', value: (p) => p.messages.total },
  { key: 'messages.encrypted', header: 'encrypted', value: (p) => p.messages.encrypted },
  { key: 'messages.unscannable', header: 'unscannable', value: (p) => p.messages.unscannable },
  { key: 'reports.total', header: 'reports', value: (p) => p.reports.total },
  { key: 'reports.falsePositive', header: 'innocent', value: (p) => p.reports.falsePositive },
  { key: 'cyberTips.reports', header: 'CyberTips', value: (p) => p.cyberTips.reports },
  { key: 'cyberTips.incidents', header: 'incidents', value: (p) => p.cyberTips.incidents },
  { key: 'police.investigations', header: 'investigated', value: (p) => p.police.investigations },
  { key: 'police.arrests', header: 'arrests', value: (p) => p.police.arrests },
  {
    key: 'offenders.reported',
    header: 'offenders reported',
    value: (p) => p.offenders.reported,
    cell: (p) => `${n(p.offenders.reported)} of ${n(p.offenders.total)}`,
  },
  { key: 'review.flags', header: 'flags', value: (p) => p.review.flags },
  { key: 'review.confirmed', header: 'confirmed', value: (p) => p.review.confirmed },
  { key: 'review.backlogAtEnd', header: 'review backlog', value: (p) => p.review.backlogAtEnd },
];

/** The rows of a per-platform table: each platform, then the world's total (from the headline figures); none without platforms. */
export function platformRows(r: RunResult): { label: string; summary: PlatformSummary; total: boolean }[] {
  if (!r.platforms) return [];
  return [
    ...r.platforms.map((p) => ({ label: p.name, summary: p, total: false })),
    { label: ALL_PLATFORMS, summary: summaryOf(ALL_PLATFORMS, r), total: true },
  ];
}

/** Every count of a platform summary, by its path (as in the result document), in the summary's order. */
function summaryCounts(p: PlatformSummary): [string, number][] {
  const walk = (x: unknown, path: string): [string, number][] =>
    typeof x === 'number'
      ? [[path, x]]
      : typeof x === 'object' && x !== null && !Array.isArray(x)
        ? Object.entries(x).flatMap(([k, v]) => walk(v, path ? `${path}.${k}` : k))
        : [];
  return Object.entries(p)
    .filter(([k]) => k !== 'name' && k !== 'surfaces')
    .flatMap(([k, v]) => walk(v, k));
}

/**
 * A world's platforms as CSV: one row per platform and a last row for all platforms, with
 * each surface's encryption and every count of the platform summary (columns named by
 * their path in the result document; the total row holds the headline figures; the
 * per-day series are in the per-day CSV's totals and the report's chart, not here). Only a
 * header and the total row for a result without platforms.
 */
export function platformsCsv(r: RunResult): string {
  const rows = platformRows(r);
  const lead = rows[0]?.summary ?? summaryOf(ALL_PLATFORMS, r);
  const keys = summaryCounts(lead).map(([k]) => k);
  const header = ['platform', ...PLATFORM_SURFACES.map((s) => `surfaces.${s.key}`), ...keys];
  const body = (rows.length > 0 ? rows : [{ label: ALL_PLATFORMS, summary: lead, total: true }]).map(({ label, summary, total }) => {
    const counts = new Map(summaryCounts(summary));
    return [label, ...PLATFORM_SURFACES.map((s) => (total ? '' : encryptionWords(summary.surfaces[s.key]))), ...keys.map((k) => counts.get(k) ?? '')];
  });
  return `${[header, ...body].map(csvLine).join('\n')}\n`;
}
