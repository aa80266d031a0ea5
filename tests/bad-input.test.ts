/**
 * Bad input is refused early: a broken scenario exits 2 with one line per problem,
 * naming file, line and field path, and no stack trace; nothing is started (not even a
 * connection to Redis). A service with a broken environment refuses to start.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, blindspot, runNode, type Completed } from './support/cli';

const dir = mkdtempSync(join(tmpdir(), 'blindspot-bad-'));
const broken = join(dir, 'broken.yaml');
writeFileSync(
  broken,
  [
    '# missing seed, a wrong type, an unknown field and a negative count',
    'durationDays: "thirty"',
    'population:',
    '  adults: 100',
    '  minors: -3',
    'traffic:',
    '  messagesPerUserPerDay: 8',
    '  colour: blue',
    '',
  ].join('\n'),
);

describe('a broken scenario', () => {
  it('exits 2 with one line per problem and the field path', async () => {
    // An unreachable Redis shows nothing is started before the scenario is checked.
    const r = await blindspot(['run', broken, '--redis', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines).toContainEqual(expect.stringMatching(/broken\.yaml:\d+:\d+: seed: required field is missing/));
    expect(lines).toContainEqual(expect.stringMatching(/broken\.yaml:2:1: durationDays: expected a number, got the text "thirty"/));
    expect(lines).toContainEqual(expect.stringMatching(/broken\.yaml:5:3: population\.minors: must be at least 0, got -3/));
    expect(lines).toContainEqual(expect.stringMatching(/broken\.yaml:8:3: traffic\.colour: unknown field "colour"; allowed here: .*messagesPerUserPerDay/));
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+|Error:/);
  });

  it('compare checks both files before running either', async () => {
    const r = await blindspot(['compare', 'scenarios/plaintext.yaml', broken, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(4);
  });

  it('a missing file is named', async () => {
    const r = await blindspot(['run', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.yaml: cannot read scenario: no such file/);
  });

  it('invalid YAML is reported with its line', async () => {
    const file = join(dir, 'yaml.yaml');
    writeFileSync(file, 'seed: 1\npopulation:\n  adults: [1, 2\n');
    const r = await blindspot(['run', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/yaml\.yaml:\d+:\d+: \(document\): not valid YAML/);
  });

  it('bad arguments exit 2 with one line and a pointer to the help', async () => {
    const r = await blindspot(['run', 'scenarios/plaintext.yaml', '--batch-size', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      '--batch-size must be a whole number from 1 to 1000000, got "lots"',
      "run 'blindspot help run' for its usage",
    ]);
  });
});

describe('a scenario file with thousands of problems', () => {
  // A valid scenario and 4,000 unknown fields: one problem each.
  const many = join(dir, 'many.yaml');
  writeFileSync(
    many,
    `${readFileSync(join(REPO_ROOT, 'scenarios/plaintext.yaml'), 'utf8')}\n${Array.from({ length: 4_000 }, (_, i) => `unknown${i}: 1`).join('\n')}\n`,
  );
  const capped = (stderr: string) => {
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(51);
    for (const line of lines.slice(0, 50)) expect(line).toMatch(/many\.yaml:\d+:1: unknown\d+: unknown field "unknown\d+"/);
    expect(lines[0]).toMatch(/: unknown0: /);
    expect(lines[50]).toBe("… and 3,950 more problems, not shown (blindspot validate <file> --json lists all of a file's problems)");
  };

  it('validate prints the first 50 and how many more; --json lists them all', async () => {
    const [text, json, two] = await Promise.all([
      blindspot(['validate', many]),
      blindspot(['validate', many, '--json']),
      blindspot(['validate', many, broken]),
    ]);
    expect(text.code).toBe(2);
    expect(text.stdout).toBe('');
    capped(text.stderr);
    expect(json.code).toBe(2);
    const [doc] = JSON.parse(json.stdout) as { ok: boolean; problems: string[] }[];
    expect(doc?.problems).toHaveLength(4_000);
    // Each file is capped on its own: the next file's problems are still shown.
    expect(two.code).toBe(2);
    const lines = two.stderr.trim().split('\n');
    expect(lines).toHaveLength(51 + 4);
    expect(lines.slice(51).every((l) => l.includes('broken.yaml'))).toBe(true);
  });

  it('run and compare refuse it with the same capped list, exit 2', async () => {
    const [run, compare] = await Promise.all([
      blindspot(['run', many, '--redis', 'redis://127.0.0.1:1']),
      blindspot(['compare', 'scenarios/plaintext.yaml', many]),
    ]);
    for (const r of [run, compare]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      capped(r.stderr);
    }
  });
});

/** A scenario that runs in a second or two. */
const tiny = join(dir, 'tiny.yaml');
writeFileSync(
  tiny,
  ['name: tiny', 'seed: 11', 'durationDays: 2', 'population:', '  adults: 200', '  minors: 40', '  offenders:', '    sharers: { count: 10 }', ''].join('\n'),
);

