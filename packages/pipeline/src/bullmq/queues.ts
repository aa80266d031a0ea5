/**
 * The queue catalog: each queue's job schema and per-queue defaults (attempts, backoff,
 * retention) in one table, from which producers and workers are typed. Workers parse a
 * job against its queue's schema once, at the boundary (service.ts); handlers receive
 * the parsed value. Which service consumes which queue is here too, so a service that
 * lacks a handler for one of its queues refuses to start.
 *
 * Completed jobs are removed at once (their effect is recorded in the stages' state);
 * failed ones are kept for a day for inspection; dead letters are kept until someone
 * looks at them.
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { z } from 'zod';
import type { ServiceName } from '../config';
import type { Logger } from '../log';
import type { JobAuthenticator } from './authenticator';
import { redactorFor, reportErrors } from './connection';
import { QUEUES, partitionPrefix, type QueueName } from './keys';
import { deadLetterJobSchema, metadataJobSchema, reportJobSchema, runJobSchema, scanJobSchema } from './wire';
import type { RedisClient } from './connection';

const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600 },
};

interface QueueSpec {
  /** The job data every job on the queue must match. */
  schema: z.ZodType;
  /** What a malformed job is called in its refusal (`malformed <what> job: …`). */
  what: string;
  options: JobsOptions;
}

export const QUEUE_CATALOG = {
  [QUEUES.generate]: { schema: runJobSchema, what: 'generate', options: DEFAULT_JOB_OPTIONS },
  [QUEUES.scan]: { schema: scanJobSchema, what: 'scan', options: DEFAULT_JOB_OPTIONS },
  [QUEUES.metadata]: { schema: metadataJobSchema, what: 'metadata', options: DEFAULT_JOB_OPTIONS },
  [QUEUES.report]: { schema: reportJobSchema, what: 'report', options: DEFAULT_JOB_OPTIONS },
  [QUEUES.deadLetter]: {
    schema: deadLetterJobSchema,
    what: 'dead-letter',
    options: { ...DEFAULT_JOB_OPTIONS, removeOnComplete: false, removeOnFail: false },
  },
} as const satisfies Record<QueueName, QueueSpec>;

/** The data of a job on queue `Q`, as its schema parses it. */
export type JobData<Q extends QueueName> = z.output<(typeof QUEUE_CATALOG)[Q]['schema']>;

/**
 * The queues each service consumes (exactly one handler each, or it refuses to start),
 * and the ones its gauges also report on: those it feeds, and for the reporter, last in
 * line, the dead letters.
 */
export const SERVICE_QUEUES = {
  generator: { consumes: [QUEUES.generate], watches: [QUEUES.scan, QUEUES.metadata] },
  scanner: { consumes: [QUEUES.scan], watches: [QUEUES.report] },
  'metadata-detector': { consumes: [QUEUES.metadata], watches: [QUEUES.report] },
  reporter: { consumes: [QUEUES.report], watches: [QUEUES.deadLetter] },
} as const satisfies Record<ServiceName, { consumes: readonly QueueName[]; watches: readonly QueueName[] }>;

/** The queues service `S` consumes. */
export type ConsumedQueue<S extends ServiceName = ServiceName> = (typeof SERVICE_QUEUES)[S]['consumes'][number];

/** The queues of a deployment, in each of its partitions (keys.ts): queue `name` of partition k is under that partition's prefix. */
export class Queues {
  private readonly open = new Map<string, Queue>();

  constructor(
    private readonly connection: RedisClient,
    /** The deployment's prefix (partition 0's). */
    readonly prefix: string,
    /** Signs what `send` adds; without one, these queues can be read but not sent to. */
    private readonly auth?: JobAuthenticator,
    /** Where a queue's connection errors go (debug: the connection's own listener reports them). */
    private readonly log?: Logger,
    /** Only looks at the queues (the dashboard, the command line's sampler): never writes their meta hash, which its ACL user may not. */
    private readonly readOnly = false,
    /** How many partitions the deployment has. */
    readonly partitions = 1,
  ) {}

  /** The id a job with plain id `plainId` is added under by `send`. */
  idOf(plainId: string): string {
    if (!this.auth) throw new Error('cannot name an authenticated job id without the job key (BLINDSPOT_JOB_KEY)');
    return this.auth.jobId(plainId);
  }

  /**
   * Adds a job the services will accept: under the authenticated form of its plain id
   * (so adding it twice adds it once), its data signed for that queue and id.
   */
  async send<Q extends QueueName>(queue: Q, name: string, data: JobData<Q>, plainId: string, partition = 0): Promise<void> {
    if (!this.auth) throw new Error(`cannot send to queue "${queue}" without the job key (BLINDSPOT_JOB_KEY)`);
    const id = this.idOf(plainId);
    // biome-ignore lint/suspicious/noExplicitAny: BullMQ types job data per queue; the signed form adds one field.
    await this.get(queue, partition).add(name as never, this.auth.sign(queue, id, data as object) as any, { jobId: id });
  }

  /** Queue `name` of partition `partition` (0: the deployment's own, where the dead letters are). */
  get<Q extends QueueName>(name: Q, partition = 0): Queue<JobData<Q>> {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitions) {
      throw new RangeError(`partition ${partition} is not one of this deployment's ${this.partitions}`);
    }
    const at = `${partition}:${name}`;
    let q = this.open.get(at);
    if (!q) {
      q = new Queue(name, {
        connection: this.connection,
        prefix: partitionPrefix(this.prefix, partition),
        defaultJobOptions: QUEUE_CATALOG[name].options,
        streams: { events: { maxLen: 1_000 } },
        ...(this.readOnly ? { skipMetasUpdate: true } : {}),
      });
      reportErrors(q, redactorFor(this.connection), (err) => this.log?.debug({ queue: name, partition, err }, 'queue error'));
      this.open.set(at, q);
    }
    return q as Queue<JobData<Q>>;
  }

  /** Queue `name` in every partition, partition 0 first. */
  all<Q extends QueueName>(name: Q): Queue<JobData<Q>>[] {
    return Array.from({ length: this.partitions }, (_, k) => this.get(name, k));
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.allSettled(all.map((q) => q.close()));
  }
}
