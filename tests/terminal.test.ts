/**
 * Nothing a scenario (or a typed argument) holds reaches the terminal as a control
 * sequence: a scenario named with an OSC title sequence, a bell and a clear-screen, in a
 * file whose name holds an escape too, goes through run, compare, validate and sweep,
 * and a mistyped option and a missing file carry the same bytes; no ESC, BEL or other
 * control character but the newline is in anything they print.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, blindspot, type Completed } from './support/cli';

const HOSTILE = '\u001b]0;pwned\u0007\u001b[2J';
const dir = mkdtempSync(join(tmpdir(), 'blindspot-terminal-'));
mkdirSync(join(dir, `sub\u001b[31m`));

/** The shipped plaintext scenario cut to two days, under a hostile name, in a file whose path holds an escape. */
function hostileScenario(file: string, name = HOSTILE): string {
  const text = readFileSync(join(REPO_ROOT, 'scenarios/plaintext.yaml'), 'utf8')
    .replace(/^name: .*$/m, `name: ${JSON.stringify(name)}`)
    .replace(/^durationDays: 30\b/m, 'durationDays: 2');
  const path = join(dir, `sub\u001b[31m`, file);
  writeFileSync(path, text);
  return path;
}

/** Any C0 control character but newline (tab allowed), DEL or C1. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function expectClean(r: Completed, what: string): void {
  for (const [stream, text] of [
    ['stdout', r.stdout],
    ['stderr', r.stderr],
  ] as const) {
    const at = text.search(CONTROL);
    expect(at, `${what}: a control character on ${stream} at ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 40))}`).toBe(-1);
  }
}

/** Ran, and printed the name escaped; or was refused (a stricter scenario check); never a crash. */
function expectShown(r: Completed, what: string): void {
  expect([0, 2], `${what}: ${r.stderr.slice(-2000)}`).toContain(r.code);
  if (r.code === 0) expect(`${r.stdout}${r.stderr}`, what).toContain('\\x1b]0;pwned\\x07\\x1b[2J');
}

describe('control characters from a scenario', () => {
  const a = hostileScenario('a\u0007.yaml');
  const b = hostileScenario('b.yaml', `${HOSTILE}\u009b31m`);
  const out = (label: string) => join(dir, `out-${label}`);

  it('run: figures, progress and the wrote lines are printed without them', async () => {
    const r = await blindspot(['run', a, '--out', out('run')]);
    expectClean(r, 'run');
    expectShown(r, 'run');
  });

  it('compare: the comparison is printed without them', async () => {
    const r = await blindspot(['compare', a, b, '--out', out('compare')]);
    expectClean(r, 'compare');
    expectShown(r, 'compare');
  });

  it('validate: the ok line and every problem are printed without them', async () => {
    const r = await blindspot(['validate', a, b, join(dir, 'missing\u001b[2J.yaml')]);
    expectClean(r, 'validate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing\\x1b[2J.yaml');
  });

  it('sweep: the table and the wrote lines are printed without them', async () => {
    const r = await blindspot(['sweep', a, '--set', 'seed=1,2', '--out', out('sweep')]);
    expectClean(r, 'sweep');
    expectShown(r, 'sweep');
  });

  it('--json prints them escaped in JSON, C1 included', async () => {
    const r = await blindspot(['run', b, '--json', '--out', out('json')]);
    expectClean(r, 'run --json');
    if (r.code === 0) expect((JSON.parse(r.stdout) as { scenario: { name: string } }).scenario.name).toBe(`${HOSTILE}\u009b31m`);
  });

  it('a typed option or file name is echoed without them', async () => {
    const r = await blindspot(['run', a, `--se\u001b[2Jed`, '1']);
    expectClean(r, 'a mistyped option');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--se\\x1b[2Jed');
  });
});
