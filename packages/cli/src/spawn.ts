/**
 * Starts the four services as separate OS processes for `run --redis`, and stops them.
 * Their logs go to this process's stderr so `--json` output on stdout stays clean. They
 * are not restarted: the first to exit ends the run, with the reason where it is known
 * (out of memory).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SERVICES, type ServiceName } from '@blindspot/pipeline/config';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ServiceProcesses {
  /** A message if any service has exited, else null. */
  problem(): string | null;
  /** The processes, by service name, for measurements. */
  processes(): { name: ServiceName; pid: number }[];
  stop(): Promise<void>;
  /** Sends SIGTERM to every process still running, without waiting: for a command exiting at once. */
  terminate(): void;
}

/** How much of each service's last output is kept, to say why it exited. */
const TAIL_CHARS = 4_000;

/** Why a service exited, as far as its last output says. */
export function exitReason(name: ServiceName, how: string, tail: string): string {
  if (/heap out of memory|Reached heap limit/i.test(tail)) {
    const more = 'give it more memory (NODE_OPTIONS=--max-old-space-size=<MB>)';
    const advice = name === 'generator' ? `the scenario's world does not fit in its heap; use fewer accounts or a shorter durationDays, or ${more}` : more;
    return `the ${name} service ran out of memory (${how}: JavaScript heap out of memory): ${advice}`;
  }
  return `the ${name} service exited unexpectedly (${how})`;
}

export function spawnServices(env: Record<string, string>, replicas: Partial<Record<ServiceName, number>> = {}): ServiceProcesses {
  const children: { name: ServiceName; child: ChildProcess; exit?: string }[] = [];
  let stopping = false;
  for (const name of SERVICES) {
    for (let i = 0; i < (replicas[name] ?? 1); i++) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'services/start.ts', name], {
        cwd: REPO_ROOT,
        // Several services on this host: each takes a free port for its metrics.
        env: { HTTP_PORT: '0', ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const entry: (typeof children)[number] = { name, child };
      let tail = '';
      // Forward rather than pipe: many pipes into one stream trip Node's listener limit.
      child.stdout?.on('data', (d: Buffer) => process.stderr.write(d));
      child.stderr?.on('data', (d: Buffer) => {
        process.stderr.write(d);
        tail = (tail + d.toString()).slice(-TAIL_CHARS);
      });
      // On close, not exit: by then its last output (V8's out-of-memory report) has been read.
      child.on('close', (code, signal) => {
        if (!stopping) entry.exit = exitReason(name, signal ?? `code ${code}`, tail);
      });
      children.push(entry);
    }
  }
  return {
    problem: () => children.find((c) => c.exit)?.exit ?? null,
    processes: () => children.filter((c) => c.child.pid !== undefined).map((c) => ({ name: c.name, pid: c.child.pid as number })),
    terminate() {
      stopping = true;
      for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
    async stop() {
      stopping = true;
      await Promise.all(
        children.map(
          ({ child }) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
              child.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
