/**
 * Every process of a deployment must split it into the same number of partitions
 * (keys.ts): a run submitted to a partition no service consumes would wait until its
 * timeout. The first process to start records the number; every later one, of any kind,
 * checks it and refuses to go on with a different one.
 */
import type { RedisClient } from './connection';
import { partitionsKey } from './keys';

export class PartitionsMismatch extends Error {
  override name = 'PartitionsMismatch';
}

/**
 * Records `partitions` as the deployment's number if none is recorded, else checks it.
 * `reader` is a process that may not record it (the dashboard): it only checks.
 */
export async function agreePartitions(redis: RedisClient, prefix: string, partitions: number, reader = false): Promise<void> {
  const key = partitionsKey(prefix);
  if (!reader) await redis.set(key, String(partitions), 'NX');
  const recorded = await redis.get(key);
  if (recorded === null || Number(recorded) === partitions) return;
  throw new PartitionsMismatch(
    `${partitions} partitions asked for (BLINDSPOT_PARTITIONS, or the command line's --partitions), but the deployment under ${prefix} has ${recorded} (recorded in ${key} by the first process to start): ` +
      `give every service, the dashboard and the command line the same number, or, with no run under way, delete ${key} to change it`,
  );
}
