/**
 * The four services as real OS processes that a test can kill (-9) and restart, with
 * every process's log kept for assertions and failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { STAGES, type Stage } from '@blindspot/core';
import { REPO_ROOT } from './cli';

/** The four pipeline services. */
export const SERVICE_NAMES = STAGES;
/** The four pipeline services, and the dashboard (started only when asked for). */
export type ServiceName = Stage | 'dashboard';

interface Proc {
  name: ServiceName;
  child: ChildProcess;
  log: string;
  exited: Promise<void>;
}

export class Fleet {
  private readonly procs: Proc[] = [];
  private readonly dead: Proc[] = [];

  constructor(private readonly env: Record<string, string>) {}

  /** Starts a process of `name`, with `env` over the fleet's. */
  start(name: ServiceName, env: Record<string, string> = {}): void {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/start.ts', name], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc: Proc = { name, child, log: '', exited: new Promise((resolve) => child.once('exit', () => resolve())) };
    child.stdout?.on('data', (d: Buffer) => (proc.log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (proc.log += d.toString()));
    this.procs.push(proc);
  }

  startAll(): void {
    for (const name of SERVICE_NAMES) this.start(name);
  }

  /** SIGKILLs the (first live) process of `name` and waits until it is gone. */
  async kill9(name: ServiceName): Promise<void> {
    const i = this.procs.findIndex((p) => p.name === name);
    if (i < 0) throw new Error(`no live ${name} to kill`);
    const [proc] = this.procs.splice(i, 1) as [Proc];
    proc.child.kill('SIGKILL');
    await proc.exited;
    this.dead.push(proc);
  }

  /** Every log line so far, of live and killed processes. */
  logs(): string {
    return [...this.dead, ...this.procs].map((p) => `--- ${p.name} (pid ${p.child.pid})\n${p.log}`).join('\n');
  }

  /** The log of the (first live) process of `name`. */
  log(name: ServiceName): string {
    return this.procs.find((p) => p.name === name)?.log ?? '';
  }

  /** A live process that exited on its own, if any. */
  crashed(): string | null {
    const gone = this.procs.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    return gone ? `${gone.name} exited (${gone.child.signalCode ?? gone.child.exitCode})` : null;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.procs.splice(0).map(async (p) => {
        p.child.kill('SIGKILL');
        await p.exited;
        this.dead.push(p);
      }),
    );
  }
}
