/**
 * Ctrl-C (SIGINT) or SIGTERM while a run waits on the services: the first signal aborts
 * the wait, so the run is cancelled (its keys deleted, the services told to drop it) and
 * the services this command started are stopped; a second signal exits at once. The
 * command exits within CLEANUP_BOUND_MS of the first signal whatever happens.
 */

/** Cancelling the run (at most 5 s) and stopping the services this command started (SIGKILL after 10 s), with room to spare. */
export const CLEANUP_BOUND_MS = 20_000;

const EXIT_STATUS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** The command was interrupted; `exitStatus` is the shell's for the signal. */
export class Interrupted extends Error {
  override name = 'Interrupted';
  readonly exitStatus: number;
  constructor(
    readonly signal: NodeJS.Signals,
    message: string,
  ) {
    super(message);
    this.exitStatus = EXIT_STATUS[signal] ?? 1;
  }
}

export interface Interruption {
  /** Aborted at the first signal. */
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  received(): NodeJS.Signals | undefined;
  /** `err` as the command reports it: an Interrupted if a signal came first, else `err` itself. */
  explain(err: unknown): unknown;
  /** Stops listening (the work is done). */
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM until disposed. `onForcedExit` runs (synchronously) just
 * before a forced exit, the second signal's or the bound's: e.g. to signal child processes.
 */
export function listenForInterrupt(stderr: { write(chunk: string): unknown; isTTY?: boolean }, onForcedExit: () => void = () => undefined): Interruption {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const forceExit = (why: string) => {
    stderr.write(`blindspot: ${why}: exiting now\n`);
    onForcedExit();
    process.exit(EXIT_STATUS[received ?? 'SIGINT']);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) return forceExit(`second ${signal}`);
    received = signal;
    // On a terminal, below the progress bar the signal interrupted.
    stderr.write(
      `${stderr.isTTY ? '\n' : ''}blindspot: ${signal}: cancelling the run (${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again to exit at once)\n`,
    );
    setTimeout(() => forceExit(`cleanup took longer than ${CLEANUP_BOUND_MS / 1000} s`), CLEANUP_BOUND_MS).unref();
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    received: () => received,
    explain: (err) => (received && !(err instanceof Interrupted) ? new Interrupted(received, (err as Error).message) : err),
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
