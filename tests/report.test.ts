/**
 * The HTML report as an analyst sees it: opened from disk in headless Chromium (the one
 * packaged in @sparticuz/chromium, driven by playwright-core), offline, without console errors, and with every
 * chart drawn with data for every scenario, and the elements that answer the question at
 * a glance: change columns, privacy costs, both counts by route, a funnel that only
 * narrows, a colour per scenario and per route, titled axes. The test writes a screenshot to
 * results/report-screenshot.png for people to look at.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROUTE_LABELS, ROUTES, type RunResult } from '@blindspot/core';
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, blindspot, scenarioCopy } from './support/cli';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

interface ChartState {
  id: string;
  type: string;
  labels: string[];
  datasets: { label: string; colour: string; data: number[]; points: number; drawn: number; sum: number }[];
  /** Axis id → its title (empty if none) and, for count axes, the tick precision. */
  axes: Record<string, { title: string; precision: number | null; type: string }>;
}

interface TableRow {
  row: string;
  cells: string[];
}

async function openReport(
  file: string,
  screenshot?: string,
): Promise<{ charts: ChartState[]; errors: string[]; requests: string[]; headers: string[]; rows: TableRow[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  await page.goto(pathToFileURL(file).toString());
  await page.waitForFunction(() => Array.isArray((globalThis as unknown as { blindspotCharts?: unknown[] }).blindspotCharts));
  const charts = await page.evaluate(() => {
    type Scale = { type: string; options: { title?: { display?: boolean; text?: string }; ticks?: { precision?: number } } };
    type C = {
      config: { type: string };
      data: { labels: string[]; datasets: { label: string; backgroundColor: string; data: (number | null)[] }[] };
      scales: Record<string, Scale>;
      getDatasetMeta(i: number): { data: unknown[] };
    };
    const list = (globalThis as unknown as { blindspotCharts: { id: string; chart: C }[] }).blindspotCharts;
    return list.map(({ id, chart }) => ({
      id,
      type: chart.config.type,
      labels: chart.data.labels.map(String),
      datasets: chart.data.datasets.map((d, i) => ({
        label: d.label,
        colour: d.backgroundColor,
        data: d.data.map((v) => v ?? 0),
        points: d.data.length,
        drawn: chart.getDatasetMeta(i).data.length,
        sum: d.data.reduce<number>((s, v) => s + (v ?? 0), 0),
      })),
      axes: Object.fromEntries(
        Object.entries(chart.scales).map(([axis, scale]) => [
          axis,
          {
            title: scale.options.title?.display ? (scale.options.title.text ?? '') : '',
            precision: scale.options.ticks?.precision ?? null,
            type: scale.type,
          },
        ]),
      ),
    }));
  });
  const table = await page.evaluate(() => {
    type El = { textContent: string | null; getAttribute(name: string): string | null; querySelectorAll(s: string): ArrayLike<El> };
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<El> } }).document;
    const headers = Array.from(doc.querySelectorAll('#headline thead th')).map((th) => th.textContent ?? '');
    const rows = Array.from(doc.querySelectorAll('#headline tbody tr')).map((tr) => ({
      row: tr.getAttribute('data-row') ?? '',
      cells: Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? ''),
    }));
    return { headers, rows };
  });
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { charts, errors, requests, ...table };
}

const num = (cell: string | undefined) => Number((cell ?? '').replace(/[,%]/g, '').replace('−', '-'));
const written = (stdout: string) => [...stdout.matchAll(/^wrote (.+)$/gm)].map((m) => m[1] as string);

