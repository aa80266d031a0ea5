/**
 * How far a run's generation has got. Each generation group records its own (the
 * `progress` hash, field: the group) as it enqueues its batches; readers sum them.
 */
import type { RedisClient } from './connection';
import type { RunKeys } from './keys';

export interface GroupProgress {
  /** The simulated day the group has reached. */
  day: number;
  /** Messages it has generated. */
  messages: number;
  /** Batches it has enqueued. */
  batches: number;
}

/** The run's progress: the day every group has reached, and messages and batches of all groups. */
export function sumProgress(parts: Record<string, string>): GroupProgress {
  const all = Object.values(parts).flatMap((json) => {
    try {
      const p = JSON.parse(json) as Partial<GroupProgress>;
      return [{ day: Number(p.day) || 0, messages: Number(p.messages) || 0, batches: Number(p.batches) || 0 }];
    } catch {
      return [];
    }
  });
  return {
    day: all.length === 0 ? 0 : Math.min(...all.map((p) => p.day)),
    messages: all.reduce((n, p) => n + p.messages, 0),
    batches: all.reduce((n, p) => n + p.batches, 0),
  };
}

/** Reads and sums the run's progress. */
export async function readProgress(redis: RedisClient, keys: RunKeys): Promise<GroupProgress> {
  return sumProgress(await redis.hgetall(keys.progress));
}
