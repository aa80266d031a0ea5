/**
 * Queue and key names. Everything shares the deployment prefix, a Redis hash tag such
 * as `{blindspot}`, so every key lands in one Redis Cluster slot and the Lua scripts
 * that touch several keys stay valid on a cluster.
 */

export const QUEUES = {
  generate: 'generate',
  scan: 'scan',
  metadata: 'metadata',
  report: 'report',
  deadLetter: 'dead-letter',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export class RunKeys {
  constructor(
    readonly prefix: string,
    readonly run: string,
  ) {}

  private k(suffix: string): string {
    return `${this.prefix}:run:${this.run}:${suffix}`;
  }

  /** The validated scenario, as JSON. */
  get scenario() {
    return this.k('scenario');
  }
  /** Path of the scenario file, for the result document. */
  get file() {
    return this.k('file');
  }
  /** Run options (batch size), as JSON. */
  get options() {
    return this.k('options');
  }
  /** The evaluation ledger: ground truth, read by the reporter's final join only. */
  get ledger() {
    return this.k('ledger');
  }
  /** The platform's franking key: the delivery relay countersigns with it, the reporter verifies with it. */
  get platformKey() {
    return this.k('platform-key');
  }
  /**
   * The simulated clients' secret (conversation keys, franking keys, scanning secrets
   * derive from it). Only the generator reads it; it is kept so a restarted generator
   * rebuilds the same clients.
   */
  get clientSecret() {
    return this.k('client-secret');
  }
  /** The result document (without timing), written once by the reporter. */
  get result() {
    return this.k('result');
  }
  /** A fatal error that ends the run, written by whichever service met it. */
  get error() {
    return this.k('error');
  }
  /** How far generation has got: { day, messages }, for progress displays. */
  get progress() {
    return this.k('progress');
  }
  /** Wall-clock milliseconds each batch entered the pipeline (`in:<seq>`), for latency figures. */
  get timeline() {
    return this.k('timeline');
  }
  /** Highest batch sequence number the generator has enqueued. */
  get generated() {
    return this.k('generated');
  }
  /** Malformed jobs naming this run that a service refused and dead-lettered (a set of queue.jobId). */
  get deadLettered() {
    return this.k('dead-lettered');
  }
  /**
   * The police sink: a stream with one entry per report to police, appended in the
   * same atomic commit that files it, so a crash never loses one and a retry never
   * writes one twice. It lives outside the run's keys: cleaning up a finished run
   * leaves it for whoever consumes it (it expires with the other keys' week).
   */
  get police() {
    return `${this.prefix}:police:${this.run}`;
  }
  /** Keys of an ordered stage (see ordered.ts). */
  stage(stage: string) {
    const base = this.k(stage);
    return {
      next: `${base}:next`,
      inbox: `${base}:inbox`,
      state: `${base}:state`,
      out: `${base}:out`,
      emitted: `${base}:emitted`,
    };
  }
  /** Pattern matching every key of this run, for cleanup. */
  get pattern() {
    return `${this.prefix}:run:${this.run}:*`;
  }
}

/** Job ids are derived from (run, stage, batch) so enqueueing twice is harmless. */
export function jobId(run: string, stage: string, seq: number): string {
  return `${run}.${stage}.${seq}`;
}
