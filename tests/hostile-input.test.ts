/**
 * Scenario paths that are not scenario files: a device that never ends (`/dev/zero`,
 * `/dev/urandom`), a FIFO nobody writes to, a sparse file of gigabytes. Each is refused
 * through the real command within seconds, with one line naming the path and exit 2,
 * and the command's memory stays that of an ordinary `validate`.
 *
 * Before: `validate /dev/urandom` grew to 16.9 GB and aborted (exit 134), `/dev/zero`
 * likewise, a FIFO hung forever and a sparse 3 GB file was read whole.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess, REPO_ROOT } from './support/cli';

const dir = mkdtempSync(join(tmpdir(), 'blindspot-hostile-'));

/** Loaded first into the command: writes its peak resident memory (kB) to PEAK_RSS_FILE as it exits. */
const peakProbe = join(dir, 'peak-rss.mjs');
writeFileSync(
  peakProbe,
  "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.PEAK_RSS_FILE, String(process.resourceUsage().maxRSS)));\n",
);

/**
 * A hard cap as well, so an unbounded read fails the test by aborting at 1.5 GB instead
 * of taking the machine's memory first (RLIMIT_DATA: the address-space limit would also
 * count the reservations V8 makes for WebAssembly).
 */
const PRLIMIT = '/usr/bin/prlimit';
const CAP_BYTES = 1_500_000_000;

let runs = 0;
async function validate(path: string): Promise<{ code: number | null; stderr: string; seconds: number; peakMb: number }> {
  const rssFile = join(dir, `rss-${runs++}`);
  const node = [process.execPath, '--import', 'tsx', '--import', peakProbe, 'packages/cli/src/main.ts', 'validate', path];
  const [command, ...args] = existsSync(PRLIMIT) ? [PRLIMIT, `--data=${CAP_BYTES}`, '--', ...node] : node;
  const r = await runProcess(command as string, args, { cwd: REPO_ROOT, env: { PEAK_RSS_FILE: rssFile }, timeoutMs: 20_000 });
  const peakKb = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) : Number.NaN;
  return { code: r.code, stderr: r.stderr, seconds: r.seconds, peakMb: peakKb / 1024 };
}

describe('validate of a path that is not a scenario file', () => {
  // What an ordinary validate of a shipped scenario takes, measured the same way.
  let baselineMb = 0;
  it('measures an ordinary validate first', async () => {
    const r = await validate('scenarios/plaintext.yaml');
    expect(r.code).toBe(0);
    expect(r.peakMb).toBeGreaterThan(10);
    baselineMb = r.peakMb;
  });

  const fifo = join(dir, 'scenario.yaml');
  execFileSync('mkfifo', [fifo]);
  const sparse = join(dir, 'sparse.yaml');
  const fd = openSync(sparse, 'w');
  ftruncateSync(fd, 3 * 2 ** 30);
  closeSync(fd);

  it.each([
    ['/dev/zero', /^\/dev\/zero: cannot read scenario: is a device, not a regular file; give the path of a \.yaml file$/],
    ['/dev/urandom', /^\/dev\/urandom: cannot read scenario: is a device, not a regular file/],
    [fifo, /scenario\.yaml: cannot read scenario: is a named pipe \(FIFO\), not a regular file/],
    [dir, /: cannot read scenario: is a directory, not a regular file/],
    [sparse, /sparse\.yaml: cannot read scenario: the file has 3221225472 bytes; a scenario file may have at most 4000000 bytes/],
  ])('refuses %s with exit 2 within seconds, memory bounded', async (path, message) => {
    const r = await validate(path);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
    expect(r.seconds).toBeLessThan(10);
    // About what an ordinary validate takes (Node and the schema): nothing of the file is held.
    expect(r.peakMb).toBeLessThan(Math.max(baselineMb * 1.5, baselineMb + 50));
  });
});
