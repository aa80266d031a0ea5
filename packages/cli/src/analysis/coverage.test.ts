/**
 * Acceptance: the interval `--replications N` reports covers the mean of a much larger
 * set of runs at the stated rate. 160 runs of a small scenario: their mean stands for
 * the true mean; 32 disjoint groups of 5 replications each give an interval, and the
 * share of them that covers it must be near the level, at 95% and at 50% (so an
 * interval that is merely wide fails the second).
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '@blindspot/core/scenario';
import type { RunResult } from '@blindspot/core';
import { runEmbedded } from '@blindspot/pipeline/embedded';
import { replicate, replicationSeeds } from './replications';
import { mean } from './stats';

const TEXT = [
  'name: coverage',
  'seed: 11',
  'durationDays: 4',
  'population:',
  '  adults: 400',
  '  minors: 80',
  '  offenders:',
  '    sharers: { count: 30 }',
  '',
].join('\n');
const RUNS = 160;
const GROUP = 5;

function runs(): RunResult[] {
  const parsed = parseScenario(TEXT, 'coverage.yaml');
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('; '));
  return replicationSeeds(parsed.scenario.seed, RUNS).map((seed) => runEmbedded({ ...parsed.scenario, seed }, { file: 'coverage.yaml', batchSize: 1000 }));
}

/** The share of groups whose interval at `level` covers the mean of all runs, for the figure at `path`. */
function coverage(all: readonly RunResult[], path: string, level: number): { share: number; groups: number } {
  const truth = mean(all.map((r) => replicate([r]).figures[path]?.mean as number));
  let covered = 0;
  const groups = Math.floor(all.length / GROUP);
  for (let g = 0; g < groups; g++) {
    const e = replicate(all.slice(g * GROUP, (g + 1) * GROUP), level).figures[path];
    if (!e || e.low === null || e.high === null) throw new Error(`no interval for ${path}`);
    if (e.low <= truth && truth <= e.high) covered++;
  }
  return { share: covered / groups, groups };
}

describe('replication intervals', () => {
  it('cover the mean of many runs at the stated rate', { timeout: 180_000 }, () => {
    const all = runs();
    // The figures vary from run to run (else coverage says nothing).
    expect(new Set(all.map((r) => r.reports.total)).size).toBeGreaterThan(5);
    for (const path of ['reports.total', 'detections.hashMatch', 'messages.total']) {
      // 32 groups: the share covered has a standard deviation of 0.039 at 95% and 0.088 at 50%; the bounds are about 2.5 of them.
      const at95 = coverage(all, path, 0.95);
      expect(at95.groups).toBe(32);
      expect(at95.share, `${path} at 95%`).toBeGreaterThanOrEqual(0.85);
      const at50 = coverage(all, path, 0.5);
      expect(at50.share, `${path} at 50%`).toBeGreaterThanOrEqual(0.28);
      expect(at50.share, `${path} at 50%`).toBeLessThanOrEqual(0.72);
    }
  });
});
