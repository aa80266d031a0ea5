/** Runs the blindspot command (or any repo script) as a real child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { REPO_ROOT } from '../../packages/cli/src/spawn';

export { REPO_ROOT };

export interface Completed {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

export function runNode(args: string[], options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<Completed> {
  return runProcess(process.execPath, ['--import', 'tsx', ...args], options);
}

export function runProcess(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {},
): Promise<Completed> {
  return startProcess(command, args, options).completed;
}

/** A process under way: its handle (to signal it), what it has written so far, and its completion. */
export interface Running {
  child: ChildProcess;
  stderr(): string;
  completed: Promise<Completed>;
}

export function startProcess(command: string, args: string[], options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Running {
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const completed = new Promise<Completed>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${options.timeoutMs} ms\nstderr: ${stderr.slice(-4000)}`));
    }, options.timeoutMs ?? 240_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
  return { child, stderr: () => stderr, completed };
}

/** Where test runs write their reports unless a test chooses: out of the repository. */
const TEST_OUT = mkdtempSync(join(tmpdir(), 'blindspot-out-'));

export function blindspot(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Completed> {
  return runNode(['packages/cli/src/main.ts', ...args], { ...options, env: { BLINDSPOT_OUT: TEST_OUT, BLINDSPOT_RUN_CACHE: 'off', ...options.env } });
}

/** The blindspot command started, not awaited: for a test that signals it. */
export function startBlindspot(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Running {
  return startProcess(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
    ...options,
    env: { BLINDSPOT_OUT: TEST_OUT, BLINDSPOT_RUN_CACHE: 'off', ...options.env },
  });
}

/** A result document without its `timing` section: what two transports must agree on. */
export function withoutTiming(doc: Record<string, unknown>): Record<string, unknown> {
  const { timing: _timing, ...rest } = doc;
  return rest;
}

/**
 * A copy of a shipped scenario with some top-level lines changed (e.g. a shorter
 * `durationDays`), in a temporary folder, keeping its name. Tests use it where a full
 * 30-day run would only cost time.
 */
export function scenarioCopy(file: string, replace: Record<string, string>, into?: string): string {
  const dir = into ?? mkdtempSync(join(tmpdir(), 'blindspot-scenario-'));
  let text = readFileSync(join(REPO_ROOT, file), 'utf8');
  for (const [from, to] of Object.entries(replace)) {
    if (!text.includes(from)) throw new Error(`${file} has no "${from}" to replace`);
    text = text.replace(from, to);
  }
  const path = join(dir, basename(file));
  writeFileSync(path, text);
  return path;
}
