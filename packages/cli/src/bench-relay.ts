/**
 * One stage of the bench's bare relay: a BullMQ worker that only forwards each job to
 * the next queue (or, at the last stage, counts it). Prints "ready" once listening.
 * Usage: bench-relay.ts <redis-url> <prefix> <queue> [<next-queue>]
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { benchRelayCountKey } from '@blindspot/pipeline/bullmq';

const [url, prefix, name, next] = process.argv.slice(2) as [string, string, string, string | undefined];
const connection = new Redis(url, { maxRetriesPerRequest: null });
const forward = next ? new Queue(next, { connection, prefix }) : undefined;
const worker = new Worker(
  name,
  async (job) => {
    if (forward) await forward.add('b', job.data, { removeOnComplete: true });
    else await connection.incr(benchRelayCountKey(prefix));
  },
  { connection, prefix, concurrency: 1, removeOnComplete: { count: 0 } },
);
await worker.waitUntilReady();
process.stdout.write('ready\n');
const stop = async () => {
  await worker.close();
  await forward?.close();
  connection.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
