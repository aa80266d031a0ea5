/**
 * A self-contained HTML report of one or more results: opens from disk, offline (the
 * charting library, Chart.js, is inlined), for analysts who would otherwise build the
 * same charts by hand in a spreadsheet. Every chart registers itself on
 * `window.blindspotCharts` so a browser test can check it has drawn data.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ABUSE_KIND_LABELS, ABUSE_KINDS, MONTH_DAYS, perMonth, ROUTE_LABELS, ROUTES, type Route, type RunResult } from '@blindspot/core';
import {
  encryptionWords,
  PLATFORM_FIGURES,
  PLATFORM_SURFACES,
  platformRows,
  PRIVACY_COSTS,
  ROUTE_COUNT_KINDS,
  ROUTE_COUNTS,
  csvLine,
  routeCount,
} from './figures';
import { change, comparisonRows, FIGURE_ROWS, rolloutWords } from './format';
import type { ChangeEstimate, SeriesBand } from './analysis/replications';
import { formatEstimate, formatPercentChange } from './analysis/replications-format';
import type { Estimate } from './analysis/stats';

export { figuresCsv, platformsCsv } from './figures';

export interface ReportInput {
  title: string;
  /** One label per result (scenario names, or the values of a sweep variant). */
  labels: string[];
  results: RunResult[];
  /** For a sweep: the swept fields, shown on the x axis of the trend charts. */
  sweep?: { fields: string[] };
  /** Replications: `results` are their means; the intervals of every figure, series and change. */
  replicated?: ReplicatedInput;
}

/** The intervals of replicated results, one entry per result (changes: each after the first against the first). */
export interface ReplicatedInput {
  level: number;
  replications: number;
  figures: Record<string, Estimate>[];
  series: Record<string, SeriesBand>[];
  changes: Record<string, ChangeEstimate>[];
}

let chartJs: string | undefined;
export function chartLibrary(): string {
  if (chartJs === undefined) {
    const entry = createRequire(import.meta.url).resolve('chart.js');
    chartJs = readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
  }
  return chartJs;
}

/**
 * Colours: one per scenario (cool hues) and one per route (warm hues), never shared, so
 * that a colour means the same thing in every chart. A route's colour follows its place
 * in ROUTES; scenarios take theirs in the order given.
 */
export const SCENARIO_COLOURS = ['#1f4e9c', '#5dade2', '#6c3483', '#7f8c8d', '#17a2b8', '#a29bfe', '#34495e', '#0e6655'];
export const ROUTE_COLOURS = ['#c0392b', '#e67e22', '#f1c40f', '#27ae60', '#d35fa0', '#8e5b2e', '#ff7f50', '#b7950b'];
/** Trend lines of a sweep plot a figure, neither a scenario nor a route. */
const NEUTRAL = '#444444';
const scenarioColour = (i: number) => SCENARIO_COLOURS[i % SCENARIO_COLOURS.length] as string;
const routeColour = (route: Route) => ROUTE_COLOURS[ROUTES.indexOf(route) % ROUTE_COLOURS.length] as string;