describe('the HTML report', () => {
  it('of a comparison: change columns, privacy costs, both counts by route, a funnel that narrows, one colour per scenario and per route', async () => {
    const out = mkdtempSync(join(tmpdir(), 'blindspot-report-'));
    const days = { 'durationDays: 30': 'durationDays: 5' };
    const files = ['scenarios/plaintext.yaml', 'scenarios/e2ee.yaml', 'scenarios/e2ee-metadata.yaml'].map((f) => scenarioCopy(f, days));
    const run = await blindspot(['compare', ...files, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const paths = written(run.stdout);
    const html = paths.find((p) => basename(p).startsWith('comparison') && p.endsWith('.html')) as string;
    expect(html, run.stdout).toBeDefined();
    const names = ['plaintext', 'e2ee', 'e2ee-metadata'];
    const results = names.map((name) => {
      const path = paths.find((p) => basename(p) === `${name}.json`) ?? paths.find((p) => basename(p).startsWith(`${name}.`) && p.endsWith('.json'));
      return JSON.parse(readFileSync(path as string, 'utf8')) as RunResult;
    });
    const [plain, e2ee] = results as [RunResult, RunResult, RunResult];
    mkdirSync(join(REPO_ROOT, 'results'), { recursive: true });
    const { charts, errors, requests, headers, rows } = await openReport(html, join(REPO_ROOT, 'results', 'report-screenshot.png'));
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(charts.map((c) => c.id)).toEqual([
      'per-day',
      'encrypted-per-day',
      'incidents-per-day',
      'investigations-per-day',
      'filed-by-route',
      'part-by-route',
      'funnel',
      'false-reports',
    ]);
    const chart = (id: string) => charts.find((c) => c.id === id) as ChartState;

    // The headline table: each later scenario has its change and percentage against the first.
    expect(headers).toEqual(['', 'plaintext', 'e2ee', 'change', '%', 'e2ee-metadata', 'change', '%']);
    const row = (path: string) => {
      const found = rows.find((r) => r.row === path);
      expect(found, `row ${path} in ${rows.map((r) => r.row).join(', ')}`).toBeDefined();
      return (found as TableRow).cells;
    };
    const total = row('reports-to-police');
    expect(total.slice(0, 4).map(num)).toEqual([
      plain.reports.total,
      e2ee.reports.total,
      e2ee.reports.total - plain.reports.total,
      Math.round(((e2ee.reports.total - plain.reports.total) / plain.reports.total) * 1000) / 10,
    ]);
    expect(total[3]).toMatch(/^[−+]?[\d.]+%$/);
    // The privacy costs, with their change.
    const privacy: [string, (r: RunResult) => number][] = [
      ['innocent-dms-readable', (r) => r.privacy.readableInnocentMessages],
      ['innocent-users-exposed', (r) => r.privacy.innocentUsersExposed],
      ['innocent-accounts-reviewed', (r) => r.privacy.innocentAccountsReviewed],
    ];
    for (const [key, pick] of privacy) {
      const cells = row(`privacy-costs.${key}`);
      expect(cells.slice(0, 3).map(num), key).toEqual([pick(plain), pick(e2ee), pick(e2ee) - pick(plain)]);
    }
    expect(plain.privacy.innocentUsersExposed).toBeGreaterThan(0);
    expect(row('privacy-costs.innocent-users-exposed')[3]).toBe('−100%');
    // Both counts by route, each under its own heading, as in the result document.
    for (const route of ROUTES) {
      const slug = ROUTE_LABELS[route].replace(/[^a-z0-9]+/g, '-');
      expect(num(row(`reports-to-police.by-route-that-had-a-part.${slug}`)[1]), route).toBe(e2ee.reports.byRoute[route]);
      expect(num(row(`reports-to-police.by-route-that-filed-it.${slug}`)[1]), route).toBe(e2ee.reports.byFirstRoute[route]);
    }
    // Had a part counts a report under each route in it; filed it adds up to the reports.
    const filed = chart('filed-by-route');
    expect(filed.datasets.map((d) => d.label)).toEqual(ROUTES.map((r) => ROUTE_LABELS[r]));
    results.forEach((r, i) => {
      expect(filed.datasets.reduce((s, d) => s + (d.data[i] ?? 0), 0)).toBe(r.reports.total);
    });
    const part = chart('part-by-route');
    expect(part.labels).toEqual(ROUTES.map((r) => ROUTE_LABELS[r]));
    part.datasets.forEach((d, i) => {
      expect(d.data).toEqual(ROUTES.map((route) => results[i]?.reports.byRoute[route]));
    });
    expect(part.datasets[0]?.sum).toBeGreaterThan(plain.reports.total);

    // The funnel only narrows.
    const funnel = chart('funnel');
    for (const d of funnel.datasets) {
      expect(d.data[0], d.label).toBeGreaterThan(0);
      for (let i = 1; i < d.data.length; i++) expect(d.data[i], `${d.label}: ${funnel.labels[i]}`).toBeLessThanOrEqual(d.data[i - 1] as number);
    }

    // One colour per scenario in every chart, one per route, and the two sets apart.
    const scenarioColours = new Map<string, string>();
    for (const id of ['per-day', 'encrypted-per-day', 'part-by-route', 'funnel', 'false-reports']) {
      const c = chart(id);
      expect(
        c.datasets.map((d) => d.label),
        id,
      ).toEqual(names);
      for (const d of c.datasets) {
        expect(d.points, `${id}/${d.label}`).toBeGreaterThan(0);
        expect(d.drawn, `${id}/${d.label} drawn`).toBe(d.points);
        expect(scenarioColours.get(d.label) ?? d.colour, `${id}/${d.label} colour`).toBe(d.colour);
        scenarioColours.set(d.label, d.colour);
      }
    }
    expect(new Set(scenarioColours.values()).size).toBe(names.length);
    const routeColours = filed.datasets.map((d) => d.colour);
    expect(new Set(routeColours).size).toBe(ROUTES.length);
    expect(routeColours.filter((c) => [...scenarioColours.values()].includes(c))).toEqual([]);
    for (const d of filed.datasets) expect(d.drawn).toBe(3);

    // Every axis titled; count axes step in whole numbers.
    for (const c of charts) {
      for (const [axis, a] of Object.entries(c.axes)) expect(a.title, `${c.id}: ${axis} axis title`).not.toBe('');
      expect(c.axes.y?.precision, `${c.id}: y ticks`).toBe(0);
    }
    // Reports per day and the funnel carry real figures for each scenario.
    for (const id of ['per-day', 'funnel']) for (const d of chart(id).datasets) expect(d.sum, `${id}/${d.label}`).toBeGreaterThan(0);

    // The figures CSV has both counts by route for every scenario.
    const csvPath = paths.find((p) => basename(p).startsWith('comparison') && p.endsWith('-figures.csv')) as string;
    const [head, ...lines] = readFileSync(csvPath, 'utf8').trim().split('\n');
    const columns = (head ?? '').split(',');
    expect(lines).toHaveLength(3);
    const e2eeCells = (lines[1] ?? '').split(',');
    expect(e2eeCells[columns.indexOf('reports.byRoute.userReport')]).toBe(String(e2ee.reports.byRoute.userReport));
    expect(e2eeCells[columns.indexOf('reports.byFirstRoute.userReport')]).toBe(String(e2ee.reports.byFirstRoute.userReport));
  });

  it('of a sweep: a trend chart per headline figure against the swept value', async () => {
    const out = mkdtempSync(join(tmpdir(), 'blindspot-report-'));
    const file = scenarioCopy('scenarios/e2ee.yaml', { 'durationDays: 30': 'durationDays: 3' });
    const run = await blindspot(['sweep', file, '--set', 'detection.userReports.probability=0.01,0.1,0.3', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const html = written(run.stdout).find((p) => basename(p).startsWith('sweep-e2ee') && p.endsWith('.html')) as string;
    const { charts, errors } = await openReport(html);
    expect(errors).toEqual([]);
    const trends = charts.filter((c) => c.id.startsWith('sweep-'));
    expect(trends.length).toBe(5);
    for (const t of trends) {
      expect(t.datasets).toHaveLength(1);
      expect(t.datasets[0]?.points).toBe(3);
      expect(t.datasets[0]?.drawn).toBe(3);
      expect(t.axes.x?.title).toBe('detection.userReports.probability');
      expect(t.axes.y?.title).not.toBe('');
      expect(t.axes.y?.precision).toBe(0);
    }
  });
});
