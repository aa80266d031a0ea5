/**
 * Every Redis key, key pattern and hash field the pipeline uses, and their parsers:
 * nothing else in the tree spells one out. Everything shares the deployment prefix, a
 * Redis hash tag such as `{blindspot}`, so every key lands in one Redis Cluster slot
 * and the Lua scripts that touch several keys stay valid on a cluster.
 *
 * Layout (changing it strands runs under way and any reader elsewhere, so append):
 *   <prefix>:run:<run>:<name>            a run's keys (RUN_KEY_NAMES), deleted when it is done
 *   <prefix>:run:<run>:<stage>:<part>    an ordered stage's keys (ordered.ts)
 *   <prefix>:police:<run>                the police sink, outliving the run's keys
 *   <prefix>:cancelled:<run>             a cancelled run's marker, outliving its keys (an hour)
 *   <prefix>:<queue>:…                   BullMQ's own keys for each queue
 */

export const QUEUES = {
  generate: 'generate',
  scan: 'scan',
  metadata: 'metadata',
  report: 'report',
  deadLetter: 'dead-letter',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** The last part of each of a run's own keys. */
const RUN_KEY_NAMES = {
  scenario: 'scenario',
  file: 'file',
  options: 'options',
  definitionAuth: 'definition-auth',
  ledger: 'ledger',
  platformKey: 'platform-key',
  clientSecret: 'client-secret',
  result: 'result',
  error: 'error',
  progress: 'progress',
  timeline: 'timeline',
  generated: 'generated',
  deadLettered: 'dead-lettered',
  pickups: 'pickups',
} as const;

export type RunKeyName = keyof typeof RUN_KEY_NAMES;

/** The ordered stages (ordered.ts): the name in their keys and the inputs each sequence number waits for. */
export const ORDERED_STAGES = {
  metadata: { name: 'metadata', sources: ['envelopes'] },
  reporter: { name: 'reporter', sources: ['scan', 'metadata'] },
} as const;

export type OrderedStageName = keyof typeof ORDERED_STAGES;

const runBase = (prefix: string, run: string) => `${prefix}:run:${run}`;
const policeBase = (prefix: string) => `${prefix}:police:`;
const cancelledBase = (prefix: string) => `${prefix}:cancelled:`;

/** How long a cancelled run's marker outlives its keys: long enough for every queued job of the run to be dropped. */
export const CANCELLED_TTL_SECONDS = 3600;

export class RunKeys {
  constructor(
    readonly prefix: string,
    readonly run: string,
  ) {}

  private k(suffix: string): string {
    return `${runBase(this.prefix, this.run)}:${suffix}`;
  }

  /** The validated scenario, as JSON. */
  get scenario() {
    return this.k(RUN_KEY_NAMES.scenario);
  }
  /** Path of the scenario file, for the result document. */
  get file() {
    return this.k(RUN_KEY_NAMES.file);
  }
  /** Run options (batch size), as JSON. */
  get options() {
    return this.k(RUN_KEY_NAMES.options);
  }
  /** The authenticator of the run's scenario, file and options (authenticator.ts), written with them. */
  get definitionAuth() {
    return this.k(RUN_KEY_NAMES.definitionAuth);
  }
  /** The evaluation ledger: ground truth, read by the reporter's final join only. */
  get ledger() {
    return this.k(RUN_KEY_NAMES.ledger);
  }
  /** The platform's franking key: the delivery relay countersigns with it, the reporter verifies with it. */
  get platformKey() {
    return this.k(RUN_KEY_NAMES.platformKey);
  }
  /**
   * The simulated clients' secret (conversation keys, franking keys, scanning secrets
   * derive from it). Only the generator reads it; it is kept so a restarted generator
   * rebuilds the same clients.
   */
  get clientSecret() {
    return this.k(RUN_KEY_NAMES.clientSecret);
  }
  /** The result document (without timing), written once by the reporter. */
  get result() {
    return this.k(RUN_KEY_NAMES.result);
  }
  /** A fatal error that ends the run, written by whichever service met it. */
  get error() {
    return this.k(RUN_KEY_NAMES.error);
  }
  /** How far generation has got: { day, messages }, for progress displays. */
  get progress() {
    return this.k(RUN_KEY_NAMES.progress);
  }
  /** Wall-clock milliseconds each batch entered the pipeline (fields: enteredField), for latency figures. */
  get timeline() {
    return this.k(RUN_KEY_NAMES.timeline);
  }
  /** Highest batch sequence number the generator has enqueued. */
  get generated() {
    return this.k(RUN_KEY_NAMES.generated);
  }
  /** Malformed jobs naming this run that a service refused and dead-lettered (members: deadLetterJobId). */
  get deadLettered() {
    return this.k(RUN_KEY_NAMES.deadLettered);
  }
  /**
   * How often generators have taken up the run without it making progress (fields:
   * PICKUPS), so a run that keeps killing its generator is failed, not retried forever.
   */
  get pickups() {
    return this.k(RUN_KEY_NAMES.pickups);
  }
  /**
   * The marker of a cancelled run (the command that waited on it gave up or was
   * interrupted). It lives outside the run's keys, which are deleted when it is set, so
   * the services still know to drop the run's jobs and write nothing more for it; it
   * expires after CANCELLED_TTL_SECONDS.
   */
  get cancelled() {
    return `${cancelledBase(this.prefix)}${this.run}`;
  }
  /**
   * The police sink: a stream with one entry per report to police, appended in the
   * same atomic commit that files it, so a crash never loses one and a retry never
   * writes one twice. It lives outside the run's keys: cleaning up a finished run
   * leaves it for whoever consumes it (it expires with the other keys' week).
   */
  get police() {
    return `${policeBase(this.prefix)}${this.run}`;
  }
  /** Keys of an ordered stage (see ordered.ts). */
  stage(stage: OrderedStageName | (string & {})) {
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
    return `${runBase(this.prefix, this.run)}:*`;
  }
}

/** Pattern matching one named key of every run under `prefix` (by default its scenario, which every run has). */
export function runKeyPattern(prefix: string, name: RunKeyName = 'scenario'): string {
  return `${runBase(prefix, '*')}:${RUN_KEY_NAMES[name]}`;
}

/** The run a key matched by runKeyPattern(prefix, name) belongs to, or null if it is not such a key. */
export function runOfKey(prefix: string, key: string, name: RunKeyName = 'scenario'): string | null {
  const head = `${prefix}:run:`;
  const tail = `:${RUN_KEY_NAMES[name]}`;
  if (!key.startsWith(head) || !key.endsWith(tail) || key.length <= head.length + tail.length) return null;
  return key.slice(head.length, -tail.length);
}

/** Pattern matching every police sink under `prefix`. */
export function policeKeyPattern(prefix: string): string {
  return `${policeBase(prefix)}*`;
}

/** The run a police sink belongs to, or null if `key` is not one. */
export function runOfPoliceKey(prefix: string, key: string): string | null {
  const head = policeBase(prefix);
  return key.startsWith(head) && key.length > head.length ? key.slice(head.length) : null;
}

/** Pattern matching every key under `prefix`: runs, sinks and queues. */
export function deploymentKeyPattern(prefix: string): string {
  return `${prefix}*`;
}

/** The counter the queue benchmark's last relay increments (`blindspot bench`). */
export function benchRelayCountKey(prefix: string): string {
  return `${prefix}:relay-count`;
}

/** An ordered stage's inbox field: one input of one sequence number. */
export function inboxField(seq: number, source: string): string {
  return `${seq}:${source}`;
}

/** The (seq, source) of an inbox field, or null if it is not one. */
export function parseInboxField(field: string): { seq: number; source: string } | null {
  const m = /^(\d+):(.+)$/.exec(field);
  return m ? { seq: Number(m[1]), source: m[2] as string } : null;
}

/** The timeline's field for the time batch `seq` entered the pipeline. */
export function enteredField(seq: number): string {
  return `in:${seq}`;
}

/**
 * Fields of the reporter stage's state hash: its review state, the messages detected in
 * each batch (kept apart: they only grow, and only the final join reads them), and when
 * each batch was applied (wall clock, for latency figures; never part of a result).
 */
export const REPORTER_STATE = {
  state: 'reporter',
  detected: (seq: number) => `detected:${seq}`,
  applied: (seq: number) => `applied:${seq}`,
  /** The batch an `applied` field names, or null if `field` is not one. */
  appliedSeq(field: string): number | null {
    const m = /^applied:(\d+)$/.exec(field);
    return m ? Number(m[1]) : null;
  },
} as const;

/**
 * Fields of a run's pickups hash: the consecutive times a generator took the run up and
 * stopped before enqueueing another batch, how far the run had got at the last pickup
 * (absent after a clean hand-back, so the next pickup does not count as a stall), and
 * which generator process took it up then.
 */
export const PICKUPS = { stalls: 'stalls', generated: 'generated', holder: 'holder' } as const;

/** The metadata stage's state hash holds one field per account: its sliding windows. */
export const METADATA_STATE = {
  field: (account: number) => String(account),
  account: (field: string) => Number(field),
} as const;

/**
 * Job ids are derived from (run, stage, batch) so enqueueing twice is harmless. The
 * stage part names the hop: `scan-in` and `metadata-in` are the generator's batches,
 * `scan` and `metadata` the results on the report queue.
 */
export type JobHop = 'scan-in' | 'metadata-in' | 'scan' | 'metadata';
export function jobId(run: string, hop: JobHop, seq: number): string {
  return `${run}.${hop}.${seq}`;
}

/** The hops of the batches each queue carries. */
export const HOPS_OF_QUEUE: Partial<Record<QueueName, readonly JobHop[]>> = {
  [QUEUES.scan]: ['scan-in'],
  [QUEUES.metadata]: ['metadata-in'],
  [QUEUES.report]: ['scan', 'metadata'],
};

/** The (run, hop, seq) a batch's job id names, or null if `id` is not one on `queue`. */
export function parseJobId(queue: QueueName, id: string | undefined): { run: string; hop: JobHop; seq: number } | null {
  // As added: the plain id, then the authenticator's tag (authenticator.ts).
  const m = id === undefined ? null : /^([A-Za-z0-9_-]{1,64})\.([a-z-]+)\.(\d{1,15})(?:\.[0-9a-f]{24})?$/.exec(id);
  if (!m) return null;
  const hop = m[2] as JobHop;
  return HOPS_OF_QUEUE[queue]?.includes(hop) ? { run: m[1] as string, hop, seq: Number(m[3]) } : null;
}

/** A dead-lettered job's id, also its member in the run's deadLettered set: one per refused job. */
export function deadLetterJobId(queue: QueueName, id: string | undefined): string {
  return `${queue}.${id}`;
}