export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (x: number | null) => (x === null ? 'n/a' : x.toLocaleString('en-US'));
const pct = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 1000) / 10}%`);

interface ChartSpec {
  id: string;
  title: string;
  note: string;
  config: unknown;
}

/** A count axis: titled, from zero, in whole steps. */
const countAxis = (title: string, extra: Record<string, unknown> = {}) => ({
  beginAtZero: true,
  title: { display: true, text: title },
  ticks: { precision: 0 },
  ...extra,
});
const categoryAxis = (title: string, extra: Record<string, unknown> = {}) => ({ title: { display: true, text: title }, ...extra });

/** The funnel's stages: each a subset of the one before, so the bars only narrow. */
export const FUNNEL: { label: string; value: (r: RunResult) => number }[] = [
  { label: 'offenders on the platform', value: (r) => r.offenders.total },
  { label: 'reported to police', value: (r) => r.offenders.reported },
  { label: 'report investigated by police', value: (r) => r.referrals.offendersInvestigated },
  { label: 'arrested', value: (r) => r.police.arrests },
];

/** The surfaces' names in a band's label. */
const SURFACE_NAMES: Record<keyof RunResult['surfaces'], string> = { directMessages: 'DMs', publicPosts: 'public posts', profilePhotos: 'profile photos' };

/** A shaded band (or, without a ramp, a line) over the days of a rollout, drawn by the page's blindspotBands plugin. */
export interface Band {
  /** Day indices (0 = day 1): where the rollout starts and where its ramp ends. */
  from: number;
  to: number;
  label: string;
  colour: string;
  fill: string;
}

/**
 * Each run's rollouts (e2ee surfaces that are not encrypted from the start), as bands of
 * the per-day charts; in a world of several platforms, each platform's, named.
 */
export function rolloutBands(labels: string[], results: RunResult[]): Band[] {
  return results.flatMap((r, i) => {
    const owners = r.platforms
      ? r.platforms.map((p) => ({ who: `${labels[i]} ${p.name}`, surfaces: p.surfaces }))
      : [{ who: labels[i] as string, surfaces: r.surfaces }];
    return owners.flatMap(({ who, surfaces }) =>
      (Object.keys(SURFACE_NAMES) as (keyof RunResult['surfaces'])[]).flatMap((k) => {
        const s = surfaces[k];
        if (s.encryption !== 'e2ee' || (s.fromDay === 0 && s.rampDays === 0)) return [];
        const colour = scenarioColour(i);
        return [{ from: s.fromDay, to: s.fromDay + s.rampDays, label: `${who}: ${SURFACE_NAMES[k]} ${rolloutWords(s)}`, colour, fill: `${colour}1f` }];
      }),
    );
  });
}

function charts(input: ReportInput): ChartSpec[] {
  const { results, labels } = input;
  const days = Math.max(...results.map((r) => r.reports.perDay.length));
  const perScenario = (data: (r: RunResult) => number[]) =>
    results.map((r, i) => ({ label: labels[i], data: data(r), borderColor: scenarioColour(i), backgroundColor: scenarioColour(i) }));
  const dayLabels = Array.from({ length: days }, (_, i) => String(i + 1));
  // Replications: each scenario's 95% interval, day by day, as a shaded band around its mean.
  const intervals = (path: string, suffix = '') =>
    results.flatMap((_r, i) => {
      const band = input.replicated?.series[i]?.[path];
      if (!band) return [];
      const colour = scenarioColour(i);
      const common = { borderWidth: 0, pointRadius: 0, tension: 0.2, borderColor: colour };
      return [
        // Counts: the band is drawn from 0 where the interval reaches below it (the JSON keeps the interval as computed).
        {
          ...common,
          label: `${labels[i]}${suffix}: low`,
          data: band.low.map((v) => (v === null ? null : Math.max(0, v))),
          fill: false,
          blindspotBandLow: true,
        },
        { ...common, label: `${labels[i]}${suffix}: 95% interval`, data: band.high, fill: '-1', backgroundColor: `${colour}33` },
      ];
    });
  const intervalNote = input.replicated
    ? ` Lines are the means of ${input.replicated.replications} replications; the shaded band around each is its 95% interval, day by day (from 0 where the interval reaches below it).`
    : '';
  const bands = rolloutBands(labels, results);
  const rolloutNote = bands.length > 0 ? ' The shaded days are a rollout of encryption: from the day it starts to the day it reaches every account.' : '';
  const plugins = bands.length > 0 ? { blindspotBands: { bands } } : {};
  const specs: ChartSpec[] = [
    {
      id: 'per-day',
      title: 'Reports to police per simulated day',
      note: `Reports filed at the end of each review day, one line per scenario.${rolloutNote}${intervalNote}`,
      config: {
        type: 'line',
        data: { labels: dayLabels, datasets: [...perScenario((r) => r.reports.perDay).map((d) => ({ ...d, tension: 0.2 })), ...intervals('reports.perDay')] },
        options: { scales: { x: categoryAxis('simulated day'), y: countAxis('reports to police filed that day') }, plugins },
      },
    },
    {
      id: 'encrypted-per-day',
      title: 'Share of messages end-to-end encrypted per simulated day',
      note: `Encrypted messages as a share of all messages sent that day (DMs, public posts, profile photos), one line per scenario.${rolloutNote}`,
      config: {
        type: 'line',
        data: {
          labels: dayLabels,
          datasets: perScenario((r) =>
            dayLabels.map((_, d) => {
              const all = r.messages.perDay[d] ?? 0;
              return all === 0 ? 0 : Math.round(((r.messages.encryptedPerDay[d] ?? 0) / all) * 1000) / 10;
            }),
          ),
        },
        options: {
          scales: { x: categoryAxis('simulated day'), y: countAxis("% of the day's messages encrypted", { min: 0, max: 100 }) },
          plugins,
        },
      },
    },
    {
      id: 'incidents-per-day',
      title: 'CyberTip incidents per simulated day',
      note: `Incidents as the platform files them (solid) and after NCMEC-style bundling of viral duplicates (dashed), one colour per scenario. Burn-in days are drawn too.${intervalNote ? `${intervalNote} (around the incidents as filed)` : ''}`,
      config: {
        type: 'line',
        data: {
          labels: Array.from({ length: days }, (_, i) => String(i + 1)),
          datasets: [
            ...perScenario((r) => r.cyberTips.reportsPerDay).map((d) => ({ ...d, label: `${d.label}: reports`, tension: 0.2 })),
            ...perScenario((r) => r.cyberTips.incidentsPerDay).map((d) => ({ ...d, label: `${d.label}: incidents`, tension: 0.2, borderDash: [6, 4] })),
            ...intervals('cyberTips.reportsPerDay', ': reports'),
          ],
        },
        options: { scales: { x: categoryAxis('simulated day'), y: countAxis('incidents filed that day') } },
      },
    },
    // A world of several platforms: each platform's CyberTips a day, its rollout shaded.
    ...(results.some((r) => r.platforms)
      ? [
          {
            id: 'platform-incidents-per-day',
            title: 'CyberTips per simulated day, by platform',
            note: `Each platform's incidents as it files them, one line per platform (per scenario with several platforms).${rolloutNote}`,
            config: {
              type: 'line',
              data: {
                labels: dayLabels,
                datasets: results.flatMap((r, i) =>
                  (r.platforms ?? []).map((p, j) => {
                    const colour = scenarioColour(i * 3 + j);
                    return { label: `${labels[i]} ${p.name}`, data: p.cyberTipsPerDay.reports, borderColor: colour, backgroundColor: colour, tension: 0.2 };
                  }),
                ),
              },
              options: { scales: { x: categoryAxis('simulated day'), y: countAxis('incidents filed that day') }, plugins },
            },
          } satisfies ChartSpec,
        ]
      : []),
    {
      id: 'investigations-per-day',
      title: 'Police investigations opened per simulated day',
      note: 'Police open at most their capacity a day from the queue of relevant referrals, first filed first; one line per scenario.',
      config: {
        type: 'line',
        data: {
          labels: Array.from({ length: days }, (_, i) => String(i + 1)),
          datasets: perScenario((r) => r.police.investigationsPerDay).map((d) => ({ ...d, stepped: true })),
        },
        options: { scales: { x: categoryAxis('simulated day'), y: countAxis('investigations opened that day') } },
      },
    },
    {
      id: 'filed-by-route',
      title: `${ROUTE_COUNTS.filedIt.heading}`,
      note: `Each bar is a scenario's reports to police, split by the route that filed each one: ${ROUTE_COUNTS.filedIt.note}.`,
      config: {
        type: 'bar',
        data: {
          labels,
          datasets: ROUTES.map((route: Route) => ({
            label: ROUTE_LABELS[route],
            data: results.map((r) => routeCount(r, 'filedIt', route)),
            backgroundColor: routeColour(route),
            borderColor: routeColour(route),
          })),
        },
        options: { scales: { x: categoryAxis('scenario', { stacked: true }), y: countAxis('reports to police', { stacked: true }) } },
      },
    },
    {
      id: 'part-by-route',
      title: `${ROUTE_COUNTS.hadAPart.heading}`,
      note: `For each route, one bar per scenario: the reports it had a confirmed part in. ${ROUTE_COUNTS.hadAPart.note[0]?.toUpperCase()}${ROUTE_COUNTS.hadAPart.note.slice(1)}.`,
      config: {
        type: 'bar',
        data: { labels: ROUTES.map((r) => ROUTE_LABELS[r]), datasets: perScenario((r) => ROUTES.map((route) => routeCount(r, 'hadAPart', route))) },
        options: { scales: { x: categoryAxis('route'), y: countAxis('reports to police the route had a part in') } },
      },
    },
    {
      id: 'funnel',
      title: 'From offenders to police investigations',
      note: 'Each stage is a part of the one before: all offenders on the platform; those reported to police; those whose report police investigated.',
      config: {
        type: 'bar',
        data: { labels: FUNNEL.map((s) => s.label), datasets: perScenario((r) => FUNNEL.map((s) => s.value(r))) },
        options: { scales: { x: categoryAxis('stage'), y: countAxis('offenders') } },
      },
    },
    {
      id: 'false-reports',
      title: 'Reports about innocent accounts, by route that had a part',
      note: `Reports whose account was innocent, under each route that had a confirmed part in them (${ROUTE_COUNTS.hadAPart.note}).`,
      config: {
        type: 'bar',
        data: { labels: ROUTES.map((r) => ROUTE_LABELS[r]), datasets: perScenario((r) => ROUTES.map((route) => r.reports.falsePositiveByRoute[route])) },
        options: { scales: { x: categoryAxis('route'), y: countAxis('reports about innocent accounts') } },
      },
    },
  ];
  if (input.sweep) {
    const fields = input.sweep.fields.join(', ');
    const figures: [string, (r: RunResult) => number][] = [
      ['Reports to police', (r) => r.reports.total],
      ['Reports about offenders', (r) => r.reports.truePositive],
      ['Reports about innocent accounts', (r) => r.reports.falsePositive],
      ['Offenders reported', (r) => r.offenders.reported],
      ['Innocent accounts reviewed', (r) => r.privacy.innocentAccountsReviewed],
    ];
    figures.forEach(([title, pick], i) => {
      specs.push({
        id: `sweep-${i}`,
        title: `${title} against ${fields}`,
        note: 'One point per run of the sweep.',
        config: {
          type: 'line',
          data: { labels, datasets: [{ label: title, data: results.map(pick), borderColor: NEUTRAL, backgroundColor: NEUTRAL }] },
          options: { scales: { x: categoryAxis(fields), y: countAxis(title.toLowerCase()) } },
        },
      });
    });
  }
  return specs;
}

