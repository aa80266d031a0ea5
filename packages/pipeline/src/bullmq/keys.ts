/**
 * Every Redis key, key pattern and hash field the pipeline uses, and their parsers:
 * nothing else in the tree spells one out.
 *
 * Partitions. A deployment's keys and queues are split into BLINDSPOT_PARTITIONS
 * partitions, each under its own Redis hash tag: partition 0 under the deployment
 * prefix itself (such as `{blindspot}`), partition k under `{blindspot:k}` (a colon, which
 * a prefix may not hold, so no other deployment's prefix can be a partition's). Every key
 * of a partition lands in one Redis Cluster slot, so the Lua scripts that touch several
 * keys stay valid on a cluster, while the partitions spread over its nodes. A run lives
 * wholly in one partition (partitionOf: a hash of its id), its keys and its jobs alike;
 * the services consume every partition's queues. Below, <prefix> is the partition's.
 *
 * Layout (changing it strands runs under way and readers elsewhere, so append; and a
 * deployment's Redis ACL users, made from it by acl.ts, must be made again):
 *   <prefix>:run:<run>:<name>            a run's keys (RUN_KEY_NAMES but SECRET_KEY_NAMES)
 *   <prefix>:run:<run>:<stage>:<part>    an ordered stage's keys (ordered.ts)
 *   <prefix>:secret:<run>:<name>         a run's secrets and ground truth (SECRET_KEY_NAMES)
 *   <prefix>:police:<run>                the police sink, outliving the run's keys
 *   <prefix>:cancelled:<run>             a cancelled run's marker, outliving its keys (an hour)
 *   <prefix>:<queue>:…                   BullMQ's own keys for each queue (QUEUES)
 *   <prefix>:relay-count                 the queue benchmark's counter
 *   <prefix>:partitions                  (partition 0) how many partitions the deployment has
 * A run's keys and secrets are deleted when it is done (RunKeys.patterns). The secrets
 * have a namespace of their own so that Redis ACL key patterns (acl.ts), which can only
 * allow, can grant a service a run's keys without its secrets.
 */

