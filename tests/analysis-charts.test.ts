/**
 * The charts of replications, sensitivity and calibration as an analyst sees them:
 * opened from disk in headless Chromium, offline and without console errors, every
 * chart drawn with the data of its result document. The test writes screenshots to
 * results/ (replications-screenshot.png, tornado-screenshot.png,
 * calibration-screenshot.png) for people to look at.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser';
import { REPO_ROOT, blindspot } from './support/cli';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const dir = mkdtempSync(join(tmpdir(), 'blindspot-analysis-charts-'));
const shots = join(REPO_ROOT, 'results');
mkdirSync(shots, { recursive: true });
const tiny = (name: string, extra: string[] = []) => {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'seed: 11',
      'durationDays: 4',
      'population:',
      '  adults: 400',
      '  minors: 80',
      '  offenders:',
      '    sharers:',
      '      count: 30   # assumption',
      ...extra,
      '',
    ].join('\n'),
  );
  return file;
};
const plain = tiny('small');
const encrypted = tiny('small-e2ee', ['surfaces:', '  directMessages: { encryption: e2ee }']);

interface Drawn {
  id: string;
  type: string;
  labels: string[];
  datasets: { label: string; data: (number | null)[]; drawn: number; fill: unknown }[];
  axes: Record<string, { title: string; type: string }>;
}

async function open(file: string, screenshot: string): Promise<{ charts: Drawn[]; errors: string[]; requests: string[]; text: string }> {
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
    type C = {
      config: { type: string };
      data: { labels: unknown[]; datasets: { label: string; data: (number | null)[]; fill?: unknown }[] };
      scales: Record<string, { type: string; options: { title?: { display?: boolean; text?: string } } }>;
      getDatasetMeta(i: number): { data: unknown[] };
    };
    const list = (globalThis as unknown as { blindspotCharts: { id: string; chart: C }[] }).blindspotCharts;
    return list.map(({ id, chart }) => ({
      id,
      type: chart.config.type,
      labels: chart.data.labels.map(String),
      datasets: chart.data.datasets.map((d, i) => ({ label: d.label, data: d.data, drawn: chart.getDatasetMeta(i).data.length, fill: d.fill ?? null })),
      axes: Object.fromEntries(
        Object.entries(chart.scales).map(([k, s]) => [k, { title: s.options.title?.display ? (s.options.title.text ?? '') : '', type: s.type }]),
      ),
    }));
  });
  // biome-ignore lint/performance/useDomNodeTextContent: the text as laid out, with the table's cells apart
  const text = await page.evaluate(() => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText);
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { charts, errors, requests, text };
}

describe('the charts of the analysis commands', () => {
  it('replications: a 95% band around each scenario’s mean per day, and intervals in the headline table', { timeout: 120_000 }, async () => {
    const out = join(dir, 'replicated');
    const r = await blindspot(['compare', plain, encrypted, '--replications', '4', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, 'small.json'), 'utf8')) as { series: Record<string, { mean: number[]; low: number[]; high: number[] }> };
    const { charts, errors, requests, text } = await open(join(out, 'comparison.html'), join(shots, 'replications-screenshot.png'));
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const perDay = charts.find((c) => c.id === 'per-day');
    const band = perDay?.datasets.find((d) => d.label === 'small: 95% interval');
    const low = perDay?.datasets.find((d) => d.label === 'small: low');
    expect(band?.fill).toBe('-1');
    expect(band?.drawn).toBe(4);
    expect(band?.data).toEqual(doc.series['reports.perDay']?.high);
    // Counts: drawn from 0 where the interval reaches below it.
    expect(low?.data).toEqual(doc.series['reports.perDay']?.low.map((v) => Math.max(0, v)));
    // The band holds the mean line.
    const mean = perDay?.datasets.find((d) => d.label === 'small')?.data as number[];
    mean.forEach((m, d) => {
      expect(m).toBeGreaterThanOrEqual((low?.data[d] as number) - 1e-9);
      expect(m).toBeLessThanOrEqual((band?.data[d] as number) + 1e-9);
    });
    expect(perDay?.datasets.some((d) => d.label === 'small-e2ee: 95% interval')).toBe(true);
    expect(text).toMatch(/Reports to police\s+[\d.,]+ ± [\d.,]+/);
    expect(text).toContain('mean of 4 replications');
  });

  it('sensitivity: a tornado chart of the effects, in the order of the ranking', { timeout: 120_000 }, async () => {
    const out = join(dir, 'sensitivity');
    const r = await blindspot([
      'sensitivity',
      plain,
      '--vary',
      'population.offenders.sharers.count=5..40',
      '--vary',
      'detection.hashBank.editedBeyondMatchShare=0..0.5',
      '--vary',
      'police.capacityPerDay=1..10',
      '--trajectories',
      '4',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, 'sensitivity-small.json'), 'utf8')) as { factors: { path: string; mu: number; muStar: number }[] };
    const { charts, errors, requests } = await open(join(out, 'sensitivity-small.html'), join(shots, 'tornado-screenshot.png'));
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const tornado = charts.find((c) => c.id === 'tornado');
    expect(tornado?.type).toBe('bar');
    expect(tornado?.labels.map((l) => l.split(' (')[0])).toEqual(doc.factors.map((f) => f.path));
    // μ in two series by its sign (the legend shows both colours), then μ*.
    expect(tornado?.datasets.map((d) => d.label)).toEqual([
      'μ: mean effect, the output rises with the field',
      'μ: mean effect, the output falls with the field',
      'μ*: mean absolute effect (the ranking)',
    ]);
    expect(tornado?.datasets[0]?.data).toEqual(doc.factors.map((f) => (f.mu >= 0 ? f.mu : null)));
    expect(tornado?.datasets[1]?.data).toEqual(doc.factors.map((f) => (f.mu < 0 ? f.mu : null)));
    expect(tornado?.datasets[2]?.data).toEqual(doc.factors.map((f) => f.muStar));
    expect(tornado?.datasets[2]?.drawn).toBe(3);
    expect(tornado?.axes.x?.title).toMatch(/change of the output over the field's whole range/);
  });

  it('calibration: the trace of the search, and the fit table', { timeout: 120_000 }, async () => {
    const targets = join(dir, 'targets.yaml');
    writeFileSync(
      targets,
      [
        'targets:',
        '  - name: reports to police',
        '    output: reports.total',
        '    value: 25',
        '    tolerance: 2',
        'fit:',
        '  - field: population.offenders.sharers.count',
        '    range: [5, 40]',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'calibration');
    const r = await blindspot(['calibrate', plain, '--targets', targets, '--replications', '2', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, 'calibrate-small.json'), 'utf8')) as { trace: { objective: number; best: number }[] };
    const { charts, errors, requests, text } = await open(join(out, 'calibrate-small.html'), join(shots, 'calibration-screenshot.png'));
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const trace = charts.find((c) => c.id === 'trace');
    // On the log scale an objective of 0 is drawn at 0.001.
    expect(trace?.datasets[0]?.data).toEqual(doc.trace.map((p) => Math.max(0.001, p.objective)));
    expect(trace?.datasets[1]?.data).toEqual(doc.trace.map((p) => Math.max(0.001, p.best)));
    expect(trace?.datasets[1]?.drawn).toBe(doc.trace.length);
    expect(trace?.axes.y?.type).toBe('logarithmic');
    expect(text).toMatch(/reports to police\s+reports\.total\s+25 ± 2/);
  });
});
