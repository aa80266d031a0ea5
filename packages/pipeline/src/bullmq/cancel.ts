/**
 * Cancelled runs. A run whose command gave up on it (--timeout, a failure, Ctrl-C) is
 * cancelled at once: a marker is set that outlives the run's keys (RunKeys.cancelled),
 * then the run's keys are deleted (its secrets, ledger and inboxes with them) and its
 * queued jobs removed. The services stop work on it at their next safe point: a job of
 * a cancelled run is dropped (service.ts), the generator stops between batches, and
 * every write a service makes for a run goes through a Lua script that refuses it once
 * the marker is set (here, and the ordered stages' scripts), so nothing deleted comes
 * back and nothing new is left behind.
 */
import type { ChainableCommander } from 'ioredis';

import { scanKeys } from './connection';
import { CANCELLED_TTL_SECONDS, QUEUES, RunKeys } from './keys';
import { Queues } from './queues';
import type { RedisClient } from './connection';

/** Thrown where a service finds its run cancelled: the job is dropped, not failed or retried. */
export class RunCancelledError extends Error {
  override name = 'RunCancelledError';
  constructor(readonly run: string) {
    super(`run ${run} was cancelled`);
  }
}

/** One write of writeUnlessCancelled. */
export type GuardedWrite =
  | { set: string; value: string }
  /** SET … NX: written only if the key does not exist yet. */
  | { setnx: string; value: string }
  | { hset: string; field: string; value: string }
  | { sadd: string; member: string };

// KEYS: cancelled, then one key per write ; ARGV: ttl, then per write: op, field, value
const WRITE_UNLESS_CANCELLED = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 2, #KEYS do
  local j = 2 + (i - 2) * 3
  local op, field, value = ARGV[j], ARGV[j + 1], ARGV[j + 2]
  if op == 'set' then redis.call('SET', KEYS[i], value, 'EX', ARGV[1])
  elseif op == 'setnx' then redis.call('SET', KEYS[i], value, 'EX', ARGV[1], 'NX')
  elseif op == 'hset' then redis.call('HSET', KEYS[i], field, value); redis.call('EXPIRE', KEYS[i], ARGV[1])
  elseif op == 'sadd' then redis.call('SADD', KEYS[i], value); redis.call('EXPIRE', KEYS[i], ARGV[1])
  else return redis.error_reply('unknown write ' .. op) end
end
return 1
`;

type Guarded<T> = { bsWriteUnlessCancelled(numberOfKeys: number, ...args: (string | number)[]): T };

function guarded(redis: RedisClient): RedisClient & Guarded<Promise<number>> {
  const r = redis as RedisClient & Guarded<Promise<number>>;
  // Without numberOfKeys: the count of keys varies and is passed with each call.
  if (typeof r.bsWriteUnlessCancelled !== 'function') redis.defineCommand('bsWriteUnlessCancelled', { lua: WRITE_UNLESS_CANCELLED });
  return r;
}

/**
 * Makes `writes` to keys of run `keys.run` in one atomic step, each key expiring after
 * `ttlSeconds`, unless the run is cancelled. Returns false (and writes nothing) if it is.
 */
export async function writeUnlessCancelled(redis: RedisClient, keys: RunKeys, ttlSeconds: number, writes: readonly GuardedWrite[]): Promise<boolean> {
  const [numberOfKeys, ...args] = guardedArgs(keys, ttlSeconds, writes);
  return (await guarded(redis).bsWriteUnlessCancelled(numberOfKeys as number, ...args)) === 1;
}

/**
 * writeUnlessCancelled, followed in the same round trip by the commands `then` queues
 * (they run after the writes, whether or not they were made): whether the writes were
 * made, and those commands' replies.
 */
export async function writeUnlessCancelledThen(
  redis: RedisClient,
  keys: RunKeys,
  ttlSeconds: number,
  writes: readonly GuardedWrite[],
  then: (pipeline: ChainableCommander) => void,
): Promise<{ written: boolean; replies: unknown[] }> {
  const [numberOfKeys, ...args] = guardedArgs(keys, ttlSeconds, writes);
  const pipeline = guarded(redis).pipeline() as ChainableCommander & Guarded<ChainableCommander>;
  pipeline.bsWriteUnlessCancelled(numberOfKeys as number, ...args);
  then(pipeline);
  const results = (await pipeline.exec()) ?? [];
  const failed = results.find(([err]) => err);
  if (failed) throw failed[0];
  const [written, ...replies] = results.map(([, reply]) => reply);
  return { written: written === 1, replies };
}

/** The script's arguments: the number of keys, the keys (the marker first), the TTL, then op, field and value per write. */
function guardedArgs(keys: RunKeys, ttlSeconds: number, writes: readonly GuardedWrite[]): (string | number)[] {
  const names: string[] = [keys.cancelled];
  const args: (string | number)[] = [ttlSeconds];
  for (const w of writes) {
    const [key, op, field, value] =
      'set' in w
        ? [w.set, 'set', '', w.value]
        : 'setnx' in w
          ? [w.setnx, 'setnx', '', w.value]
          : 'hset' in w
            ? [w.hset, 'hset', w.field, w.value]
            : [w.sadd, 'sadd', '', w.member];
    names.push(key);
    args.push(op, field, value);
  }
  return [names.length, ...names, ...args];
}

export async function isCancelled(redis: RedisClient, keys: RunKeys): Promise<boolean> {
  return (await redis.exists(keys.cancelled)) === 1;
}

/** The job states a cancelled run's jobs are removed from (an active job is locked: its worker drops it). */
const REMOVABLE = ['waiting', 'delayed', 'prioritized', 'failed'] as const;

/**
 * Cancels a run: marks it cancelled, deletes every key of it and removes its jobs that
 * wait in the queues. The police sink stays: reports already filed were filed.
 */
export async function cancelRun(redis: RedisClient, prefix: string, run: string, partitions = 1): Promise<void> {
  const keys = new RunKeys(prefix, run, partitions);
  // The marker first: from here on no service writes for the run, so the keys found below are all there are.
  await redis.set(keys.cancelled, '1', 'EX', CANCELLED_TTL_SECONDS);
  for (const pattern of keys.patterns) {
    const found = await scanKeys(redis, pattern);
    for (let i = 0; i < found.length; i += 500) await redis.del(...found.slice(i, i + 500));
  }
  await removeQueuedJobs(redis, keys, partitions);
}

/** Removes the run's jobs that are not being worked on: its generate job (id: the run) and its batches (`<run>.<hop>.<seq>`). */
async function removeQueuedJobs(redis: RedisClient, keys: RunKeys, partitions: number): Promise<void> {
  const { run } = keys;
  const queues = new Queues(redis, keys.deploymentPrefix, undefined, undefined, false, partitions);
  try {
    for (const name of [QUEUES.generate, QUEUES.scan, QUEUES.metadata, QUEUES.report]) {
      const queue = queues.get(name, keys.partition);
      const ids = await queue.getRanges([...REMOVABLE], 0, -1);
      const mine = ids.filter((id) => id === run || id.startsWith(`${run}.`));
      await Promise.all(mine.map((id) => queue.remove(id)));
    }
  } finally {
    await queues.close();
  }
}
