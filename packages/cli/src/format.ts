/** Readable summaries of result documents for terminals. */
import {
  ABUSE_KIND_LABELS,
  ABUSE_KINDS,
  OFFENDER_KIND_LABELS,
  OFFENDER_KINDS,
  ROUTE_LABELS,
  ROUTES,
  type RolloutSummary,
  type RolloutWindow,
  type Route,
  type RunResult,
} from '@blindspot/core';
import { encryptionWords, PLATFORM_FIGURES, PLATFORM_SURFACES, platformRows, PRIVACY_COSTS, ROUTE_COUNT_KINDS, ROUTE_COUNTS } from './figures';
import { printable } from './output';

const n = (x: number) => x.toLocaleString('en-US');
const pct = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 1000) / 10}%`);
const hours = (x: number | null) => (x === null ? 'n/a' : `${x} h`);

export function summarize(r: RunResult): string {
  const routes = (rec: Record<Route, number>) =>
    ROUTES.filter((k) => rec[k] > 0)
      .map((k) => `${ROUTE_LABELS[k]} ${n(rec[k])}`)
      .join(' · ') || 'none';
  const o = r.offenders;
  const lines = [
    `Blindspot: ${r.scenario.name} (${r.scenario.file}, seed ${r.scenario.seed})`,
    `  ${r.timing.transport}, ${r.timing.wallSeconds} s, ${n(r.timing.messagesPerSecond)} messages/s`,
    '',
    `Messages            ${n(r.messages.total)}: encrypted ${n(r.messages.encrypted)} · scanned ${n(r.messages.scanned)} · unscannable ${n(r.messages.unscannable)} · dead-lettered ${n(r.messages.deadLettered)}`,
    `Abusive messages    ${ABUSE_KINDS.map((k) => `${ABUSE_KIND_LABELS[k]} ${n(r.abuse[k])}`).join(' · ')} · of them encrypted ${n(r.abuse.encrypted)}`,
    `Recall              ${ABUSE_KINDS.map((k) => `${ABUSE_KIND_LABELS[k]} ${pct(r.recall[k])}`).join(' · ')}`,
    `Detections          ${routes(r.detections)}`,
    `Reports to police   ${n(r.reports.total)} (offenders ${n(r.reports.truePositive)}, innocent accounts ${n(r.reports.falsePositive)}, of them look-alikes ${n(r.lookalikesReported)})`,
    `  by route that had a part  ${routes(r.reports.byRoute)} (${ROUTE_COUNTS.hadAPart.note})`,
    `  by route that filed it    ${routes(r.reports.byFirstRoute)} (${ROUTE_COUNTS.filedIt.note})`,
    `  false, by route that had a part  ${routes(r.reports.falsePositiveByRoute)}`,
    `  investigated      ${n(r.referrals.investigated)} (offenders ${n(r.referrals.offendersInvestigated)})`,
    `CyberTips           ${n(r.cyberTips.reports)} reports (incidents as filed), ${n(r.cyberTips.incidents)} incidents after bundling (${n(r.cyberTips.bundled)} viral duplicates bundled), about ${n(r.cyberTips.accounts)} accounts`,
    `Police              ${n(r.police.referred)} referred, ${n(r.police.relevant)} relevant, ${n(r.police.investigations)} investigations (offenders ${n(r.police.offendersInvestigated)}, innocent ${n(r.police.innocentInvestigated)}), ${n(r.police.arrests)} arrests, backlog ${n(r.police.backlogAtEnd)} (capacity ${n(r.police.capacityPerDay)}/day)`,
    `Flags by route      ${
      ROUTES.filter((k) => r.routes[k].flags > 0)
        .map((k) => `${ROUTE_LABELS[k]} ${n(r.routes[k].flags)} (${pct(r.routes[k].precision)} about abuse, ${n(r.routes[k].confirmed)} confirmed)`)
        .join(' · ') || 'none'
    }`,
    `Offenders reported  ${n(o.reported)} of ${n(o.total)} (${OFFENDER_KINDS.map((k) => `${OFFENDER_KIND_LABELS[k]} ${o.byKind[k].reported}/${o.byKind[k].total}`).join(', ')})`,
    `Closings            ${n(r.enforcement.closed)} accounts closed after a report (offenders ${n(r.enforcement.offendersClosed)}, innocent ${n(r.enforcement.innocentClosed)}); ${n(r.enforcement.returnsAfterClosing)} offender accounts opened on coming back after one`,
    `Time to report      median ${hours(r.timeToReport.medianHours)}, 90th percentile ${hours(r.timeToReport.p90Hours)} after the first abuse`,
    `User reports        ${n(r.userReports.received)} received, ${n(r.userReports.accepted)} accepted, ${n(r.userReports.rejected)} rejected as forged`,
    `Client-side scan    ${n(r.clientSideScanning.vouchers)} vouchers, ${n(r.clientSideScanning.matched)} matched, ${n(r.clientSideScanning.accountsOpened)} accounts opened (${n(r.clientSideScanning.innocentAccountsOpened)} innocent)`,
    `Privacy             ${n(r.privacy.readableInnocentMessages)} private messages of innocent users readable by the platform; ${n(r.privacy.innocentUsersExposed)} of ${n(r.privacy.innocentUsers)} innocent users exposed; ${n(r.privacy.innocentAccountsReviewed)} innocent accounts looked at by reviewers`,
    `Review              ${n(r.review.flags)} flags, ${n(r.review.reviewed)} reviewed, ${n(r.review.confirmed)} confirmed, ${n(r.review.rejected)} rejected, backlog ${n(r.review.backlogAtEnd)} (capacity ${n(r.review.capacityPerDay)}/day)`,
  ];
  const rollouts = rolloutLines(r);
  if (rollouts.length > 0) lines.splice(3, 0, ...rollouts);
  if (r.burnInDays) lines.push(`Burn-in             the first ${r.burnInDays} days are left out of the headline counts`);
  // Only when a protection for minors did something: a run without them reads as before.
  const p = r.protections;
  if (Object.values(p).some((x) => x > 0)) {
    lines.push(
      `Protections         ${n(p.refusedRequests)} DMs refused for want of an accepted request, ${n(p.restrictedMessages)} from ${n(p.restrictedAccounts)} restricted adults (${n(p.restrictedInnocent)} innocent); ${n(p.refusedAbusive)} of them abusive; ${n(p.prompted)} safety notices on abuse, then ${n(p.promptedReports)} reports and ${n(p.promptedBlocks)} blocks`,
    );
  }
  const platforms = platformTable(r);
  if (platforms.length > 0) lines.push('', ...platforms);
  for (const w of r.warnings) lines.push(`WARNING: ${w}`);
  // Names and file names come from the scenario: no control characters reach the terminal.
  return printable(lines.join('\n'));
}

/**
 * A world of several platforms: one row per platform and a total row (the headline
 * figures), with each platform's encryption; no lines for a result of one platform.
 */
export function platformTable(r: RunResult, title = 'Platforms'): string[] {
  const rows = platformRows(r);
  if (rows.length === 0) return [];
  const header = ['', ...PLATFORM_SURFACES.map((s) => s.header), ...PLATFORM_FIGURES.map((f) => f.header)];
  const cells = rows.map(({ label, summary, total }) => [
    label,
    ...PLATFORM_SURFACES.map((s) => (total ? '' : encryptionWords(summary.surfaces[s.key]))),
    ...PLATFORM_FIGURES.map((f) => (f.cell ? f.cell(summary) : n(f.value(summary)))),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => (row[c] as string).length)));
  const line = (row: string[]) =>
    row
      .map((x, c) => (c === 0 ? x.padEnd(widths[c] as number) : x.padStart(widths[c] as number)))
      .join('  ')
      .trimEnd();
  const rollouts = rows.flatMap(({ label, summary, total }) =>
    !total && summary.rollout
      ? [`  ${label} ${SURFACE_NAMES[BLOCK_OF[summary.rollout.surface]]} rollout, CyberTips a day: ${rolloutRates(summary.rollout)}`]
      : [],
  );
  return [
    `${title}: police investigations and arrests are the one police queue's, counted for the platform whose report opened them`,
    line(header),
    ...cells.map(line),
    ...rollouts,
  ];
}