const slug = (label: string) =>
  label
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** A scenario's column header, with its colour (a name may break after its hyphens). */
const scenarioHeader = (label: string, i: number) =>
  `<th scope="col" class="scenario"><span class="swatch" style="background:${scenarioColour(i)}"></span>${escapeHtml(label).replace(/-/g, '-<wbr>')}</th>`;

/**
 * The headline table: the terminal's rows (format.ts), one column per scenario and, for
 * each after the first, its change and percentage against the first.
 */
function headlineTable(input: ReportInput): string {
  const { results, labels } = input;
  const first = results[0];
  if (!first) return '';
  const rowsPer = results.map((r) => comparisonRows(first, r));
  const base = labels[0] as string;
  const head = [
    '<th></th>',
    scenarioHeader(base, 0),
    ...labels.slice(1).flatMap((l, i) => [scenarioHeader(l, i + 1), `<th scope="col" class="change">change</th>`, `<th scope="col" class="change">%</th>`]),
  ];
  const privacy = new Set(['Privacy costs', ...PRIVACY_COSTS.map((p) => p.label)]);
  // Each row is named by its path, e.g. `by-route-that-filed-it.hash-match`: labels repeat under several headings.
  const parents: { indent: number; key: string }[] = [];
  const body = (rowsPer[0] ?? []).map((row, k) => {
    const label = row[0];
    const indent = (label.length - label.trimStart().length) / 2;
    while (parents.length > 0 && (parents[parents.length - 1]?.indent ?? 0) >= indent) parents.pop();
    const key = slug(label.split(' (')[0] as string);
    const path = [...parents.map((p) => p.key), key].join('.');
    parents.push({ indent, key });
    const cls = [row.length === 1 ? 'group' : '', privacy.has(label.trim()) ? 'privacy' : ''].filter(Boolean).join(' ');
    const attrs = `${cls ? ` class="${cls}"` : ''} data-row="${path}"`;
    const th = `<th scope="row" style="padding-left:${0.5 + indent}rem">${escapeHtml(label.trim())}</th>`;
    if (row.length === 1) return `<tr${attrs}>${th}<td colspan="${head.length - 1}"></td></tr>`;
    const rep = input.replicated;
    const figure = FIGURE_ROWS[k];
    if (rep && figure && 'path' in figure) {
      const cells = results.flatMap((_r, col) => {
        const e = rep.figures[col]?.[figure.path];
        const own = `<td>${e ? escapeHtml(formatEstimate(e)) : ''}</td>`;
        if (col === 0) return [own];
        const c = rep.changes[col - 1]?.[figure.path];
        return [
          own,
          `<td class="change">${c ? escapeHtml(formatEstimate(c.difference, true)) : ''}</td>`,
          `<td class="change">${c ? escapeHtml(formatPercentChange(c.ratio)) : ''}</td>`,
        ];
      });
      return `<tr${attrs}>${th}${cells.join('')}</tr>`;
    }
    const cells = results.flatMap((_r, col) => {
      const cell = rowsPer[col]?.[k];
      const [, a, b] = cell && cell.length === 3 ? cell : [label, 0, 0];
      if (col === 0) return [`<td>${n(b)}</td>`];
      const ch = change(a, b);
      const delta = ch.delta === 0 ? '0' : `${ch.delta > 0 ? '+' : '−'}${n(Math.abs(ch.delta))}`;
      const p = ch.percent === null ? (ch.delta === 0 ? '0%' : 'n/a') : `${ch.percent > 0 ? '+' : ch.percent < 0 ? '−' : ''}${Math.abs(ch.percent)}%`;
      return [`<td>${n(b)}</td>`, `<td class="change">${delta}</td>`, `<td class="change">${p}</td>`];
    });
    return `<tr${attrs}>${th}${cells.join('')}</tr>`;
  });
  const notes = ROUTE_COUNT_KINDS.map((kind) => `<li><strong>By route that ${ROUTE_COUNTS[kind].label}</strong>: ${escapeHtml(ROUTE_COUNTS[kind].note)}.</li>`);
  const privacyNotes = PRIVACY_COSTS.map((p) => `<li><strong>${escapeHtml(p.label)}</strong>: ${escapeHtml(p.note)}.</li>`);
  return `<div class="scroll"><table id="headline"><thead><tr>${head.join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>
<p class="note">Changes are against ${escapeHtml(base)}.${
    input.replicated
      ? ` Every figure is the mean of ${input.replicated.replications} replications ± the half-width of its 95% Student-t interval; a change is the mean of the paired differences (replication k of every scenario at the same seed) ± the half-width of their interval, and its % the ratio of the means with a delta-method interval.`
      : ''
  }</p><ul class="note">${[...notes, ...privacyNotes].join('')}</ul>`;
}

