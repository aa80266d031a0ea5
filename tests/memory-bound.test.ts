/**
 * A scenario that would not fit in memory is refused up front, like any other scenario
 * problem: exit 2, one line naming the file, what takes the memory and the fields to
 * reduce, before anything starts. BLINDSPOT_MEMORY_LIMIT_MB stands in for the machine's
 * memory so a small limit can be forced here. Hostile files get a clear line too.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blindspot, scenarioCopy } from './support/cli';

const dir = mkdtempSync(join(tmpdir(), 'blindspot-memory-'));
// plaintext.yaml for a day with ten million accounts, few messages and a bank of 500,000
// hashes: about 2.7 GB on 2 cores, most of it the population (each world thread holds a
// copy of the bank and its index).
const large = scenarioCopy(
  'scenarios/plaintext.yaml',
  {
    'durationDays: 30': 'durationDays: 1',
    'adults: 3200': 'adults: 8000000',
    'minors: 800': 'minors: 2000000',
    'size: 2000': 'size: 500000',
    'messagesPerUserPerDay: 8': 'messagesPerUserPerDay: 0.05',
  },
  dir,
);
const limit = { BLINDSPOT_MEMORY_LIMIT_MB: '1024' };
const noStackTrace = /\bat .*\.ts:\d+|Error:|node:internal/;

describe('the memory bound', () => {
  it('validate refuses a scenario larger than the limit, naming the fields to reduce', async () => {
    const r = await blindspot(['validate', large], { env: limit });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /plaintext\.yaml: population: this scenario needs about \d+\.\d GB of memory \(.*\) but BLINDSPOT_MEMORY_LIMIT_MB allows 1\.0 GB; reduce /,
    );
    // What takes the memory, and what to reduce for each.
    expect(lines[0]).toMatch(/\(population \d+\.\d GB, (.+, )?hash bank \d+(\.\d)? [MG]B\)/);
    expect(lines[0]).toMatch(/reduce population\.adults, population\.minors or traffic\.contactsPerUser, or detection\.hashBank\.size$/);
    expect(r.stderr).not.toMatch(noStackTrace);
  });

  it('validate passes the same scenario under a limit it fits', async () => {
    const r = await blindspot(['validate', large], { env: { BLINDSPOT_MEMORY_LIMIT_MB: '65536' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/plaintext\.yaml: ok \(plaintext\)/);
  });

  it('run refuses it before anything starts', async () => {
    // An unreachable Redis shows nothing is started before the memory is checked.
    const r = await blindspot(['run', large, '--redis', 'redis://127.0.0.1:1'], { env: limit });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs about .* of memory .* but BLINDSPOT_MEMORY_LIMIT_MB allows 1\.0 GB/);
    expect(r.stderr).not.toMatch(noStackTrace);
  });

  it('sweep refuses the variants that would not fit, naming their --set values', async () => {
    const r = await blindspot(['sweep', 'scenarios/plaintext.yaml', '--set', 'detection.hashBank.size=2000,8000000', '--json'], { env: limit });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^--set detection\.hashBank\.size=8000000: scenarios\/plaintext\.yaml: detection\.hashBank\.size: this scenario needs about .* runs? .*reduce detection\.hashBank\.size/,
    );
  });

  it('says what is wrong with a bad override', async () => {
    const r = await blindspot(['validate', 'scenarios/plaintext.yaml'], { env: { BLINDSPOT_MEMORY_LIMIT_MB: 'lots' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/BLINDSPOT_MEMORY_LIMIT_MB=lots: must be a number of megabytes greater than 0/);
  });
});

describe('hostile scenario files', () => {
  it('deep nesting is refused with a line and column, however many such files', async () => {
    // Before the nesting bound, the second of these aborted Node (a fatal error in V8, exit 134).
    const deep = join(dir, 'deep.yaml');
    writeFileSync(deep, `${'['.repeat(5_000)}${']'.repeat(5_000)}\n`);
    const r = await blindspot(['validate', deep, deep, deep]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/deep\.yaml:1:33: \(document\): mappings and lists are nested more than 32 levels deep here/);
  });

  it('a billion laughs is refused at once', async () => {
    const bomb = join(dir, 'bomb.yaml');
    const levels = Array.from({ length: 9 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(', ')}]`);
    writeFileSync(bomb, ['l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...levels, 'description: *l9', ''].join('\n'));
    const r = await blindspot(['validate', bomb]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `${bomb}: (document): not valid YAML: aliases (*name) expand to too much data; a scenario may repeat an anchored part (&name) at most 100 times in all`,
    );
    expect(r.seconds).toBeLessThan(30);
  });
});