/** The per-platform tables of results that have platforms, each under its scenario's name. */
function platformTables(results: readonly RunResult[]): string[] {
  return results.flatMap((r) => {
    const t = platformTable(r, `Platforms of ${r.scenario.name}`);
    return t.length > 0 ? ['', ...t] : [];
  });
}

const SURFACE_NAMES: Record<keyof RunResult['surfaces'], string> = { directMessages: 'DMs', publicPosts: 'public posts', profilePhotos: 'profile photos' };
const BLOCK_OF: Record<RolloutSummary['surface'], keyof RunResult['surfaces']> = { dm: 'directMessages', public: 'publicPosts', profile: 'profilePhotos' };

/** When a rollout happens, in the 1-based days of the per-day series: fromDay 10 starts at the start of day 11. */
export function rolloutWords(s: { fromDay: number; rampDays: number }): string {
  const ramp = s.rampDays > 0 ? `, reaching every account by the end of day ${s.fromDay + s.rampDays}` : '';
  return `e2ee from the start of day ${s.fromDay + 1} (fromDay ${s.fromDay})${ramp}`;
}

/** A line per surface whose encryption is rolled out during the run: when, and the encrypted messages by month. */
function rolloutLines(r: RunResult): string[] {
  return (Object.keys(SURFACE_NAMES) as (keyof RunResult['surfaces'])[])
    .flatMap((k) => {
      const s = r.surfaces[k];
      if (s.encryption !== 'e2ee' || (s.fromDay === 0 && s.rampDays === 0)) return [];
      const first = r.messages.encryptedPerDay.findIndex((x) => x > 0);
      const seen = first < 0 ? 'no message encrypted in the run' : `first encrypted message on day ${first + 1}`;
      return [`Rollout             ${SURFACE_NAMES[k]}: ${rolloutWords(s)} (${seen})`];
    })
    .concat(r.rollout ? [`  CyberTips a day    ${rolloutRates(r.rollout)}`] : []);
}

