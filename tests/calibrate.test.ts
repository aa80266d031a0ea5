/**
 * `blindspot calibrate` as analysts run it: a real child process on a small scenario.
 * Acceptance: it recovers a known parameter from a target the model itself generated,
 * within tolerance; the same command gives the same fit; a bad targets file is refused
 * naming the file, line and field. Needs no Redis.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '@blindspot/core/scenario';
import { blindspot } from './support/cli';

const dir = mkdtempSync(join(tmpdir(), 'blindspot-calibrate-'));
const scenario = (count: number) =>
  [
    'name: small',
    'seed: 11',
    'durationDays: 4',
    'population:',
    '  adults: 400',
    '  minors: 80',
    '  offenders:',
    '    sharers:',
    `      count: ${count}   # assumption`,
    '',
  ].join('\n');
const truth = join(dir, 'truth.yaml');
writeFileSync(truth, scenario(20));
const start = join(dir, 'small.yaml');
writeFileSync(start, scenario(32));

interface CalDoc {
  fields: { path: string; fitted: number; base: number }[];
  fit: { target: string; value: number; simulated: { mean: number; low: number; high: number }; within: boolean }[];
  trace: { evaluation: number; objective: number; best: number }[];
  seeds: number[];
  converged: boolean;
}

describe('calibrate', () => {
  it('recovers a known parameter from a target the model made, the same each time', { timeout: 180_000 }, async () => {
    // The target: reports to police at 20 sharers, over the replications calibrate will use (3 seeds from 11).
    const made = await blindspot(['run', truth, '--replications', '3', '--json', '--out', join(dir, 'truth')]);
    expect(made.code, made.stderr).toBe(0);
    const value = (JSON.parse(made.stdout) as { figures: Record<string, { mean: number }> }).figures['reports.total']?.mean as number;
    expect(value).toBeGreaterThan(5);
    const targets = join(dir, 'targets.yaml');
    writeFileSync(
      targets,
      [
        'targets:',
        '  - name: reports at the true count',
        '    output: reports.total',
        `    value: ${value}`,
        '    tolerance: 1',
        '    source: the model itself, at 20 sharers',
        'fit:',
        '  - field: population.offenders.sharers.count',
        '    range: [5, 40]',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'fit');
    const r = await blindspot(['calibrate', start, '--targets', targets, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as CalDoc;
    const fitted = doc.fields[0]?.fitted as number;
    expect(doc.fields[0]?.base).toBe(32);
    expect(Math.abs(fitted - 20), `fitted ${fitted}`).toBeLessThanOrEqual(2);
    expect(doc.fit[0]?.within).toBe(true);
    expect(Math.abs((doc.fit[0]?.simulated.mean as number) - value)).toBeLessThanOrEqual(1);
    expect(doc.trace.length).toBeGreaterThan(2);
    expect(doc.trace.at(-1)?.best).toBeLessThanOrEqual(doc.trace[0]?.objective as number);
    // The fitted scenario: a valid scenario with the fitted value, saying so, its other comments kept.
    const yaml = readFileSync(join(out, 'calibrate-small.yaml'), 'utf8');
    expect(yaml).toMatch(new RegExp(`count: ${fitted} # count fitted by blindspot calibrate to .*targets\\.yaml \\(was 32; range 5\\.\\.40\\);.*assumption`));
    const parsed = parseScenario(yaml, 'calibrate-small.yaml');
    expect(parsed.ok && parsed.scenario.population.offenders.sharers.count).toBe(fitted);
    const fitCsv = readFileSync(join(out, 'calibrate-small-fit.csv'), 'utf8').split('\n');
    expect(fitCsv[0]).toBe('target,output,value,tolerance,simulated.mean,simulated.low,simulated.high,within,source');
    expect(readFileSync(join(out, 'calibrate-small-trace.csv'), 'utf8').trim().split('\n')).toHaveLength(doc.trace.length + 1);
    expect(readFileSync(join(out, 'calibrate-small.html'), 'utf8')).toContain('id="trace"');
    // Reproducible: the same command, the same search.
    const again = await blindspot(['calibrate', start, '--targets', targets, '--out', join(dir, 'again'), '--json']);
    expect(again.code, again.stderr).toBe(0);
    const second = JSON.parse(again.stdout) as CalDoc;
    expect(second.trace).toEqual(doc.trace);
    expect(second.fields).toEqual(doc.fields);
  });

  it('refuses a bad targets file naming the file, line and field', async () => {
    const bad = join(dir, 'bad-targets.yaml');
    writeFileSync(bad, ['targets:', '  - name: x', '    output: drop:reports.total', '    value: 0.3', '    tolerance: -1', '    colour: red', ''].join('\n'));
    const r = await blindspot(['calibrate', start, '--targets', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad-targets\.yaml:5:\d+: targets\[0\]\.tolerance: /);
    expect(r.stderr).toMatch(/bad-targets\.yaml:\d+:\d+: targets\[0\]: unknown field colour/);
    const noBaseline = join(dir, 'no-baseline.yaml');
    writeFileSync(noBaseline, ['targets:', '  - name: x', '    output: drop:reports.total', '    value: 0.3', '    tolerance: 0.1', ''].join('\n'));
    const nb = await blindspot(['calibrate', start, '--targets', noBaseline, '--vary', 'traffic.mediaShare=0.1..0.5']);
    expect(nb.code).toBe(2);
    expect(nb.stderr).toMatch(/no-baseline\.yaml:3:\d+: targets\[0\]\.output: .*give one with against: <baseline\.yaml>/);
    const nothing = await blindspot(['calibrate', start, '--targets', noBaseline.replace('no-baseline', 'missing')]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/missing\.yaml: cannot read/);
  });
});