/** Hours to one decimal (a mean of replications is rarely whole). */
const hoursText = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 10) / 10} h`);

/** Recall and delay: shares and hours, so without change columns. */
function recallTable(input: ReportInput): string {
  const rows: [string, (r: RunResult) => string][] = [
    ...ABUSE_KINDS.map((k): [string, (r: RunResult) => string] => [`Recall: ${ABUSE_KIND_LABELS[k]}`, (r) => pct(r.recall[k])]),
    ['Time to report, median', (r) => hoursText(r.timeToReport.medianHours)],
    ['Time to report, 90th percentile', (r) => hoursText(r.timeToReport.p90Hours)],
  ];
  const head = `<tr><th></th>${input.labels.map((l, i) => scenarioHeader(l, i)).join('')}</tr>`;
  const body = rows.map(([label, cell]) => `<tr><th scope="row">${escapeHtml(label)}</th>${input.results.map((r) => `<td>${cell(r)}</td>`).join('')}</tr>`);
  return `<div class="scroll"><table id="recall"><thead>${head}</thead><tbody>${body.join('')}</tbody></table></div>
<p class="note">Recall: the share of abusive messages of each kind that some content route or a verified user report detected. Time to report: hours from an offender's first abusive message to their report.</p>`;
}

/**
 * A world of several platforms: per result that has them, a table of its platforms (one
 * row each, with their encryption) and a total row of the headline figures. Empty
 * without platforms.
 */
