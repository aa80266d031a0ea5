/**
 * `blindspot sweep` as analysts run it: a real child process. Each variant's result is
 * the one `run` gives for the scenario file with that one field changed (apart from
 * `timing`); the variants run in parallel; bad --set options and an output folder
 * holding an earlier sweep are refused with exit 2 before anything runs. Needs no Redis.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blindspot, scenarioCopy, withoutTiming } from './support/cli';

const dir = mkdtempSync(join(tmpdir(), 'blindspot-sweep-'));

/** A scenario small enough to run in a blink, for the output and refusal tests. */
const tiny = join(dir, 'tiny.yaml');
writeFileSync(
  tiny,
  [
    'name: tiny',
    'seed: 11',
    'durationDays: 3',
    'population:',
    '  adults: 300',
    '  minors: 60',
    '  offenders:',
    '    sharers: { count: 20 }',
    '    groomers: { count: 5 }',
    '',
  ].join('\n'),
);

interface SweepDoc {
  scenario: { name: string; file: string };
  set: { path: string; values: unknown[] }[];
  runs: { values: Record<string, unknown>; result: Record<string, unknown> & { scenario: Record<string, unknown>; timing: { wallSeconds: number } } }[];
}

/** A result without `timing` and without the scenario's name and file: what must match. */
function comparable(doc: Record<string, unknown>): Record<string, unknown> {
  const rest = withoutTiming(doc);
  const { name: _name, file: _file, ...scenario } = rest.scenario as Record<string, unknown>;
  return { ...rest, scenario };
}

