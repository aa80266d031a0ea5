/**
 * A self-contained HTML report of one or more results: opens from disk, offline (the
 * charting library, Chart.js, is inlined), for analysts who would otherwise build the
 * same charts by hand in a spreadsheet. Every chart registers itself on
 * `window.blindspotCharts` so a browser test can check it has drawn data.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ROUTES, type Route, type RunResult } from '@blindspot/core';
import { ROUTE_LABEL } from './format';

export interface ReportInput {
  title: string;
  /** One label per result (scenario names, or the values of a sweep variant). */
  labels: string[];
  results: RunResult[];
  /** For a sweep: the swept fields, shown on the x axis of the trend charts. */
  sweep?: { fields: string[] };
}

let chartJs: string | undefined;
function chartLibrary(): string {
  if (chartJs === undefined) {
    const entry = createRequire(import.meta.url).resolve('chart.js');
    chartJs = readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
  }
  return chartJs;
}

const PALETTE = ['#1b6ca8', '#d1495b', '#edae49', '#00798c', '#66a182', '#8d6a9f', '#2e4057', '#f4a259'];

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (x: number | null) => (x === null ? 'n/a' : x.toLocaleString('en-US'));
const pct = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 1000) / 10}%`);

interface ChartSpec {
  id: string;
  title: string;
  note: string;
  config: unknown;
}

function charts(input: ReportInput): ChartSpec[] {
  const { results, labels } = input;
  const color = (i: number) => PALETTE[i % PALETTE.length] as string;
  const days = Math.max(...results.map((r) => r.reports.perDay.length));
  const specs: ChartSpec[] = [
    {
      id: 'per-day',
      title: 'Reports to police per simulated day',
      note: 'Reports filed at the end of each review day.',
      config: {
        type: 'line',
        data: {
          labels: Array.from({ length: days }, (_, i) => `day ${i + 1}`),
          datasets: results.map((r, i) => ({ label: labels[i], data: r.reports.perDay, borderColor: color(i), backgroundColor: color(i), tension: 0.2 })),
        },
        options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'reports' } } } },
      },
    },
    {
      id: 'by-route',
      title: 'Reports to police by route',
      note: 'The route that got each report filed (stacked; sums to the total).',
      config: {
        type: 'bar',
        data: {
          labels,
          datasets: ROUTES.map((route: Route, j) => ({
            label: ROUTE_LABEL[route],
            data: results.map((r) => r.reports.byFirstRoute[route]),
            backgroundColor: color(j),
          })),
        },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
      },
    },
    {
      id: 'funnel',
      title: 'From abusive messages to police investigations',
      note: 'Abusive messages sent, detections (all routes), flags raised, flags confirmed by review, reports to police, reports investigated. Logarithmic scale.',
      config: {
        type: 'bar',
        data: {
          labels: ['abusive messages', 'detections', 'flags', 'confirmed', 'reports to police', 'investigated'],
          datasets: results.map((r, i) => ({
            label: labels[i],
            backgroundColor: color(i),
            data: [
              r.abuse.knownImage + r.abuse.newImage + r.abuse.grooming,
              ROUTES.reduce((sum, route) => sum + r.detections[route], 0),
              r.review.flags,
              r.review.confirmed,
              r.reports.total,
              r.referrals.investigated,
            ].map((v) => Math.max(v, 0.5)),
          })),
        },
        options: { scales: { y: { type: 'logarithmic', title: { display: true, text: 'count (log)' } } } },
      },
    },
    {
      id: 'false-reports',
      title: 'Reports about innocent accounts, by route',
      note: 'Reports whose account was innocent, by each route that had a confirmed part in them.',
      config: {
        type: 'bar',
        data: {
          labels: ROUTES.map((r) => ROUTE_LABEL[r]),
          datasets: results.map((r, i) => ({
            label: labels[i],
            backgroundColor: color(i),
            data: ROUTES.map((route) => r.reports.falsePositiveByRoute[route]),
          })),
        },
        options: { scales: { y: { beginAtZero: true } } },
      },
    },
  ];
  if (input.sweep) {
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
        title: `${title} against ${input.sweep?.fields.join(', ')}`,
        note: 'One point per run of the sweep.',
        config: {
          type: 'line',
          data: { labels, datasets: [{ label: title, data: results.map(pick), borderColor: color(i), backgroundColor: color(i) }] },
          options: { scales: { y: { beginAtZero: true } } },
        },
      });
    });
  }
  return specs;
}

function headlineTable(input: ReportInput): string {
  const head = [
    '',
    'reports to police',
    'about offenders',
    'about innocent accounts',
    'offenders reported',
    'recall: known images',
    'new images',
    'grooming',
    'time to report (median)',
    'innocent DMs readable',
  ];
  const rows = input.results.map((r, i) =>
    [
      escapeHtml(input.labels[i] as string),
      n(r.reports.total),
      n(r.reports.truePositive),
      n(r.reports.falsePositive),
      `${n(r.offenders.reported)} of ${n(r.offenders.total)}`,
      pct(r.recall.knownImage),
      pct(r.recall.newImage),
      pct(r.recall.grooming),
      r.timeToReport.medianHours === null ? 'n/a' : `${r.timeToReport.medianHours} h`,
      n(r.privacy.readableInnocentMessages),
    ]
      .map((c, j) => (j === 0 ? `<th scope="row">${c}</th>` : `<td>${c}</td>`))
      .join(''),
  );
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r}</tr>`).join('')}</tbody></table>`;
}

/** The report as one HTML document. */
export function renderHtml(input: ReportInput): string {
  const specs = charts(input);
  const warnings = input.results.flatMap((r, i) => r.warnings.map((w) => `${input.labels[i]}: ${w}`));
  const scenarios = input.results
    .map(
      (r, i) =>
        `<li><strong>${escapeHtml(input.labels[i] as string)}</strong>: ${escapeHtml(r.scenario.file)}, seed ${r.scenario.seed}, ${r.timing.transport}, ${r.timing.wallSeconds} s</li>`,
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
  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1d1d1f; padding: 0 1rem; }
  h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
  h2 { font-size: 1.15rem; margin: 2rem 0 0.2rem; }
  .note { color: #555; margin: 0 0 0.6rem; font-size: 0.9rem; }
  table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
  th, td { border-bottom: 1px solid #ddd; padding: 0.35rem 0.5rem; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  .chart { position: relative; height: 340px; }
  .warning { color: #a00; }
</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
<ul>${scenarios}</ul>
${warnings.map((w) => `<p class="warning">Warning: ${escapeHtml(w)}</p>`).join('\n')}
<h2>Headline figures</h2>
${headlineTable(input)}
${sections}
<p class="note">Generated by Blindspot. Every figure but the timing is a function of the scenario file and its seed.</p>
<script>${chartLibrary()}</script>
<script>
  window.blindspotCharts = [];
  for (const spec of ${data}) {
    const config = spec.config;
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    window.blindspotCharts.push({ id: spec.id, chart: new Chart(document.getElementById(spec.id), config) });
  }
</script>
</body>
</html>
`;
}

