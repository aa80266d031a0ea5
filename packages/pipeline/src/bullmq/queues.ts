/**
 * Per-queue defaults in one place: attempts, backoff, retention.
 * Completed jobs are removed at once (their effect is recorded in the stages' state);
 * failed ones are kept for a day for inspection.
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES, type QueueName } from './keys';

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600 },
};

export class Queues {
  private readonly open = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: Redis,
    readonly prefix: string,
  ) {}

  get(name: QueueName): Queue {
    let q = this.open.get(name);
    if (!q) {
      q = new Queue(name, {
        connection: this.connection,
        prefix: this.prefix,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
        streams: { events: { maxLen: 1_000 } },
      });
      this.open.set(name, q);
    }
    return q;
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.allSettled(all.map((q) => q.close()));
  }
}

export { QUEUES };
