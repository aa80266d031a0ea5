/**
 * The HTML report as an analyst sees it: opened from disk in headless Chromium (the one
 * packaged in @sparticuz/chromium, driven by playwright-core), offline, without console errors, and with every
 * chart drawn with data for every scenario. The test writes a screenshot to
 * results/report-screenshot.png for people to look at.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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
  datasets: { label: string; points: number; drawn: number; sum: number }[];
}

async function openReport(file: string, screenshot?: string): Promise<{ charts: ChartState[]; errors: string[]; requests: string[] }> {
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
    type C = { config: { type: string }; data: { datasets: { label: string; data: (number | null)[] }[] }; getDatasetMeta(i: number): { data: unknown[] } };
    const list = (globalThis as unknown as { blindspotCharts: { id: string; chart: C }[] }).blindspotCharts;
    return list.map(({ id, chart }) => ({
      id,
      type: chart.config.type,
      datasets: chart.data.datasets.map((d, i) => ({
        label: d.label,
        points: d.data.length,
        drawn: chart.getDatasetMeta(i).data.length,
        sum: d.data.reduce<number>((s, v) => s + (v ?? 0), 0),
      })),
    }));
  });
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { charts, errors, requests };
}

describe('the HTML report', () => {
  it('of a comparison: every chart drawn for every scenario, no console errors, nothing fetched', async () => {
    const out = mkdtempSync(join(tmpdir(), 'blindspot-report-'));
    const days = { 'durationDays: 30': 'durationDays: 5' };
    const files = ['scenarios/plaintext.yaml', 'scenarios/e2ee.yaml', 'scenarios/e2ee-metadata.yaml'].map((f) => scenarioCopy(f, days));
    const run = await blindspot(['compare', ...files, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`wrote ${join(out, 'comparison.html')}`);
    mkdirSync(join(REPO_ROOT, 'results'), { recursive: true });
    const { charts, errors, requests } = await openReport(join(out, 'comparison.html'), join(REPO_ROOT, 'results', 'report-screenshot.png'));
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(charts.map((c) => c.id)).toEqual(['per-day', 'by-route', 'funnel', 'false-reports']);
    const names = ['plaintext', 'e2ee', 'e2ee-metadata'];
    for (const id of ['per-day', 'funnel', 'false-reports']) {
      const chart = charts.find((c) => c.id === id) as ChartState;
      expect(
        chart.datasets.map((d) => d.label),
        id,
      ).toEqual(names);
      for (const d of chart.datasets) {
        expect(d.points, `${id}/${d.label}`).toBeGreaterThan(0);
        expect(d.drawn, `${id}/${d.label} drawn`).toBe(d.points);
      }
    }
    // Reports per day and the funnel carry real figures for each scenario.
    for (const id of ['per-day', 'funnel'])
      for (const d of (charts.find((c) => c.id === id) as ChartState).datasets) expect(d.sum, `${id}/${d.label}`).toBeGreaterThan(0);
    // Stacked by route: one dataset per route, one bar per scenario in each.
    const byRoute = charts.find((c) => c.id === 'by-route') as ChartState;
    expect(byRoute.datasets.length).toBe(6);
    for (const d of byRoute.datasets) expect(d.drawn).toBe(3);
    expect(byRoute.datasets.reduce((s, d) => s + d.sum, 0)).toBeGreaterThan(0);
  });

  it('of a sweep: a trend chart per headline figure against the swept value', async () => {
    const out = mkdtempSync(join(tmpdir(), 'blindspot-report-'));
    const file = scenarioCopy('scenarios/e2ee.yaml', { 'durationDays: 30': 'durationDays: 3' });
    const run = await blindspot(['sweep', file, '--set', 'detection.userReports.probability=0.01,0.1,0.3', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const { charts, errors } = await openReport(join(out, 'sweep-e2ee.html'));
    expect(errors).toEqual([]);
    const trends = charts.filter((c) => c.id.startsWith('sweep-'));
    expect(trends.length).toBe(5);
    for (const t of trends) {
      expect(t.datasets).toHaveLength(1);
      expect(t.datasets[0]?.points).toBe(3);
      expect(t.datasets[0]?.drawn).toBe(3);
    }
  });
});