function platformsSection(input: ReportInput): string {
  const tables = input.results.flatMap((r, i) => {
    const rows = platformRows(r);
    if (rows.length === 0) return [];
    const head = `<tr><th></th>${[...PLATFORM_SURFACES.map((x) => x.header), ...PLATFORM_FIGURES.map((f) => f.header)].map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr>`;
    const body = rows.map(({ label, summary, total }) => {
      const surfaces = PLATFORM_SURFACES.map((x) => `<td>${total ? '' : escapeHtml(encryptionWords(summary.surfaces[x.key]))}</td>`);
      const figures = PLATFORM_FIGURES.map((f) => `<td data-key="${f.key}">${escapeHtml(f.cell ? f.cell(summary) : n(f.value(summary)))}</td>`);
      const th = total ? `<th scope="row"><strong>${escapeHtml(label)}</strong></th>` : `<th scope="row">${escapeHtml(label)}</th>`;
      return `<tr data-platform="${escapeHtml(label)}"${total ? ' class="total"' : ''}>${th}${[...surfaces, ...figures].join('')}</tr>`;
    });
    const caption = input.results.length > 1 ? `<h3>${escapeHtml(input.labels[i] as string)}</h3>` : '';
    return [`${caption}<div class="scroll"><table class="platforms" id="platforms-${i}"><thead>${head}</thead><tbody>${body.join('')}</tbody></table></div>`];
  });
  if (tables.length === 0) return '';
  return `<h2>Platforms</h2>
<p class="note">Each platform of the world: its encryption and its figures; the last row is the whole world's (the headline figures). Police are one force for the world: investigations and arrests are counted for the platform whose report opened them.</p>
${tables.join('\n')}`;
}

