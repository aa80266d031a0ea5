/**
 * One stage of the bench's bare relay: a BullMQ worker that only forwards each job to
 * the next queue (or, at the last stage, counts it). Prints "ready" once listening.
 * Usage: bench-relay.ts <redis-url> <prefix> <queue> [<next-queue>]
 *
 * Its connection, queue and worker report their errors as the services do: the message
 * only, with the URL's password redacted (on stderr, which the bench passes through).
 */
import { Queue, Worker } from 'bullmq';
import { benchRelayCountKey, createRedis, redactorForUrl, reportErrors } from '@blindspot/pipeline/bullmq';

const [url, prefix, name, next] = process.argv.slice(2) as [string, string, string, string | undefined];
const redact = redactorForUrl(url);
/** An error line on stderr (stdout is the bench's "ready" signal), once per distinct message. */
const said = new Set<string>();
const complain = (what: string) => (err: string) => {
  if (said.has(`${what}${err}`)) return;
  said.add(`${what}${err}`);
  process.stderr.write(`bench relay ${name}: ${what}: ${err}\n`);
};
// Its own listener is silent: the worker, blocked on the same connection, says what is wrong.
const connection = createRedis(url, 'worker');
const forward = next ? reportErrors(new Queue(next, { connection, prefix }), redact, complain(`queue ${next}`)) : undefined;
const worker = reportErrors(
  new Worker(
    name,
    async (job) => {
      if (forward) await forward.add('b', job.data, { removeOnComplete: true });
      else await connection.incr(benchRelayCountKey(prefix));
    },
    { connection, prefix, concurrency: 1, removeOnComplete: { count: 0 } },
  ),
  redact,
  complain(`worker on queue ${name}`),
);
await worker.waitUntilReady();
process.stdout.write('ready\n');
const stop = async () => {
  // A worker blocked on a connection that is gone never finishes closing: exit regardless.
  setTimeout(() => process.exit(0), 2000).unref();
  await worker.close();
  await forward?.close();
  connection.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