describe('the command line', () => {
  it('an unknown verb: one line suggesting the verb meant, and where the list of commands is', async () => {
    const r = await blindspot(['comapre', 'scenarios/plaintext.yaml', 'scenarios/e2ee.yaml']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual(['unknown command "comapre"; did you mean compare?', "run 'blindspot help' for the list of commands"]);
  });

  it("an unknown option: one line suggesting the option meant, none of Node's own wording", async () => {
    const r = await blindspot(['run', 'scenarios/plaintext.yaml', '--sede', '3']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual(['unknown option --sede; did you mean --seed?', "run 'blindspot help run' for its usage"]);
    expect(r.stderr).not.toMatch(/ERR_PARSE_ARGS|To specify a positional|TypeError/);
  });

  it('--out onto an existing file is refused at once, naming the option, before anything runs', async () => {
    // An unreachable Redis: had the command started the run, it would exit 1.
    const r = await blindspot(['compare', 'scenarios/plaintext.yaml', 'scenarios/e2ee.yaml', '--out', 'README.md', '--redis', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('--out README.md: is a file, not a folder; give a folder for the results');
    // Starting Node and reading the files is all it did (about a second on an idle
    // machine; a run of these scenarios takes a minute). The bound allows for a busy one.
    expect(r.seconds).toBeLessThan(8);
  });

  it('--out onto a folder holding earlier results is refused before running, unless --force', async () => {
    const out = mkdtempSync(join(tmpdir(), 'blindspot-bad-out-'));
    const first = await blindspot(['run', tiny, '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    const before = readFileSync(join(out, 'tiny.json'), 'utf8');
    const again = await blindspot(['run', tiny, '--out', out, '--redis', 'redis://127.0.0.1:1']);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toBe(
      `--out ${out}: already holds tiny.json and 5 more files this command writes; give another folder, leave out --out for a new folder, or add --force to overwrite`,
    );
    expect(readFileSync(join(out, 'tiny.json'), 'utf8')).toBe(before);
    const forced = await blindspot(['run', tiny, '--out', out, '--force', '--seed', '12']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'tiny.json'), 'utf8')).scenario.seed).toBe(12);
  });

  it('earlier results survive a second run: each run has its own folder, and latest points to the newest', async () => {
    const root = mkdtempSync(join(tmpdir(), 'blindspot-results-'));
    const env = { BLINDSPOT_OUT: root };
    const first = await blindspot(['run', tiny, '--seed', '1'], { env });
    const second = await blindspot(['run', tiny, '--seed', '2'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    const folderOf = (stdout: string) => (/^wrote (.+)[\\/]tiny\.json$/m.exec(stdout) as RegExpExecArray)[1] as string;
    const [a, b] = [folderOf(first.stdout), folderOf(second.stdout)];
    expect(a).not.toBe(b);
    expect(a).toMatch(new RegExp(`^${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\\\/]\\d{4}-\\d{2}-\\d{2}-\\d{4}-run-tiny$`));
    const seedIn = (folder: string) => JSON.parse(readFileSync(join(folder, 'tiny.json'), 'utf8')).scenario.seed;
    expect(seedIn(a)).toBe(1);
    expect(seedIn(b)).toBe(2);
    expect(readdirSync(a).sort()).toEqual(['tiny-figures.csv', 'tiny-per-day.csv', 'tiny-per-month.csv', 'tiny-reports.csv', 'tiny.html', 'tiny.json']);
    expect(seedIn(join(root, 'latest'))).toBe(2);
    expect(second.stdout).toContain(`${join(root, 'latest')} now points to ${b}`);
    // "wrote" once per file.
    const wrote = second.stdout.split('\n').filter((l) => l.startsWith('wrote '));
    expect(new Set(wrote).size).toBe(wrote.length);
    expect(wrote).toHaveLength(6);
  });

  it('two scenarios of one name, or one called comparison, do not overwrite each other', async () => {
    const named = join(dir, 'named-comparison.yaml');
    writeFileSync(named, readFileSync(tiny, 'utf8').replace('name: tiny', 'name: comparison'));
    const out = mkdtempSync(join(tmpdir(), 'blindspot-names-'));
    const r = await blindspot(['compare', tiny, tiny, named, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(
      [
        'comparison-2-reports.csv',
        'comparison-2.json',
        'comparison-figures.csv',
        'comparison-per-day.csv',
        'comparison-per-month.csv',
        'comparison.html',
        'comparison.json',
        'tiny-2-reports.csv',
        'tiny-2.json',
        'tiny-reports.csv',
        'tiny.json',
      ].sort(),
    );
    expect(JSON.parse(readFileSync(join(out, 'comparison-2.json'), 'utf8')).scenario.name).toBe('comparison');
    expect(JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8')).results).toHaveLength(3);
  });

  it('every verb has its own help, as <verb> --help and as help <verb>', async () => {
    const verbs = ['run', 'compare', 'sweep', 'load', 'validate', 'new', 'help'];
    const runs = await Promise.all(verbs.flatMap((verb) => [blindspot([verb, '--help']), blindspot(['help', verb])]));
    verbs.forEach((verb, i) => {
      const [flag, word] = [runs[2 * i], runs[2 * i + 1]] as [Completed, Completed];
      expect(flag.code, verb).toBe(0);
      expect(flag.stdout).toMatch(new RegExp(`^usage: blindspot ${verb}\\b`));
      expect(word.stdout).toBe(flag.stdout);
    });
    const general = await blindspot(['help']);
    expect(general.code).toBe(0);
    for (const verb of verbs) expect(general.stdout).toMatch(new RegExp(`^  ${verb} +\\S`, 'm'));
  });
});

describe('an unreachable Redis', () => {
  it('fails within seconds, naming the URL', async () => {
    const r = await blindspot(['run', 'scenarios/plaintext.yaml', '--redis', 'redis://127.0.0.1:1'], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(r.seconds).toBeLessThan(20);
  });
});

describe('a service with a broken environment', () => {
  it('refuses to start and names every variable', async () => {
    const r = await runNode(['services/start.ts', 'scanner'], {
      env: { REDIS_URL: 'http://example', BLINDSPOT_PREFIX: 'no-tag', WORKER_CONCURRENCY: 'many' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(r.stderr).toMatch(/BLINDSPOT_PREFIX: must be a Redis hash tag/);
    expect(r.stderr).toMatch(/WORKER_CONCURRENCY/);
  });

  it('an unknown service name is refused', async () => {
    const r = await runNode(['services/start.ts', 'scanr']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown service "scanr"/);
  });
});
