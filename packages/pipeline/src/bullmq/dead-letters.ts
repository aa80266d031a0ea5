/**
 * Dead letters: the record of each job a service refused (forged or malformed), on the
 * dead-letter queue, which nobody consumes. A letter keeps what is needed to find out
 * what happened (the queue, the job id, the run it named, why it was refused, its size
 * and a SHA-256 digest of its data), never the data itself: a refused job can be as
 * large as anyone writing to Redis likes. Letters are kept for a retention period and
 * up to a count, oldest dropped first.
 */
import { createHash } from 'node:crypto';
import type { Job, Queue } from 'bullmq';
import type { QueueName } from './keys';
import type { DeadLetter } from './wire';

/** Characters of a refusal's reason kept in its letter. */
export const REASON_CHARS = 1_000;

/** The letter for a refused job: its data measured and digested, not kept. */
export function deadLetterOf(queue: QueueName, job: Job, run: string | null, forged: boolean, reason: string): DeadLetter {
  const json = JSON.stringify(job.data) ?? 'null';
  return {
    queue,
    ...(job.id === undefined ? {} : { jobId: job.id.slice(0, 200) }),
    run,
    forged,
    reason: reason.length > REASON_CHARS ? `${reason.slice(0, REASON_CHARS)}…` : reason,
    bytes: Buffer.byteLength(json),
    sha256: createHash('sha256').update(json).digest('hex'),
  };
}

/** Letters removed per pass at most: a pass is quick even after a flood. */
const PER_PASS = 1_000;
/** How often a process looks for letters past their retention (each dead-lettering is a chance). */
const CLEAN_EVERY_MS = 60_000;
const lastCleaned = new WeakMap<Queue, number>();

/**
 * Drops letters older than `retentionMs` (at most once a minute per queue object) and
 * the oldest beyond `max`.
 */
export async function keepDeadLetters(queue: Queue, retentionMs: number, max: number): Promise<void> {
  const now = Date.now();
  if (now - (lastCleaned.get(queue) ?? 0) >= CLEAN_EVERY_MS) {
    lastCleaned.set(queue, now);
    await queue.clean(retentionMs, PER_PASS, 'wait');
  }
  const excess = (await queue.getWaitingCount()) - max;
  if (excess <= 0) return;
  const oldest = await queue.getJobs(['wait'], 0, Math.min(excess, PER_PASS) - 1, true);
  await Promise.all(oldest.map((job) => job.remove()));
}
