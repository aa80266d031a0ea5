/**
 * `run` and `compare` with --replications, as analysts run them: a real child process.
 * Replication 1 is the run `run` gives at the scenario's seed; every replication's result
 * is the one `run --seed <its seed>` gives; the summary is their mean and interval; a
 * comparison pairs replication k of both scenarios at one seed. Needs no Redis.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blindspot, startBlindspot, withoutTiming } from './support/cli';

const dir = mkdtempSync(join(tmpdir(), 'blindspot-replications-'));
const tiny = (name: string, extra: string[] = []) => {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'seed: 11',
      'durationDays: 3',
      'population:',
      '  adults: 300',
      '  minors: 60',
      '  offenders:',
      '    sharers: { count: 20 }',
      ...extra,
      '',
    ].join('\n'),
  );
  return file;
};
const plain = tiny('tiny');
const encrypted = tiny('tiny-e2ee', ['surfaces:', '  directMessages: { encryption: e2ee }']);

type Doc = Record<string, unknown>;
interface Replicated {
  replications: number;
  seeds: number[];
  figures: Record<string, { mean: number; low: number | null; high: number | null; n: number }>;
  series: Record<string, { mean: number[]; low: (number | null)[]; high: (number | null)[] }>;
  mean: Doc & { reports: { total: number } };
  runs: (Doc & { scenario: { seed: number }; reports: { total: number } })[];
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

describe('--replications', () => {
  it('run: every replication is the run at its seed, summarised as mean and interval', { timeout: 120_000 }, async () => {
    const out = join(dir, 'run');
    const r = await blindspot(['run', plain, '--replications', '3', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/tiny \(.*tiny\.yaml\), 3 replications at seeds 11, \d+, \d+/);
    expect(r.stdout).toMatch(/^Reports to police +\d[\d.,]* ± [\d.,]+ +\[[\d.,]+, [\d.,]+\]/m);
    expect(r.stdout).toContain('Intervals are 95% Student-t intervals over the 3 replications');
    const doc = readJson<Replicated>(join(out, 'tiny.json'));
    expect(doc.replications).toBe(3);
    expect(doc.seeds[0]).toBe(11);
    expect(new Set(doc.seeds).size).toBe(3);
    expect(doc.runs.map((x) => x.scenario.seed)).toEqual(doc.seeds);
    // Replication 2 is exactly `run --seed <its seed>`.
    const single = await blindspot(['run', plain, '--seed', String(doc.seeds[1]), '--json', '--out', join(dir, 'single')]);
    expect(single.code, single.stderr).toBe(0);
    expect(withoutTiming(JSON.parse(single.stdout) as Doc)).toEqual(withoutTiming(doc.runs[1] as Doc));
    // The summary is the mean of the replications, inside its interval.
    const totals = doc.runs.map((x) => x.reports.total);
    const e = doc.figures['reports.total'];
    expect(e?.mean).toBeCloseTo(totals.reduce((a, b) => a + b, 0) / 3, 10);
    expect(doc.mean.reports.total).toBeCloseTo(e?.mean as number, 10);
    expect(e?.low as number).toBeLessThanOrEqual(e?.mean as number);
    expect(e?.high as number).toBeGreaterThanOrEqual(e?.mean as number);
    expect(doc.series['reports.perDay']?.mean).toHaveLength(3);
    // The intervals and each replication's figures in CSV.
    const intervals = readFileSync(join(out, 'tiny-intervals.csv'), 'utf8').split('\n');
    expect(intervals[0]).toMatch(/^scenario,figure,replications,mean,low,high,sd/);
    expect(intervals.some((l) => l.startsWith('tiny,reports.total,3,'))).toBe(true);
    const perRun = readFileSync(join(out, 'tiny-replications.csv'), 'utf8').trim().split('\n');
    expect(perRun.slice(1).map((l) => l.split(',')[0])).toEqual(['tiny #1', 'tiny #2', 'tiny #3']);
    expect(readFileSync(join(out, 'tiny.html'), 'utf8')).toContain('replications from seed 11');
  });

  it('compare: the scenarios share their seeds, and each change has the paired interval', { timeout: 120_000 }, async () => {
    const out = join(dir, 'compare');
    const r = await blindspot(['compare', plain, encrypted, '--replications', '3', '--workers', '2', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/tiny and tiny-e2ee, 3 replications each at the same seeds 11, /);
    expect(r.stdout).toMatch(/^Reports to police: tiny-e2ee \/ tiny = [\d.]+/m);
    const a = readJson<Replicated>(join(out, 'tiny.json'));
    const b = readJson<Replicated>(join(out, 'tiny-e2ee.json'));
    expect(b.seeds).toEqual(a.seeds);
    const comparison = readJson<{ changes: { figures: Record<string, { difference: { mean: number; n: number }; ratio: { mean: number } | null }> }[] }>(
      join(out, 'comparison.json'),
    );
    const change = comparison.changes[0]?.figures['reports.total'];
    const diffs = a.runs.map((x, k) => (b.runs[k]?.reports.total as number) - x.reports.total);
    expect(change?.difference.mean).toBeCloseTo(diffs.reduce((s, d) => s + d, 0) / 3, 10);
    expect(change?.difference.n).toBe(3);
    expect(change?.ratio?.mean).toBeCloseTo((b.figures['reports.total']?.mean as number) / (a.figures['reports.total']?.mean as number), 10);
  });

  it('refuses a count it cannot run, and --workers over BullMQ', async () => {
    const zero = await blindspot(['run', plain, '--replications', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--replications must be a whole number from 1 to 1000, got "0"/);
    const workers = await blindspot(['run', plain, '--workers', '2', '--redis', 'redis://127.0.0.1:1']);
    expect(workers.code).toBe(2);
    expect(workers.stderr).toMatch(/--workers sets the worker threads of embedded replications/);
  });

  it('stopped part-way, the same command again runs only what was not finished', { timeout: 180_000 }, async () => {
    const cache = join(dir, 'cache');
    const env = { BLINDSPOT_RUN_CACHE: cache };
    const longer = tiny('longer', ['traffic:', '  messagesPerUserPerDay: 30']);
    // Stop it (Ctrl-C) once a first replication is kept.
    const running = startBlindspot(['run', longer, '--replications', '6', '--workers', '1', '--out', join(dir, 'stopped')], { env });
    const deadline = Date.now() + 120_000;
    while (!(existsSync(cache) && readdirSync(cache).some((f) => f.endsWith('.json'))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    running.child.kill('SIGINT');
    await running.completed;
    const kept = readdirSync(cache).filter((f) => f.endsWith('.json')).length;
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(6);
    expect(readdirSync(cache).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const resumed = await blindspot(['run', longer, '--replications', '6', '--workers', '1', '--out', join(dir, 'resumed')], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`resumed: ${kept} of 6 runs were already done \\(kept in .*cache`));
    // The same result as a run from nothing.
    const fresh = await blindspot(['run', longer, '--replications', '6', '--out', join(dir, 'fresh')]);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).not.toContain('resumed');
    const strip = (doc: Replicated) => ({ ...doc, mean: withoutTiming(doc.mean), runs: doc.runs.map((r) => withoutTiming(r)) });
    expect(strip(readJson<Replicated>(join(dir, 'resumed', 'longer.json')))).toEqual(strip(readJson<Replicated>(join(dir, 'fresh', 'longer.json'))));
  });

  it('sweep: every variant at the same seeds, each row a mean with its interval', { timeout: 120_000 }, async () => {
    const out = join(dir, 'sweep');
    const r = await blindspot(['sweep', plain, '--set', 'population.offenders.sharers.count=10,30', '--replications', '3', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/6 runs \(3 replications of each variant\)/);
    expect(r.stdout).toMatch(/^10 +[\d.,]+ ± [\d.,]+/m);
    expect(r.stdout).toContain('Each row is the mean of 3 replications');
    const doc = readJson<{ replications: number; runs: { result: { reports: { total: number } }; replicated: Omit<Replicated, 'mean'> }[] }>(
      join(out, 'sweep-tiny.json'),
    );
    expect(doc.replications).toBe(3);
    const [few, many] = doc.runs;
    expect(few?.replicated.seeds).toEqual(many?.replicated.seeds);
    expect(few?.replicated.runs).toHaveLength(3);
    const totals = few?.replicated.runs.map((x) => x.reports.total) as number[];
    expect(few?.result.reports.total).toBeCloseTo(totals.reduce((a, b) => a + b, 0) / 3, 10);
    expect(many?.result.reports.total as number).toBeGreaterThan(few?.result.reports.total as number);
    const csv = readFileSync(join(out, 'sweep-tiny.csv'), 'utf8').split('\n');
    expect(csv[0]).toMatch(/^population\.offenders\.sharers\.count,reports\.total,reports\.total\.halfWidth,/);
    const refused = await blindspot(['sweep', plain, '--set', 'seed=1,2', '--replications', '3']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--replications and --set seed=... both choose the seeds');
  });
});
