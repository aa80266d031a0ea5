/**
 * The headline figures of a run and what "by route" means, defined once for the terminal,
 * the HTML report and the CSV files, so that the three never count differently.
 */
import { ROUTE_LABELS, ROUTES, type Route, type RunResult } from '@blindspot/core';

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
export const PRIVACY_COSTS: { label: string; value: (r: RunResult) => number; note: string }[] = [
  {
    label: 'Innocent DMs readable',
    value: (r) => r.privacy.readableInnocentMessages,
    note: 'private messages of innocent users the platform could read',
  },
  {
    label: 'Innocent users exposed',
    value: (r) => r.privacy.innocentUsersExposed,
    note: 'innocent users with at least one private message the platform could read',
  },
  {
    label: 'Innocent accounts reviewed',
    value: (r) => r.privacy.innocentAccountsReviewed,
    note: 'innocent accounts whose content or pattern a human reviewer looked at',
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