/** The style every Blindspot page starts from: type, headings, notes and tables. */
export const BASE_STYLE = `  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1d1d1f; padding: 0 1rem; }
  h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
  h2 { font-size: 1.15rem; margin: 2rem 0 0.2rem; }
  .note { color: #555; margin: 0 0 0.6rem; font-size: 0.9rem; }
  table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
  th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: right; white-space: nowrap; }`;

/**
 * A page of its own (the sensitivity and calibration reports): the base style and
 * `style`, the body, and each chart drawn and registered on `window.blindspotCharts`.
 */
export function standalonePage(title: string, style: string, body: string, charts: readonly { id: string; config: unknown }[]): string {
  // JSON inside a script element: keep "</script>" from ending it early.
  const data = JSON.stringify(charts).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
${BASE_STYLE}
  thead th { border-bottom: 2px solid #999; }
  tbody th { font-weight: normal; text-align: left; }
${style}
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
<script>${chartLibrary()}</script>
<script>
  window.blindspotCharts = ${data}.map((spec) => ({ id: spec.id, chart: new Chart(document.getElementById(spec.id), spec.config) }));
</script>
</body>
</html>
`;
}

/** The report as one HTML document. */
export function renderHtml(input: ReportInput): string {
  const specs = charts(input);
  const warnings = input.results.flatMap((r, i) => r.warnings.map((w) => `${input.labels[i]}: ${w}`));
  const scenarios = input.results
    .map(
      (r, i) =>
        `<li><span class="swatch" style="background:${scenarioColour(i)}"></span><strong>${escapeHtml(input.labels[i] as string)}</strong>: ${escapeHtml(r.scenario.file)}, ${input.replicated ? `${input.replicated.replications} replications from seed ${r.scenario.seed}, ${r.timing.transport}` : `seed ${r.scenario.seed}, ${r.timing.transport}, ${r.timing.wallSeconds} s`}</li>`,
    )
    .join('');
  const sections = specs
    .map(
      (s) =>
        `<section><h2>${escapeHtml(s.title)}</h2><p class="note">${escapeHtml(s.note)}</p><div class="chart"><canvas id="${s.id}"></canvas></div></section>`,
    )
    .join('\n');
  // JSON inside a script element: keep "</script>" from ending it early.
  const data = JSON.stringify(specs.map((s) => ({ id: s.id, config: s.config }))).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>
${BASE_STYLE}
  th:first-child, td:first-child { text-align: left; }
  thead th { border-bottom: 2px solid #999; vertical-align: bottom; }
  th.scenario { white-space: normal; max-width: 9rem; }
  .swatch { display: inline-block; width: 0.75em; height: 0.75em; margin-right: 0.3em; border-radius: 2px; }
  tr.group th { font-weight: 600; color: #333; padding-top: 0.7rem; }
  tbody th { font-weight: normal; }
  tr.privacy { background: #f6f3fb; }
  .change { color: #555; }
  .scroll { overflow-x: auto; }
  ul.note { padding-left: 1.2rem; }
  .chart { position: relative; height: 340px; }
  .warning { color: #a00; }
  tr.total th, tr.total td { border-top: 2px solid #999; font-weight: 600; }
</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
<ul>${scenarios}</ul>
${warnings.map((w) => `<p class="warning">Warning: ${escapeHtml(w)}</p>`).join('\n')}
<h2>Headline figures</h2>
${headlineTable(input)}
${platformsSection(input)}
<h2>Recall and time to report</h2>
${recallTable(input)}
${sections}
<p class="note">Generated by Blindspot. Every figure but the timing is a function of the scenario file and its seed.</p>
<script>${chartLibrary()}</script>
<script>
  // Rollouts of encryption: a shaded band from the day one starts to the day it reaches
  // every account (a line when it reaches them at once), with its label.
  Chart.register({
    id: 'blindspotBands',
    beforeDatasetsDraw(chart, _args, options) {
      const bands = options && options.bands;
      if (!bands || !bands.length) return;
      const x = chart.scales.x;
      const area = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.font = '11px system-ui, sans-serif';
      bands.forEach((band, i) => {
        const from = x.getPixelForValue(Math.min(band.from, x.max));
        const to = x.getPixelForValue(Math.min(band.to, x.max));
        ctx.fillStyle = band.fill;
        ctx.fillRect(from, area.top, Math.max(2, to - from), area.bottom - area.top);
        ctx.fillStyle = band.colour;
        ctx.fillRect(from, area.top, 2, area.bottom - area.top);
        ctx.fillText(band.label, from + 4, area.top + 12 + 13 * i);
      });
      ctx.restore();
    },
  });
  window.blindspotCharts = [];
  for (const spec of ${data}) {
    const config = spec.config;
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    // An interval band is two datasets: only its upper edge (named "95% interval") gets a legend entry.
    if (config.data.datasets.some((d) => d.blindspotBandLow)) {
      config.options.plugins = Object.assign({}, config.options.plugins, {
        legend: { labels: { filter: (item, data) => !data.datasets[item.datasetIndex].blindspotBandLow } },
      });
    }
    window.blindspotCharts.push({ id: spec.id, chart: new Chart(document.getElementById(spec.id), config) });
  }
</script>
</body>
</html>
`;
}

/** The series of the per-day and per-month CSV, for each run: a column's name, and its values per day and per 30-day month. */
const SERIES: readonly { name: string; perDay: (r: RunResult) => readonly number[]; perMonth: (r: RunResult) => readonly number[] }[] = [
  { name: 'reports to police', perDay: (r) => r.reports.perDay, perMonth: (r) => r.reports.perMonth },
  { name: 'flags raised', perDay: (r) => r.review.flagsPerDay, perMonth: (r) => r.review.flagsPerMonth },
  { name: 'messages', perDay: (r) => r.messages.perDay, perMonth: (r) => r.messages.perMonth },
  { name: 'encrypted messages', perDay: (r) => r.messages.encryptedPerDay, perMonth: (r) => r.messages.encryptedPerMonth },
  { name: 'incidents filed', perDay: (r) => r.cyberTips.reportsPerDay, perMonth: (r) => r.cyberTips.reportsPerMonth },
  { name: 'incidents after bundling', perDay: (r) => r.cyberTips.incidentsPerDay, perMonth: (r) => r.cyberTips.incidentsPerMonth },
  { name: 'investigations opened', perDay: (r) => r.police.investigationsPerDay, perMonth: (r) => perMonth(r.police.investigationsPerDay) },
];

/** A series CSV: the leading columns of each row, then every series of every run at that index. */
function seriesCsv(labels: string[], results: RunResult[], lead: string[], rows: number, cells: (i: number) => string[], unit: 'perDay' | 'perMonth'): string {
  const header = [...lead, ...labels.flatMap((l) => SERIES.map((c) => `${l} ${c.name}`))];
  const values = results.map((r) => SERIES.map((c) => c[unit](r)));
  const body = Array.from({ length: rows }, (_, i) => [...cells(i), ...values.flatMap((series) => series.map((v) => String(v[i] ?? 0)))]);
  return `${[header, ...body].map(csvLine).join('\n')}\n`;
}

/** Per-day series as CSV (for spreadsheets): day, then of each run reports (accounts), flags, messages, encrypted messages, incidents filed, incidents after bundling and investigations opened. */
export function perDayCsv(labels: string[], results: RunResult[]): string {
  const days = Math.max(...results.map((r) => r.reports.perDay.length));
  return seriesCsv(labels, results, ['day'], days, (d) => [String(d + 1)], 'perDay');
}

/** Per-month series as CSV: 30-day months (the last may be shorter), with their days, then the per-day CSV's columns summed. */
export function perMonthCsv(labels: string[], results: RunResult[]): string {
  const days = Math.max(...results.map((r) => r.reports.perDay.length));
  const months = Math.max(...results.map((r) => r.reports.perMonth.length));
  return seriesCsv(
    labels,
    results,
    ['month', 'days'],
    months,
    (m) => [String(m + 1), `${m * MONTH_DAYS + 1}-${Math.min(days, (m + 1) * MONTH_DAYS)}`],
    'perMonth',
  );
}

/** Every report to police of one run as CSV: one row per incident (CyberTip), burn-in days included; in a world of several platforms, first the platform that filed it. */
export function reportsCsv(result: RunResult): string {
  const yes = (x: boolean) => (x ? 'yes' : 'no');
  const byPlatform = result.platforms !== undefined;
  const header = [
    ...(byPlatform ? ['platform'] : []),
    'account',
    'incident',
    'truth',
    'routes',
    'filed at (h)',
    'first detection (h)',
    'last detection (h)',
    'detections',
    'bank entry',
    'bundled',
    'burn-in',
    'relevant',
    'investigated',
    'arrested',
  ];
  const rows = result.cyberTips.list.map((r) => [
    ...(byPlatform ? [r.platform ?? ''] : []),
    String(r.account),
    String(r.n),
    r.truth,
    r.routes.join(' '),
    String(r.filedAtHours),
    String(r.firstDetectionHours),
    String(r.lastDetectionHours),
    String(Object.values(r.evidence).reduce((s, x) => s + (x ?? 0), 0)),
    r.bankEntry === null ? '' : String(r.bankEntry),
    yes(r.bundled),
    yes(r.burnIn),
    yes(r.relevant),
    yes(r.investigated),
    yes(r.arrested),
  ]);
  return `${[header, ...rows].map(csvLine).join('\n')}\n`;
}
