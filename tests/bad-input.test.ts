/**
 * Bad input is refused early: a broken scenario exits 2 with one line per problem,
 * naming file, line and field path, and no stack trace; nothing is started (not even a
 * connection to Redis). A service with a broken environment refuses to start.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blindspot, runNode } from './support/cli';

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

  it('bad arguments exit 2 with usage', async () => {
    const r = await blindspot(['run', 'scenarios/plaintext.yaml', '--batch-size', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--batch-size must be a whole number/);
    expect(r.stderr).toMatch(/usage:/);
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
