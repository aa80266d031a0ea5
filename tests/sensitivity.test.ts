/**
 * `blindspot sensitivity` as analysts run it: a real child process on small scenarios.
 * Acceptance: a planted parameter (one that drives the output by construction) ranks
 * first, and one the output ignores ranks last with no effect at all. Needs no Redis.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blindspot } from './support/cli';

const dir = mkdtempSync(join(tmpdir(), 'blindspot-sensitivity-'));
const write = (name: string, lines: string[]) => {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [...lines, ''].join('\n'));
  return file;
};
const base = [
  'seed: 11',
  'durationDays: 4',
  'population:',
  '  adults: 400',
  '  minors: 80',
  '  offenders:',
  '    sharers:',
  '      count: 30             # assumption',
];
const small = write('small', [
  'name: small',
  ...base,
  'traffic:',
  '  messagesPerUserPerDay: 8   # assumption',
  'police:',
  '  capacityPerDay: 5   # an assumption of sorts',
]);
const smallE2ee = write('small-e2ee', ['name: small-e2ee', ...base, 'surfaces:', '  directMessages: { encryption: e2ee }']);

interface Doc {
  output: { spec: string };
  design: { trajectories: number; runs: number; seeds: number[] };
  factors: { rank: number; path: string; low: number; high: number; mu: number; muStar: number; sigma: number | null; effects: number[]; from: string }[];
  points: { trajectory: number; values: Record<string, number>; output: number }[];
}

describe('sensitivity', () => {
  it('ranks the planted parameter first and the ignored one last', { timeout: 120_000 }, async () => {
    const out = join(dir, 'planted');
    const r = await blindspot([
      'sensitivity',
      small,
      // Planted: every sharer sends abusive images, so reports to police follow their number.
      '--vary',
      'population.offenders.sharers.count=5..40',
      // Ignored: police capacity decides investigations, never what the platform reports.
      '--vary',
      'police.capacityPerDay=1..10',
      '--vary',
      'traffic.messagesPerUserPerDay=4..12',
      '--vary',
      'detection.hashBank.editedBeyondMatchShare=0..0.5',
      '--trajectories',
      '5',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.output.spec).toBe('reports.total');
    expect(doc.design.runs).toBe(5 * 5);
    expect(doc.factors.map((f) => f.rank)).toEqual([1, 2, 3, 4]);
    expect(doc.factors[0]?.path).toBe('population.offenders.sharers.count');
    expect(doc.factors[0]?.mu as number).toBeGreaterThan(0);
    expect(doc.factors[0]?.effects).toHaveLength(5);
    const last = doc.factors[doc.factors.length - 1];
    expect(last?.path).toBe('police.capacityPerDay');
    // Runs of a trajectory share their random numbers: a field the output ignores moves it by exactly nothing.
    expect(last?.muStar).toBe(0);
    expect(doc.factors[0]?.muStar as number).toBeGreaterThan(10 * (doc.factors[1]?.muStar as number));
    // Whole-number fields take whole values.
    expect(doc.points.every((p) => Number.isInteger(p.values['population.offenders.sharers.count']))).toBe(true);
    const csv = readFileSync(join(out, 'sensitivity-small.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('rank,field,low,high,base,from,muStar,mu,sigma,effects,output');
    expect(csv[1]).toMatch(/^1,population\.offenders\.sharers\.count,5,40,30,vary,/);
    const html = readFileSync(join(out, 'sensitivity-small.html'), 'utf8');
    expect(html).toContain('Tornado chart');
    expect(html).toContain('data-field="police.capacityPerDay"');
  });

  it('by default varies what the file marks "assumption", and measures the drop against a baseline', { timeout: 120_000 }, async () => {
    const r = await blindspot(['sensitivity', smallE2ee, '--against', small, '--trajectories', '2', '--out', join(dir, 'default'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.output.spec).toBe('drop:reports.total');
    // small-e2ee.yaml marks one number: the sharers' count (the baseline's own marks do not count).
    expect(doc.factors.map((f) => [f.path, f.low, f.high, f.from])).toEqual([['population.offenders.sharers.count', 15, 45, 'assumption']]);
    // Two runs per point: the scenario and its baseline.
    expect(doc.design.runs).toBe(2 * 2 * 2);
    for (const p of doc.points) {
      expect(p.output).toBeGreaterThan(0);
      expect(p.output).toBeLessThan(1);
    }
  });

  it('refuses bad ranges, outputs and fields before running, naming the option', async () => {
    const r = await blindspot(['sensitivity', small, '--vary', 'traffic.mediaShare=0.5..0.2', '--vary', 'traffic.communityShare=0.5..1.5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--vary traffic.mediaShare=0.5..0.2: the low end must be below the high end');
    expect(r.stderr).toContain('--vary traffic.communityShare=0.5..1.5: traffic.communityShare must be at most 1');
    const output = await blindspot(['sensitivity', small, '--output', 'drop:reports.total', '--vary', 'traffic.mediaShare=0.1..0.3']);
    expect(output.code).toBe(2);
    expect(output.stderr).toContain('drop: compares with a baseline scenario; give one with --against <baseline.yaml>');
    const path = await blindspot(['sensitivity', small, '--output', 'reports.totl', '--vary', 'traffic.mediaShare=0.1..0.3']);
    expect(path.code).toBe(2);
    expect(path.stderr).toMatch(/--output reports\.totl: reports\.totl is not a figure of the result; figures near it: reports\./);
    const field = await blindspot(['sensitivity', small, '--vary', 'traffic.nosuch=1..2']);
    expect(field.code).toBe(2);
    expect(field.stderr).toMatch(/traffic\.nosuch/);
  });

  it('sobol: the planted parameter has the largest total index, the ignored one none, each with an interval', { timeout: 120_000 }, async () => {
    const r = await blindspot([
      'sensitivity',
      small,
      '--method',
      'sobol',
      '--samples',
      '12',
      '--vary',
      'population.offenders.sharers.count=5..40',
      '--vary',
      'police.capacityPerDay=1..10',
      '--vary',
      'detection.hashBank.editedBeyondMatchShare=0..0.5',
      '--out',
      join(dir, 'sobol'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      design: { method: string; samples: number; runs: number };
      factors: { path: string; sobol: { total: number; totalLow: number; totalHigh: number; first: number } }[];
    };
    expect(doc.design.method).toBe('sobol');
    expect(doc.design.runs).toBe(12 * (3 + 2));
    expect(doc.factors[0]?.path).toBe('population.offenders.sharers.count');
    expect(doc.factors[0]?.sobol.total as number).toBeGreaterThan(0.5);
    expect(doc.factors[0]?.sobol.totalLow as number).toBeLessThanOrEqual(doc.factors[0]?.sobol.total as number);
    const ignored = doc.factors.find((f) => f.path === 'police.capacityPerDay');
    expect(ignored?.sobol.total).toBe(0);
    expect(doc.factors.at(-1)?.path).toBe('police.capacityPerDay');
    const csv = readFileSync(join(dir, 'sobol', 'sensitivity-small.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('rank,field,low,high,base,from,total,totalLow,totalHigh,first,firstLow,firstHigh,output');
  });
});