export const QUEUES = {
  generate: 'generate',
  scan: 'scan',
  metadata: 'metadata',
  report: 'report',
  deadLetter: 'dead-letter',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** The last part of each of a run's keys: `<prefix>:run:<run>:<name>`, or `<prefix>:secret:<run>:<name>` for SECRET_KEY_NAMES. */
const RUN_KEY_NAMES = {
  scenario: 'scenario',
  file: 'file',
  options: 'options',
  definitionAuth: 'definition-auth',
  ledger: 'ledger',
  ledgerParts: 'ledger-parts',
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

/**
 * The run keys kept under `<prefix>:secret:`: what the services in the middle (scanner,
 * metadata detector) and the dashboard must never read.
 */
export const SECRET_KEY_NAMES = ['clientSecret', 'platformKey', 'ledger', 'ledgerParts'] as const satisfies readonly RunKeyName[];

/** The namespaces under the prefix besides the queues': no queue may be named like one. */
export const NAMESPACES = {
  run: 'run',
  secret: 'secret',
  police: 'police',
  cancelled: 'cancelled',
  relayCount: 'relay-count',
  partitions: 'partitions',
} as const;

/** The most partitions a deployment may have. */
export const MAX_PARTITIONS = 256;

/** The prefix of partition `k` of the deployment under `prefix`: the prefix itself for 0, `{tag:k}` for the others. */
export function partitionPrefix(prefix: string, k: number): string {
  if (!Number.isInteger(k) || k < 0 || k >= MAX_PARTITIONS) throw new RangeError(`partition ${k} is not one of 0..${MAX_PARTITIONS - 1}`);
  return k === 0 ? prefix : `${prefix.slice(0, -1)}:${k}}`;
}

/** The prefixes of every partition of a deployment, partition 0 first. */
export function partitionPrefixes(prefix: string, partitions: number): string[] {
  return Array.from({ length: partitions }, (_, k) => partitionPrefix(prefix, k));
}

/** The partition a run lives in, of `partitions`: FNV-1a of its id, so every process agrees without asking. */
export function partitionOf(run: string, partitions: number): number {
  if (partitions <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < run.length; i++) {
    h ^= run.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

/** The key (in partition 0) recording how many partitions the deployment under `prefix` has. */
export function partitionsKey(prefix: string): string {
  return `${prefix}:${NAMESPACES.partitions}`;
}

/** The ordered stages (ordered.ts): the name in their keys and the inputs each sequence number waits for. */
export const ORDERED_STAGES = {
  metadata: { name: 'metadata', sources: ['envelopes'] },
  reporter: { name: 'reporter', sources: ['scan', 'metadata'] },
} as const;

export type OrderedStageName = keyof typeof ORDERED_STAGES;

const isSecret = (name: RunKeyName) => (SECRET_KEY_NAMES as readonly RunKeyName[]).includes(name);
const runBase = (prefix: string, run: string) => `${prefix}:${NAMESPACES.run}:${run}`;
const secretBase = (prefix: string, run: string) => `${prefix}:${NAMESPACES.secret}:${run}`;
const keyBase = (prefix: string, run: string, name: RunKeyName) => (isSecret(name) ? secretBase : runBase)(prefix, run);
const policeBase = (prefix: string) => `${prefix}:${NAMESPACES.police}:`;
const cancelledBase = (prefix: string) => `${prefix}:${NAMESPACES.cancelled}:`;

/** How long a cancelled run's marker outlives its keys: long enough for every queued job of the run to be dropped. */
export const CANCELLED_TTL_SECONDS = 3600;

export class RunKeys {
  /** The run's partition (see partitionOf). */
  readonly partition: number;
  /** The prefix of the run's partition, under which all its keys are. */
  readonly prefix: string;

  constructor(
    /** The deployment's prefix (partition 0's). */
    readonly deploymentPrefix: string,
    readonly run: string,
    /** How many partitions the deployment has. */
    partitions = 1,
  ) {
    this.partition = partitionOf(run, partitions);
    this.prefix = partitionPrefix(deploymentPrefix, this.partition);
  }

  /** One of the run's named keys, in its namespace. */
  private k(name: RunKeyName): string {
    return `${keyBase(this.prefix, this.run, name)}:${RUN_KEY_NAMES[name]}`;
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
  /** The authenticator of the run's scenario, file and options (authenticator.ts), written with them. */
  get definitionAuth() {
    return this.k('definitionAuth');
  }
  /** The evaluation ledger: ground truth, read by the reporter's final join only. */
  get ledger() {
    return this.k('ledger');
  }
  /** Each generation group's part of the ledger (a hash, field: the group), merged into `ledger` before the final batch. */
  get ledgerParts() {
    return this.k('ledgerParts');
  }
  /** The platform's franking key: the delivery relay countersigns with it, the reporter verifies with it. */
  get platformKey() {
    return this.k('platformKey');
  }
  /**
   * The simulated clients' secret (conversation keys, franking keys, scanning secrets
   * derive from it). Only the generator reads it; it is kept so a restarted generator
   * rebuilds the same clients.
   */
  get clientSecret() {
    return this.k('clientSecret');
  }
  /** The result document (without timing), written once by the reporter. */
  get result() {
    return this.k('result');
  }
  /** A fatal error that ends the run, written by whichever service met it. */
  get error() {
    return this.k('error');
  }
  /** How far generation has got, per generation group (a hash, field: the group; value { day, messages, batches }), for progress displays (readProgress). */
  get progress() {
    return this.k('progress');
  }
  /** Wall-clock milliseconds each batch entered the pipeline (fields: enteredField), for latency figures. */
  get timeline() {
    return this.k('timeline');
  }
  /** Highest batch sequence number each generation group has enqueued (a hash, field: the group). */
  get generated() {
    return this.k('generated');
  }
  /** Malformed jobs naming this run that a service refused and dead-lettered (members: deadLetterJobId). */
  get deadLettered() {
    return this.k('deadLettered');
  }
  /**
   * How often generators have taken up the run without it making progress (fields:
   * PICKUPS), so a run that keeps killing its generator is failed, not retried forever.
   */
  get pickups() {
    return this.k('pickups');
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
    const base = `${runBase(this.prefix, this.run)}:${stage}`;
    return {
      next: `${base}:next`,
      inbox: `${base}:inbox`,
      state: `${base}:state`,
      out: `${base}:out`,
      emitted: `${base}:emitted`,
    };
  }
  /** Patterns matching every key of this run, its secrets included (not its police sink), for cleanup. */
  get patterns(): string[] {
    return [`${runBase(this.prefix, this.run)}:*`, `${secretBase(this.prefix, this.run)}:*`];
  }
}

/** Pattern matching one named key of every run under `prefix` (by default its scenario, which every run has). */
export function runKeyPattern(prefix: string, name: RunKeyName = 'scenario'): string {
  return `${keyBase(prefix, '*', name)}:${RUN_KEY_NAMES[name]}`;
}

/** Pattern matching one part of an ordered stage's keys (or all of them) of every run under `prefix`. */
export function stageKeyPattern(prefix: string, stage: OrderedStageName, part: keyof ReturnType<RunKeys['stage']> | '*' = '*'): string {
  return `${runBase(prefix, '*')}:${ORDERED_STAGES[stage].name}:${part}`;
}

/** Pattern matching every key of every run under `prefix` in one namespace: the runs' own keys, or their secrets. */
export function runNamespacePattern(prefix: string, namespace: 'run' | 'secret'): string {
  return `${(namespace === 'run' ? runBase : secretBase)(prefix, '*')}`;
}

/** The run a key matched by runKeyPattern(prefix, name) belongs to, or null if it is not such a key. */
export function runOfKey(prefix: string, key: string, name: RunKeyName = 'scenario'): string | null {
  const head = `${keyBase(prefix, '', name)}`;
  const tail = `:${RUN_KEY_NAMES[name]}`;
  if (!key.startsWith(head) || !key.endsWith(tail) || key.length <= head.length + tail.length) return null;
  return key.slice(head.length, -tail.length);
}

/** Pattern matching every cancelled run's marker under `prefix`. */
export function cancelledKeyPattern(prefix: string): string {
  return `${cancelledBase(prefix)}*`;
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

/** Pattern matching every key BullMQ keeps for `queue` under `prefix`. */
export function queueKeyPattern(prefix: string, queue: QueueName): string {
  return `${prefix}:${queue}:*`;
}

/** The counter the queue benchmark's last relay increments (`blindspot bench`). */
export function benchRelayCountKey(prefix: string): string {
  return `${prefix}:${NAMESPACES.relayCount}`;
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
  /** The accounts review day `day` closes (enforcement), as JSON: written once the day is reviewed, for the generators. */
  closings: (day: number) => `closings:${day}`,
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

/** The plain id of run `run`'s generation job for `group`: the run itself for group 0. */
export function generateJobId(run: string, group: number): string {
  return group === 0 ? run : `${run}.generate.${group}`;
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
