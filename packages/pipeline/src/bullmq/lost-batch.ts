/**
 * Lost batches. A batch's job id is derived from (run, hop, seq), so that enqueueing it
 * twice is harmless. A batch corrupted before it was enqueued (a bug in a service: only
 * a holder of the job key can add a job under a batch's id, see authenticator.ts) is
 * malformed and dead-lettered (service.ts), and a job holding the id while the real
 * batch is enqueued makes that enqueue a no-op; either way the ordered stages would then
 * wait for that sequence number forever.
 *
 * The run is failed at once instead, naming the batch and why. Regenerating the batch is
 * not attempted: its job id stays taken, so a regenerated batch would need new ids on
 * every hop downstream of it, and a corrupt batch may come from a bug that would corrupt
 * it again. Failing is only right when the real batch really can no longer arrive, so a
 * job that only looks like a batch cannot fail a run that would complete. A run is failed
 * for a refused job only if
 *   - its id is the id of a batch of that run, on the queue that batch travels on, and the
 *     run exists and is not cancelled;
 *   - that batch has not reached the stage that consumes it (its inbox, or applied);
 *   - the real batch's enqueue has happened or will happen while the refused job holds the
 *     id: when the refused job is dead-lettered after the generator enqueued that sequence
 *     number (`generated`, for the generation group that makes it), or, for a sequence
 *     number the generator has not reached yet,
 *     when the generator gets there and finds the id held by a failed job (which it
 *     checks for every batch it enqueues whose ids were dead-lettered).
 * A refused job with the id of a batch the run never reaches, or of one already
 * delivered, changes nothing but the run's dead-letter count.
 */
import type { Job } from 'bullmq';
import type { ChainableCommander } from 'ioredis';

import { groupOfSeq } from '@blindspot/core/layout';
import { isCancelled } from './cancel';
import { layoutOf } from './runs';
import { ORDERED_STAGES, QUEUES, deadLetterJobId, inboxField, jobId, type JobHop, type QueueName, type RunKeys } from './keys';
import type { Queues } from './queues';
import type { RedisClient } from './connection';

/** State of a job that still holds its id and will be worked on. */
const PENDING = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);
const QUEUE_OF_HOP: Record<JobHop, QueueName> = { 'scan-in': QUEUES.scan, 'metadata-in': QUEUES.metadata, scan: QUEUES.report, metadata: QUEUES.report };
/** The states of a job that nobody will work on (any more): absent, or failed for good. */
const GONE = new Set(['unknown', 'failed']);

/**
 * Whether batch `seq` on `hop` has got past that hop: into the inbox of the stage that
 * consumes it, or applied there (or, for a scan, its result is on the report queue).
 * Checked in the order a batch moves, so one moving on while this looks is still seen.
 */
async function delivered(redis: RedisClient, queues: Queues, keys: RunKeys, hop: JobHop, seq: number): Promise<boolean> {
  if (hop === 'scan-in' && !GONE.has(await queues.get(QUEUES.report, keys.partition).getJobState(queues.idOf(jobId(keys.run, 'scan', seq))))) return true;
  const [stage, source] = hop === 'metadata-in' ? [ORDERED_STAGES.metadata, 'envelopes'] : [ORDERED_STAGES.reporter, hop === 'scan-in' ? 'scan' : hop];
  const k = keys.stage(stage.name);
  if ((await redis.hexists(k.inbox, inboxField(seq, source))) === 1) return true;
  return Number((await redis.get(k.next)) ?? '0') > seq;
}

/** The run's failure message for a lost batch. */
function lostMessage(seq: number, queue: QueueName, id: string, reason: string): string {
  return (
    `batch ${seq} can no longer be delivered: a malformed ${queue} job holding its job id ${id} was dead-lettered (${reason}), ` +
    'so the run cannot complete; the job was signed with the job key, so a service (or whoever else holds the key) wrote it'
  );
}

/**
 * Called when `job`, which holds the id of batch `seq` on `hop` of run `keys.run`, was
 * dead-lettered: the reason the run must fail, or null if the real batch can still
 * arrive (or the generator will decide when it reaches the batch).
 */
export async function lostAtDeadLetter(
  redis: RedisClient,
  queues: Queues,
  keys: RunKeys,
  batch: { hop: JobHop; seq: number },
  job: Job,
  reason: string,
): Promise<string | null> {
  const [optionsJson, known] = await Promise.all([redis.get(keys.options), redis.exists(keys.scenario)]);
  const layout = layoutOf(optionsJson);
  if (known === 0 || !layout || (await isCancelled(redis, keys))) return null;
  // The group that makes the batch records the last it enqueued (its batches go in order).
  const generated = await redis.hget(keys.generated, String(groupOfSeq(layout, batch.seq)));
  if (batch.seq > Number(generated ?? '-1')) return null;
  if (await delivered(redis, queues, keys, batch.hop, batch.seq)) return null;
  return lostMessage(batch.seq, QUEUE_OF_HOP[batch.hop], job.id as string, reason);
}

const HOPS: readonly JobHop[] = ['scan-in', 'metadata-in', 'scan', 'metadata'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const idsOf = (queues: Queues, keys: RunKeys, seq: number) =>
  HOPS.map((hop) => ({ hop, queue: QUEUE_OF_HOP[hop], id: queues.idOf(jobId(keys.run, hop, seq)) }));

/**
 * Queues what lostAtEnqueue needs to know (were any of batch `seq`'s ids refused?) on
 * the round trip that records the batch as enqueued, after the record: so a refusal
 * racing the enqueue is seen either here or by its refuser (lostAtDeadLetter).
 */
export function lookUpRefusals(pipeline: ChainableCommander, queues: Queues, keys: RunKeys, seq: number): void {
  for (const { queue, id } of idsOf(queues, keys, seq)) pipeline.sismember(keys.deadLettered, deadLetterJobId(queue, id));
}

/**
 * Called by the generator once it has enqueued and recorded batch `seq`, with the replies
 * of lookUpRefusals: the reason the run must fail if a job dead-lettered earlier holds
 * one of that batch's ids (so the enqueue was a no-op), else null.
 */
export async function lostAtEnqueue(redis: RedisClient, queues: Queues, keys: RunKeys, seq: number, refusals: readonly unknown[]): Promise<string | null> {
  for (const [i, { hop, queue, id }] of idsOf(queues, keys, seq).entries()) {
    if (refusals[i] !== 1) continue;
    // A refused job is active until it is moved to the failed jobs, just after it is dead-lettered.
    let state = await queues.get(queue, keys.partition).getJobState(id);
    for (let waited = 0; state === 'active' && waited < 5_000; waited += 50) {
      await sleep(50);
      state = await queues.get(queue, keys.partition).getJobState(id);
    }
    // Still to be worked on: the enqueue took, or the refused job's successor holds the id. A refused
    // job is removed once done, so an id no longer held was held by it when the batch was enqueued.
    if (PENDING.has(state) || (await delivered(redis, queues, keys, hop, seq))) continue;
    return lostMessage(seq, queue, id, 'malformed');
  }
  return null;
}