/** CyberTips a day before a rollout, since its start and once complete, in the 1-based days of the series. */
export function rolloutRates(x: RolloutSummary): string {
  const days = (w: RolloutWindow) => `days ${w.fromDay + 1}-${w.toDay}`;
  const ratio = (v: number | null) => (v === null ? '' : ` (ratio ${v})`);
  const complete = x.complete ? `, ${x.complete.reportsPerDay} once complete (${days(x.complete)})` : '';
  return `${x.before.reportsPerDay} before (${days(x.before)}), ${x.since.reportsPerDay} since its start (${days(x.since)})${ratio(x.ratio.reports)}${complete}; after bundling ${x.before.incidentsPerDay} → ${x.since.incidentsPerDay}${ratio(x.ratio.incidents)}`;
}

export interface Change {
  a: number;
  b: number;
  delta: number;
  /** Relative change in percent, null when a is 0. */
  percent: number | null;
}

export function change(a: number, b: number): Change {
  return { a, b, delta: b - a, percent: a === 0 ? null : Math.round(((b - a) / a) * 1000) / 10 };
}

export interface Comparison {
  a: RunResult;
  b: RunResult;
  change: {
    reports: Change;
    /** By route that had a part (`reports.byRoute`). */
    byRoute: Record<Route, Change>;
    /** By route that filed it (`reports.byFirstRoute`). */
    byFirstRoute: Record<Route, Change>;
    falsePositive: Change;
    offendersReported: Change;
  };
}

