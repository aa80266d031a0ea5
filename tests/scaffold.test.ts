/**
 * The analyst's file commands: `validate` checks files without running them and reports
 * every mistake with its line; `new` writes a commented scenario to start from.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blindspot } from './support/cli';

const dir = mkdtempSync(join(tmpdir(), 'blindspot-scaffold-'));

describe('blindspot validate', () => {
  it('reports all three mistakes of a file, with line numbers, and passes a good file', async () => {
    const bad = join(dir, 'three-mistakes.yaml');
    writeFileSync(
      bad,
      [
        'seed: 7',
        'durationDays: 30',
        'population:',
        '  adults: 1000',
        '  minors: 200',
        'traffic:',
        '  mediaShare: 1.4',
        'surfaces:',
        '  directMessages: { encryption: aes }',
        'review:',
        '  capacityPerDya: 10',
        '',
      ].join('\n'),
    );
    const r = await blindspot(['validate', 'scenarios/e2ee.yaml', bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('scenarios/e2ee.yaml: ok (e2ee)');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      `${bad}:7:3: traffic.mediaShare: must be at most 1, got 1.4`,
      `${bad}:9:21: surfaces.directMessages.encryption: must be one of "none", "e2ee", got the text "aes"`,
      expect.stringMatching(
        new RegExp(`^${bad.replace(/[.]/g, '\\.')}:11:3: review\\.capacityPerDya: unknown field "capacityPerDya"; allowed here: capacityPerDay, `),
      ),
    ]);
  });

  it('passes every shipped scenario', async () => {
    const r = await blindspot([
      'validate',
      'scenarios/plaintext.yaml',
      'scenarios/e2ee.yaml',
      'scenarios/e2ee-metadata.yaml',
      'scenarios/e2ee-client-side-scanning.yaml',
      'scenarios/e2ee-rollout.yaml',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean }[];
    expect(doc.map((d) => d.ok)).toEqual([true, true, true, true, true]);
  });

  it('without a file, or with an option it does not take: one line and a pointer to its help', async () => {
    const [none, option] = await Promise.all([blindspot(['validate']), blindspot(['validate', 'scenarios/e2ee.yaml', '--seed', '3'])]);
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split('\n')).toEqual(['validate takes one or more scenario files', "run 'blindspot help validate' for its usage"]);
    expect(option.code).toBe(2);
    expect(option.stderr.trim().split('\n')).toEqual([
      '--seed is only for run, compare, sweep, sensitivity, calibrate, load',
      "run 'blindspot help validate' for its usage",
    ]);
  });
});

describe('blindspot new', () => {
  it('writes a commented, valid scenario from another, with the schema modeline pointing at the schema', async () => {
    const target = join(dir, 'nested', 'my-study.yaml');
    const r = await blindspot(['new', target, '--from', 'scenarios/e2ee.yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${target}`);
    const text = readFileSync(target, 'utf8');
    expect(text).toMatch(/^name: my-study$/m);
    expect(text).toMatch(/^ {2}directMessages: \{ encryption: e2ee \}/m);
    expect(text).toContain('# Sources are in');
    const modeline = /^# yaml-language-server: \$schema=(.+)$/m.exec(text);
    expect(modeline).not.toBeNull();
    expect(existsSync(resolve(dirname(target), modeline?.[1] as string))).toBe(true);
    const check = await blindspot(['validate', target]);
    expect(check.code).toBe(0);

    // never overwrites
    const again = await blindspot(['new', target]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });
});
