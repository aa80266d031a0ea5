import { describe, expect, it } from 'vitest';
import { validateScenario, type RunResult } from '@blindspot/core';
import { runEmbedded } from '@blindspot/pipeline/embedded';
import { perDayCsv, renderHtml, reportsCsv } from './report-html';

function run(name: string): RunResult {
  const r = validateScenario(
    { name, seed: 3, durationDays: 3, population: { adults: 200, minors: 50, offenders: { sharers: { count: 10 } } } },
    `${name}.yaml`,
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return runEmbedded(r.scenario, { file: `${name}.yaml` });
}

const a = run('a');
const b = run('b</script><b>');

describe('renderHtml', () => {
  it('is one self-contained document: the chart library inlined, nothing loaded from elsewhere', () => {
    const html = renderHtml({ title: 'T', labels: ['a', 'b'], results: [a, b] });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toMatch(/Chart\.js v4/);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    for (const id of ['per-day', 'by-route', 'funnel', 'false-reports']) expect(html).toContain(`<canvas id="${id}">`);
    expect(html).not.toContain('sweep-0');
  });

  it('escapes names, even inside the embedded chart data', () => {
    const html = renderHtml({ title: 'T', labels: ['a', b.scenario.name], results: [a, b] });
    expect(html).not.toContain('b</script><b>');
    expect(html).toContain('b&lt;/script&gt;&lt;b&gt;');
  });

  it('adds a trend chart per headline figure for a sweep', () => {
    const html = renderHtml({ title: 'T', labels: ['p=0.1', 'p=0.2'], results: [a, a], sweep: { fields: ['detection.userReports.probability'] } });
    for (let i = 0; i < 5; i++) expect(html).toContain(`<canvas id="sweep-${i}">`);
  });
});

describe('perDayCsv', () => {
  it('has a row per simulated day and two columns per run', () => {
    const rows = perDayCsv(['a', 'b, quoted'], [a, a]).trim().split('\n');
    expect(rows[0]).toBe('day,a reports to police,a flags raised,"b, quoted reports to police","b, quoted flags raised"');
    expect(rows).toHaveLength(4);
    expect(rows[1]).toBe(`1,${a.reports.perDay[0]},${a.review.flagsPerDay[0]},${a.reports.perDay[0]},${a.review.flagsPerDay[0]}`);
  });
});

describe('the list of reports', () => {
  it('has one entry per report to police, joined with the truth, and a CSV row each', () => {
    const r = a;
    expect(r.reports.total).toBeGreaterThan(0);
    expect(r.reports.list).toHaveLength(r.reports.total);
    const offenders = r.reports.list.filter((e) => e.truth !== 'innocent' && e.truth !== 'mentor');
    expect(offenders).toHaveLength(r.reports.truePositive);
    expect(r.reports.list.filter((e) => e.investigated)).toHaveLength(r.referrals.investigated);
    for (const e of r.reports.list) {
      expect(e.routes.length).toBeGreaterThan(0);
      expect(e.firstDetectionHours).toBeLessThanOrEqual(e.lastDetectionHours);
      expect(e.firstDetectionHours).toBeLessThanOrEqual(e.filedAtHours);
    }
    const rows = reportsCsv(r).trim().split('\n');
    expect(rows[0]).toBe('account,truth,routes,filed at (h),first detection (h),last detection (h),detections,investigated');
    expect(rows).toHaveLength(r.reports.total + 1);
  });
});