/** Per-day series as CSV (for spreadsheets): day, then reports and flags of each run. */
export function perDayCsv(labels: string[], results: RunResult[]): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const days = Math.max(...results.map((r) => r.reports.perDay.length));
  const header = ['day', ...labels.flatMap((l) => [`${l} reports to police`, `${l} flags raised`])];
  const rows = Array.from({ length: days }, (_, d) => [
    String(d + 1),
    ...results.flatMap((r) => [String(r.reports.perDay[d] ?? 0), String(r.review.flagsPerDay[d] ?? 0)]),
  ]);
  return `${[header, ...rows].map((row) => row.map(quote).join(',')).join('\n')}\n`;
}

/** Every report to police of one run as CSV: one row per report. */
export function reportsCsv(result: RunResult): string {
  const header = ['account', 'truth', 'routes', 'filed at (h)', 'first detection (h)', 'last detection (h)', 'detections', 'investigated'];
  const rows = result.reports.list.map((r) => [
    String(r.account),
    r.truth,
    r.routes.join(' '),
    String(r.filedAtHours),
    String(r.firstDetectionHours),
    String(r.lastDetectionHours),
    String(Object.values(r.evidence).reduce((s, x) => s + (x ?? 0), 0)),
    r.investigated ? 'yes' : 'no',
  ]);
  return `${[header, ...rows].map((row) => row.join(',')).join('\n')}\n`;
}
