import { describe, expect, it } from 'vitest';
import { parseScenario } from '@blindspot/core/scenario';
import type { RunResult } from '@blindspot/core';
import { runEmbedded } from '@blindspot/pipeline/embedded';
import { compareReplicated, figuresOf, meanResult, replicate, replicationSeeds, seriesOf } from './replications';
import { formatReplicated, formatReplicatedComparison, formatEstimate, formatPercentChange } from './replications-format';

const TEXT = [
  'name: small',
  'seed: 5',
  'durationDays: 2',
  'population:',
  '  adults: 200',
  '  minors: 40',
  '  offenders:',
  '    sharers: { count: 10 }',
  '',
].join('\n');

function run(seed: number, extra = ''): RunResult {
  const parsed = parseScenario(`${TEXT}${extra}`, 'small.yaml');
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('; '));
  return runEmbedded({ ...parsed.scenario, seed }, { file: 'small.yaml', batchSize: 500 });
}

describe('replication seeds', () => {
  it('start at the scenario seed, are distinct, and depend on the seed alone', () => {
    const s = replicationSeeds(5, 50);
    expect(s[0]).toBe(5);
    expect(new Set(s).size).toBe(50);
    expect(s.every((x) => Number.isSafeInteger(x) && x >= 0)).toBe(true);
    expect(replicationSeeds(5, 10)).toEqual(s.slice(0, 10));
    expect(replicationSeeds(6, 10).slice(1)).not.toEqual(s.slice(1, 10));
    // Nearby seeds share no replication.
    expect(replicationSeeds(6, 50).filter((x) => s.includes(x))).toEqual([]);
  });
});

describe('replicate', () => {
  const runs = replicationSeeds(5, 3).map((seed) => run(seed));

  it('names every figure by its path, leaving out the timing and the series', () => {
    const f = figuresOf(runs[0] as RunResult);
    expect(f.get('reports.total')).toBe(runs[0]?.reports.total);
    expect(f.get('cyberTips.reports')).toBe(runs[0]?.cyberTips.reports);
    expect([...f.keys()].some((k) => k.startsWith('timing.') || k.startsWith('scenario.'))).toBe(false);
    expect(f.has('reports.perDay')).toBe(false);
    expect(seriesOf(runs[0] as RunResult).get('reports.perDay')).toEqual(runs[0]?.reports.perDay);
  });

  it('averages every number and series, and keeps each replication', () => {
    const rep = replicate(runs);
    const totals = runs.map((r) => r.reports.total);
    expect(rep.figures['reports.total']?.mean).toBeCloseTo((totals[0]! + totals[1]! + totals[2]!) / 3, 12);
    expect(rep.mean.reports.total).toBeCloseTo(rep.figures['reports.total']?.mean as number, 12);
    expect(rep.mean.reports.perDay[1]).toBeCloseTo(runs.reduce((s, r) => s + (r.reports.perDay[1] as number), 0) / 3, 12);
    expect(rep.series['reports.perDay']?.mean).toEqual(rep.mean.reports.perDay);
    expect(rep.mean.reports.list).toEqual([]);
    expect(rep.runs).toHaveLength(3);
    expect(rep.seeds).toEqual(runs.map((r) => r.scenario.seed));
  });

  it('takes the mean of the values a null leaves (a share of nothing)', () => {
    const a = runs[0] as RunResult;
    const withNull = { ...a, timeToReport: { ...a.timeToReport, medianHours: null } };
    const withValue = { ...a, timeToReport: { ...a.timeToReport, medianHours: 10 } };
    expect(meanResult([withNull, withValue]).timeToReport.medianHours).toBe(10);
    expect(meanResult([withNull, withNull]).timeToReport.medianHours).toBeNull();
  });

  it('pairs a comparison by seed, and refuses unpaired replications', () => {
    const other = replicationSeeds(5, 3).map((seed) => run(seed, 'surfaces:\n  directMessages: { encryption: e2ee }\n'));
    const c = compareReplicated(runs, other);
    const d = other.map((r, i) => r.reports.total - (runs[i] as RunResult).reports.total);
    expect(c['reports.total']?.difference.mean).toBeCloseTo((d[0]! + d[1]! + d[2]!) / 3, 12);
    expect(() => compareReplicated(runs, [...other].reverse())).toThrow(/replication 1 was run at two seeds/);
    const text = formatReplicatedComparison([replicate(runs), replicate(other)], [c]);
    expect(text).toMatch(/^Reports to police +[\d.,]+ ± [\d.,]+ +[\d.,]+ ± [\d.,]+ +[−+]?[\d.,]+ ± [\d.,]+/m);
    expect(formatReplicated(replicate(runs))).toMatch(/small \(small\.yaml\), 3 replications at seeds 5, /);
  });
});

describe('formatting', () => {
  it('shows two significant digits of the half-width', () => {
    expect(formatEstimate({ mean: 121.333, low: 115, high: 127.4, halfWidth: 6.12, sd: 3, n: 4 })).toBe('121.3 ± 6.1');
    expect(formatEstimate({ mean: 1234.5, low: 0, high: 0, halfWidth: 41.2, sd: 3, n: 4 })).toBe('1,235 ± 41');
    expect(formatEstimate({ mean: -3.25, low: 0, high: 0, halfWidth: 0.5, sd: 1, n: 4 }, true)).toBe('−3.25 ± 0.50');
    expect(formatEstimate({ mean: 7, low: null, high: null, halfWidth: null, sd: null, n: 1 })).toBe('7');
    // Two significant digits of the half-width as rounded, also where rounding reaches the next power of ten.
    expect(formatEstimate({ mean: 96.97, low: 0, high: 0, halfWidth: 9.96, sd: 3, n: 4 })).toBe('97 ± 10');
    expect(formatEstimate({ mean: 0.2953, low: 0, high: 0, halfWidth: 0.0996, sd: 0.1, n: 4 })).toBe('0.30 ± 0.10');
    expect(formatEstimate({ mean: 96.97, low: 0, high: 0, halfWidth: 9.94, sd: 3, n: 4 })).toBe('97.0 ± 9.9');
    expect(formatPercentChange({ mean: 0.281, low: 0.25, high: 0.31, halfWidth: 0.031, sd: 0.05, n: 10 })).toBe('−71.9% ± 3.1');
    expect(formatPercentChange(null)).toBe('n/a');
  });
});