export function compareResults(a: RunResult, b: RunResult): Comparison {
  return {
    a,
    b,
    change: {
      reports: change(a.reports.total, b.reports.total),
      byRoute: Object.fromEntries(ROUTES.map((k) => [k, change(a.reports.byRoute[k], b.reports.byRoute[k])])) as Record<Route, Change>,
      byFirstRoute: Object.fromEntries(ROUTES.map((k) => [k, change(a.reports.byFirstRoute[k], b.reports.byFirstRoute[k])])) as Record<Route, Change>,
      falsePositive: change(a.reports.falsePositive, b.reports.falsePositive),
      offendersReported: change(a.offenders.reported, b.offenders.reported),
    },
  };
}

/** A figure of both runs, or (one element) the heading of the rows below it. */
type Row = [string, number, number] | [string];

/** A row of the figures table: a figure, by its path in the result document, or a heading. */
export type FigureRow = { label: string; path: string } | { label: string; heading: true };

/**
 * The rows of the figures table, shared by the terminal and the HTML report, for one run,
 * a comparison and replications alike: reports (with both counts by route, each under
 * its heading), offenders, detections, messages and the privacy costs.
 */
export const FIGURE_ROWS: readonly FigureRow[] = [
  { label: 'Reports to police', path: 'reports.total' },
  ...ROUTE_COUNT_KINDS.flatMap((kind): FigureRow[] => [
    { label: `  by route that ${ROUTE_COUNTS[kind].label}`, heading: true },
    ...ROUTES.map((k) => ({ label: `    ${ROUTE_LABELS[k]}`, path: `reports.${ROUTE_COUNTS[kind].field}.${k}` })),
  ]),
  { label: '  about innocent accounts', path: 'reports.falsePositive' },
  { label: '  investigated by police', path: 'referrals.investigated' },
  { label: 'CyberTips (incidents as filed)', path: 'cyberTips.reports' },
  { label: '  incidents after bundling', path: 'cyberTips.incidents' },
  { label: 'Police investigations', path: 'police.investigations' },
  { label: '  of offenders', path: 'police.offendersInvestigated' },
  { label: '  arrests', path: 'police.arrests' },
  { label: '  relevant referrals waiting at end', path: 'police.backlogAtEnd' },
  { label: 'Offenders reported', path: 'offenders.reported' },
  ...OFFENDER_KINDS.map((k) => ({ label: `  ${OFFENDER_KIND_LABELS[k]}`, path: `offenders.byKind.${k}.reported` })),
  { label: 'Accounts closed after a report', path: 'enforcement.closed' },
  { label: '  of offenders', path: 'enforcement.offendersClosed' },
  { label: '  offenders back on a new account', path: 'enforcement.returnsAfterClosing' },
  { label: 'Detections', heading: true },
  ...ROUTES.map((k) => ({ label: `  ${ROUTE_LABELS[k]}`, path: `detections.${k}` })),
  { label: 'Messages', path: 'messages.total' },
  { label: '  encrypted', path: 'messages.encrypted' },
  { label: '  unscannable', path: 'messages.unscannable' },
  { label: 'Review backlog at end', path: 'review.backlogAtEnd' },
  { label: 'Privacy costs', heading: true },
  ...PRIVACY_COSTS.map((p) => ({ label: `  ${p.label}`, path: p.path })),
];

/** The number at a dotted path of a result document (a list of named entries keyed by name); 0 where there is none. */
export function valueAt(r: RunResult, path: string): number {
  let x: unknown = r;
  for (const key of path.split('.')) {
    if (Array.isArray(x)) x = x.find((e) => (e as { name?: unknown })?.name === key);
    else x = x !== null && typeof x === 'object' ? (x as Record<string, unknown>)[key] : undefined;
  }
  return typeof x === 'number' ? x : 0;
}