describe('blindspot sweep', () => {
  it('each variant equals the run of the file with that field changed, and the variants run in parallel', async () => {
    const out = join(dir, 'out');
    // The shipped pair cut to 7 days, in a folder of their own.
    const pair = mkdtempSync(join(tmpdir(), 'blindspot-pair-'));
    const e2eeFile = scenarioCopy('scenarios/e2ee.yaml', { 'durationDays: 30': 'durationDays: 7' }, pair);
    const plainFile = scenarioCopy('scenarios/plaintext.yaml', { 'durationDays: 30': 'durationDays: 7' }, pair);
    const sweep = await blindspot(['sweep', e2eeFile, '--set', 'surfaces.directMessages.encryption=none,e2ee', '--json', '--out', out]);
    expect(sweep.stderr).not.toMatch(/Error|\bat .*\.ts:\d+/);
    expect(sweep.code).toBe(0);
    const doc = JSON.parse(sweep.stdout) as SweepDoc;
    expect(doc.scenario).toEqual({ name: 'e2ee', file: e2eeFile });
    expect(doc.set).toEqual([{ path: 'surfaces.directMessages.encryption', values: ['none', 'e2ee'] }]);
    expect(doc.runs.map((r) => r.values)).toEqual([{ 'surfaces.directMessages.encryption': 'none' }, { 'surfaces.directMessages.encryption': 'e2ee' }]);

    // plaintext.yaml is e2ee.yaml with that one field changed (and its name and description).
    const [plain, e2ee] = await Promise.all([blindspot(['run', plainFile, '--json']), blindspot(['run', e2eeFile, '--json'])]);
    expect(plain.code).toBe(0);
    expect(e2ee.code).toBe(0);
    const [a, b] = doc.runs as [SweepDoc['runs'][number], SweepDoc['runs'][number]];
    expect(comparable(a.result)).toEqual(comparable(JSON.parse(plain.stdout)));
    expect(comparable(b.result)).toEqual(comparable(JSON.parse(e2ee.stdout)));
    // Only the name and file differ; and the two variants do differ.
    expect(b.result.scenario).toEqual({ name: 'e2ee', file: e2eeFile, seed: 20191204 });
    expect(comparable(a.result)).not.toEqual(comparable(b.result));

    // Parallel: with two workers, the runs' own wall times add up to more than the whole
    // sweep took (which also includes starting the workers). One after another, they could not.
    const summary = /sweep: 2 runs on (\d+) workers? in ([\d.]+) s/.exec(sweep.stderr);
    expect(summary).not.toBeNull();
    const workers = Number(summary?.[1]);
    expect(workers).toBe(Math.min(availableParallelism(), 2));
    if (workers >= 2) expect(a.result.timing.wallSeconds + b.result.timing.wallSeconds).toBeGreaterThan(Number(summary?.[2]));

    // --out: the same document, a CSV, and the paths on stderr (stdout stays one document).
    const jsonPath = join(out, 'sweep-e2ee.json');
    const csvPath = join(out, 'sweep-e2ee.csv');
    expect(sweep.stderr).toContain(`wrote ${jsonPath}`);
    expect(sweep.stderr).toContain(`wrote ${csvPath}`);
    expect(JSON.parse(readFileSync(jsonPath, 'utf8'))).toEqual(doc);
    const csv = readFileSync(csvPath, 'utf8').trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[0]).toMatch(/^surfaces\.directMessages\.encryption,reports\.total,reports\.byRoute\.hashMatch,/);
    expect(csv[1]).toMatch(new RegExp(`^none,${(a.result.reports as { total: number }).total},`));
    expect(csv[2]).toMatch(new RegExp(`^e2ee,${(b.result.reports as { total: number }).total},`));
  });

  it('prints a table, one row per variant, and how each figure moves', async () => {
    const root = mkdtempSync(join(tmpdir(), 'blindspot-sweep-results-'));
    const r = await blindspot(['sweep', tiny, '--set', 'detection.userReports.probability=0.01,0.5', '--set', 'surfaces.directMessages.encryption=none,e2ee'], {
      env: { BLINDSPOT_OUT: root },
    });
    // Nothing on stderr but progress (runs done of all, time left).
    for (const line of r.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^sweep tiny: \d of 4 runs done · (~\d+ s left|estimating)$/);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^Sweep of tiny \(.*tiny\.yaml, seed 11\): 4 runs on \d workers? in [\d.]+ s$/);
    // Both counts by route, each under the line that names it.
    expect(lines[2]).toMatch(/^ +─+ by route that had a part ─+ +─+ by route that filed it ─+$/);
    expect(lines[3]).toMatch(
      /^probability\s+encryption\s+reports\s+hash match\s.*\buser report\s.*\bhash match\s.*\buser report\s.*\btrue\s+false\s+offenders\s+innocent\s+unscannable$/,
    );
    expect(lines.slice(4, 8).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['0.01', 'none'],
      ['0.01', 'e2ee'],
      ['0.5', 'none'],
      ['0.5', 'e2ee'],
    ]);
    expect(r.stdout).toContain('From the first run to the last (probability=0.01, encryption=none → probability=0.5, encryption=e2ee):');
    expect(r.stdout).toMatch(/^reports to police:\s+[\d,]+ → [\d,]+/m);
    expect(r.stdout).toMatch(/^messages unscannable:\s+0 → [1-9][\d,]*/m);
    // Without --out: a folder of its own under the results folder, and latest points to it.
    const folder = (/^wrote (.+)[\\/]sweep-tiny\.json$/m.exec(r.stdout) as RegExpExecArray)[1] as string;
    expect(folder).toMatch(/[\\/]\d{4}-\d{2}-\d{2}-\d{4}-sweep-tiny$/);
    expect(readdirSync(folder).sort()).toEqual(['sweep-tiny-per-day.csv', 'sweep-tiny-per-month.csv', 'sweep-tiny.csv', 'sweep-tiny.html', 'sweep-tiny.json']);
    expect(readFileSync(join(root, 'latest', 'sweep-tiny.csv'), 'utf8')).toBe(readFileSync(join(folder, 'sweep-tiny.csv'), 'utf8'));
  });

  it('runs each seed a --set seed=... names: its own result, the one run gives at that seed', async () => {
    const out = mkdtempSync(join(tmpdir(), 'blindspot-sweep-seeds-'));
    const r = await blindspot(['sweep', tiny, '--set', 'seed=1,2', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { runs: { values: Record<string, unknown>; result: { scenario: { seed: number }; messages: unknown } }[] };
    expect(doc.runs.map((x) => [x.values.seed, x.result.scenario.seed])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(doc.runs[0]?.result.messages).not.toEqual(doc.runs[1]?.result.messages);
    const one = await blindspot(['run', tiny, '--seed', '2', '--json', '--out', mkdtempSync(join(tmpdir(), 'blindspot-sweep-seed-run-'))]);
    expect(one.code).toBe(0);
    expect(withoutTiming(JSON.parse(one.stdout))).toEqual(withoutTiming(doc.runs[1]?.result as unknown as Record<string, unknown>));
  });

  it('refuses a --out folder that holds an earlier sweep, before running', async () => {
    const out = mkdtempSync(join(tmpdir(), 'blindspot-sweep-out-'));
    writeFileSync(join(out, 'sweep-tiny.csv'), 'earlier\n');
    const r = await blindspot(['sweep', tiny, '--set', 'seed=1,2', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      `--out ${out}: already holds sweep-tiny.csv; give another folder, leave out --out for a new folder, or add --force to overwrite`,
    );
    expect(readFileSync(join(out, 'sweep-tiny.csv'), 'utf8')).toBe('earlier\n');
  });

  it('refuses a bad value before running anything, naming the option, the value and the rule', async () => {
    const r = await blindspot(['sweep', tiny, '--set', 'detection.userReports.probability=0.5,2', '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual(['--set detection.userReports.probability=2: must be at most 1, got 2']);
  });

  it('refuses an unknown field path, naming the option', async () => {
    const r = await blindspot(['sweep', tiny, '--set', 'detection.userReport.probability=0.01,0.1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^--set detection\.userReport\.probability=0\.01,0\.1: detection\.userReport: unknown field "userReport"; allowed here: .*userReports/,
    );
  });

  it('refuses malformed options and misuse, one line per problem', async () => {
    const [noEq, empty, many, twoFiles, setOnRun, noSet, outMissing] = await Promise.all([
      blindspot(['sweep', tiny, '--set', 'seed']),
      blindspot(['sweep', tiny, '--set', 'seed=1,,2', '--set', 'review.capacityPerDay=']),
      blindspot(['sweep', tiny, '--set', `seed=${Array.from({ length: 13 }, (_, i) => i).join(',')}`, '--set', 'review.capacityPerDay=1,2,3,4,5']),
      blindspot(['sweep', tiny, tiny, '--set', 'seed=1,2']),
      blindspot(['run', tiny, '--set', 'seed=1,2']),
      blindspot(['sweep', tiny]),
      blindspot(['sweep', join(dir, 'nope.yaml'), '--set', 'seed=1,2']),
    ]);
    for (const r of [noEq, empty, many, twoFiles, setOnRun, noSet, outMissing]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+|Error:/);
    }
    expect(noEq.stderr.trim()).toBe('--set seed: expected --set <field.path>=<value>,<value>,... (no "=")');
    expect(empty.stderr.trim().split('\n')).toEqual([
      '--set seed=1,,2: an empty value (two commas in a row, or a comma at either end)',
      '--set review.capacityPerDay=: no values after "=" (expected --set <field.path>=<value>,<value>,...)',
    ]);
    expect(many.stderr.trim()).toBe('the --set options ask for 65 runs (13 × 5); a sweep runs at most 64: give fewer values');
    expect(twoFiles.stderr).toMatch(/^sweep takes exactly one scenario file$/m);
    expect(setOnRun.stderr).toMatch(/^--set is only for sweep$/m);
    expect(noSet.stderr).toMatch(/^sweep needs at least one --set/m);
    expect(outMissing.stderr.trim()).toMatch(/nope\.yaml: cannot read scenario: no such file$/);
    expect(existsSync(join(dir, 'nope.yaml'))).toBe(false);
  });
});
