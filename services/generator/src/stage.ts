/**
 * The generator service: plays the platform's users and clients (and the delivery relay
 * that countersigns franking commitments) for each submitted run, and feeds the scanner
 * and the metadata detector, in batch order, with backpressure. It alone holds the
 * clients' secret and ground truth (the ledger).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { envelopeBatchOf } from '@blindspot/core';
import { WorldGenerator, CLIENT_SECRET_BYTES, type UnsealedBatch } from '@blindspot/core/world';
import { SealPool } from '@blindspot/pipeline/seal-pool';
import {
  QUEUES,
  RUN_KEY_TTL_SECONDS,
  encodeMetadataJob,
  enteredField,
  jobId,
  loadRun,
  scanJobOfEncoded,
  type Queue,
  type ServiceContext,
} from '@blindspot/pipeline/bullmq';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits while any downstream queue holds more than `highWater` waiting jobs (or until stopping). */
async function backpressure(queues: readonly Queue[], highWater: number, stopping: AbortSignal): Promise<void> {
  while (!stopping.aborted) {
    const waiting = await Promise.all(queues.map((q) => q.getWaitingCount()));
    if (waiting.every((n) => n <= highWater)) return;
    await sleep(25);
  }
}

/** A run's secret: created once (first generator to start the run), then read back by any restart. */
async function runSecret(redis: ServiceContext['redis'], key: string, bytes: number): Promise<Uint8Array> {
  await redis.set(key, randomBytes(bytes).toString('base64'), 'EX', RUN_KEY_TTL_SECONDS, 'NX');
  const stored = await redis.get(key);
  if (!stored) throw new Error(`run secret ${key} vanished`);
  return new Uint8Array(Buffer.from(stored, 'base64'));
}

/**
 * A run takes the generator a long time: it takes a second job meanwhile, so another
 * run, or a malformed job to refuse, does not wait for this one to end.
 */
const GENERATE_CONCURRENCY = (ctx: ServiceContext) => Math.max(2, ctx.config.WORKER_CONCURRENCY);

export function bindGenerator(ctx: ServiceContext): void {
  const scan = ctx.queues.get(QUEUES.scan);
  const metadata = ctx.queues.get(QUEUES.metadata);
  ctx.work(
    QUEUES.generate,
    async ({ run }, job, token) => {
      const keys = ctx.keys(run);
      let spec;
      try {
        spec = await loadRun(ctx.redis, keys, ctx.auth);
      } catch (err) {
        await ctx.failRun(run, (err as Error).message);
        throw err;
      }
      const platformKey = await runSecret(ctx.redis, keys.platformKey, 32);
      const clientSecret = await runSecret(ctx.redis, keys.clientSecret, CLIENT_SECRET_BYTES);
      const done = Number((await ctx.redis.get(keys.generated)) ?? '-1');
      const generator = new WorldGenerator(spec.scenario, { run, batchSize: spec.batchSize, platformKey, clientSecret });
      ctx.log.info({ run, resumeAfter: done }, 'generating');

      const publish = async (batch: UnsealedBatch, sealed: Uint8Array) => {
        if (batch.final) await ctx.redis.set(keys.ledger, JSON.stringify(generator.ledger), 'EX', RUN_KEY_TTL_SECONDS);
        await backpressure([scan, metadata], ctx.config.GENERATOR_HIGH_WATER, ctx.stopping);
        // Shutting down: hand the run back; whichever generator takes it resumes here.
        if (ctx.stopping.aborted) await ctx.release(job, token);
        await Promise.all([
          ctx.queues.send(QUEUES.scan, 'batch', scanJobOfEncoded(batch, sealed), jobId(run, 'scan-in', batch.seq)),
          ctx.queues.send(QUEUES.metadata, 'batch', encodeMetadataJob(envelopeBatchOf(batch)), jobId(run, 'metadata-in', batch.seq)),
        ]);
        ctx.metrics.messages.inc({ stage: 'generator' }, batch.messages.length);
        ctx.log.debug(
          { run, stage: 'generator', batch: batch.seq, count: batch.messages.length, userReports: batch.reports.length, blocks: batch.blocks.length },
          'batch published',
        );
        const last = batch.messages[batch.messages.length - 1];
        await ctx.redis
          .multi()
          .set(keys.generated, String(batch.seq), 'EX', RUN_KEY_TTL_SECONDS)
          // Wall-clock time each batch entered the pipeline, for latency measurements (load).
          .hset(keys.timeline, enteredField(batch.seq), String(Date.now()))
          .expire(keys.timeline, RUN_KEY_TTL_SECONDS)
          // For progress displays: how far the run has got in simulated time.
          .set(
            keys.progress,
            JSON.stringify({ day: last ? Math.floor(last.envelope.t / 86_400) : 0, messages: generator.ledger.messages }),
            'EX',
            RUN_KEY_TTL_SECONDS,
          )
          .exec();
        if (batch.final) ctx.log.info({ run, batches: batch.seq + 1, messageCount: generator.ledger.messages }, 'generated');
      };

      // The world runs here, in stream order; franking and encryption run on sealing
      // threads a few batches ahead; batches are published in order.
      const sealers = ctx.config.GENERATOR_SEALERS || Math.max(1, availableParallelism() - 1);
      const pool = new SealPool(sealers, { clientSecret, franking: spec.scenario.detection.userReports.franking });
      // After a crash the run is regenerated deterministically; batches already enqueued
      // are skipped (and their job ids would make re-adding harmless anyway).
      function* notYetEnqueued() {
        for (const batch of generator.unsealedBatches()) if (batch.seq > done) yield batch;
      }
      try {
        await pool.inOrder(notYetEnqueued(), (batch) => pool.seal(batch.messages), publish);
      } finally {
        await pool.close();
      }
    },
    GENERATE_CONCURRENCY(ctx),
  );
}