/** The rows of a comparison, for the terminal table and the HTML report (FIGURE_ROWS with both runs' values). */
export function comparisonRows(a: RunResult, b: RunResult): Row[] {
  return FIGURE_ROWS.map((row): Row => ('heading' in row ? [row.label] : [row.label, valueAt(a, row.path), valueAt(b, row.path)]));
}

/** What the two counts by route mean, under every table that shows them. */
const routeNotes = () => ROUTE_COUNT_KINDS.map((kind) => `By route that ${ROUTE_COUNTS[kind].label}: ${ROUTE_COUNTS[kind].note}.`);

/**
 * Several scenarios side by side: one column each, every later column with its change
 * against the first.
 */
export function formatTable(results: RunResult[]): string {
  const [first] = results;
  if (!first) return '';
  const rowsPer = results.map((r) => comparisonRows(first, r));
  const labels = (rowsPer[0] ?? []).map((row) => row[0]);
  // Headings have no figures: they may run into the figure columns.
  const w0 = Math.max(...(rowsPer[0] ?? []).filter((row) => row.length > 1).map((row) => row[0].length), 10);
  const cells = results.map((_r, col) =>
    (rowsPer[col] ?? []).map((row) => {
      if (row.length === 1) return '';
      const [, base, y] = row;
      if (col === 0) return n(y);
      const ch = change(base, y);
      const p = ch.percent === null || ch.delta === 0 ? '' : ` (${ch.percent > 0 ? '+' : '−'}${Math.abs(Math.round(ch.percent))}%)`;
      return `${n(y)}${p}`;
    }),
  );
  const widths = results.map((r, col) => Math.max(r.scenario.name.length, ...(cells[col] ?? []).map((c) => c.length)));
  const out = [`${''.padEnd(w0)}  ${results.map((r, i) => r.scenario.name.padStart(widths[i] as number)).join('  ')}`];
  labels.forEach((label, row) => {
    out.push(`${label.padEnd(w0)}  ${results.map((_, col) => ((cells[col] ?? [])[row] ?? '').padStart(widths[col] as number)).join('  ')}`.trimEnd());
  });
  out.push('', `Changes are against ${first.scenario.name}.`, ...routeNotes(), ...platformTables(results));
  for (const r of results) for (const w of r.warnings) out.push(`WARNING: ${r.scenario.name}: ${w}`);
  return printable(out.join('\n'));
}

export function formatComparison(c: Comparison): string {
  const { a, b } = c;
  const rows = comparisonRows(a, b);
  const w0 = Math.max(...rows.filter((r) => r.length > 1).map((r) => r[0].length), 10);
  const colA = Math.max(a.scenario.name.length, 12);
  const colB = Math.max(b.scenario.name.length, 12);
  const out = [`${''.padEnd(w0)}  ${a.scenario.name.padStart(colA)}  ${b.scenario.name.padStart(colB)}  change`];
  for (const row of rows) {
    if (row.length === 1) {
      out.push(row[0]);
      continue;
    }
    const [label, x, y] = row;
    const ch = change(x, y);
    const delta = ch.delta === 0 ? '0' : `${ch.delta > 0 ? '+' : '−'}${n(Math.abs(ch.delta))}`;
    const p = ch.percent === null || ch.delta === 0 ? '' : ` (${ch.percent > 0 ? '+' : '−'}${Math.abs(ch.percent)}%)`;
    out.push(`${label.padEnd(w0)}  ${n(x).padStart(colA)}  ${n(y).padStart(colB)}  ${delta}${p}`);
  }
  out.push(
    '',
    ...routeNotes(),
    `${a.scenario.name}: ${a.timing.transport}, ${a.timing.wallSeconds} s · ${b.scenario.name}: ${b.timing.transport}, ${b.timing.wallSeconds} s`,
    ...platformTables([a, b]),
  );
  for (const w of [...a.warnings.map((x) => `${a.scenario.name}: ${x}`), ...b.warnings.map((x) => `${b.scenario.name}: ${x}`)]) out.push(`WARNING: ${w}`);
  return printable(out.join('\n'));
}
