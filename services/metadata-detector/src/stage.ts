/**
 * The metadata pattern detector service: envelopes and user reports only. Its sliding
 * windows are per-sender state applied in batch order through an ordered stage, so any
 * number of replicas and any redelivery give the same detections.
 */
import { applyMetadata, metadataKeys, type AccountWindows } from '@blindspot/core/metadata';
import type { EnvelopeBatch } from '@blindspot/core';
import {
  METADATA_STATE,
  ORDERED_STAGES,
  OrderedStage,
  QUEUES,
  SmallCache,
  decodeMetadataJob,
  encodeMetadataResult,
  jobId,
  loadRun,
  type MetadataJob,
  type ReportJob,
  type ServiceContext,
} from '@blindspot/pipeline/bullmq';

/** A batch as it came (what the inbox holds) and decoded (what the detector reads). */
interface Envelopes {
  job: MetadataJob;
  batch: EnvelopeBatch;
}

const STAGE = ORDERED_STAGES.metadata;

export function bindMetadataDetector(ctx: ServiceContext): void {
  const stages = new SmallCache<OrderedStage<{ envelopes: Envelopes }, ReportJob>>();

  const stageFor = (run: string) =>
    stages.get(run, async () => {
      const keys = ctx.keys(run);
      const { scenario } = await loadRun(ctx.redis, keys, ctx.auth);
      return new OrderedStage<{ envelopes: Envelopes }, ReportJob>(ctx.redis, keys, {
        name: STAGE.name,
        sources: STAGE.sources,
        encode: (_source, { job }) => JSON.stringify(job),
        decode: (_source, raw) => {
          const job = JSON.parse(raw) as MetadataJob;
          return { job, batch: decodeMetadataJob(job) };
        },
        stateKeys: (_seq, { envelopes }) => metadataKeys(scenario, envelopes.batch).map(METADATA_STATE.field),
        apply: (_seq, { envelopes: { batch } }, stored) => {
          const state = new Map<number, AccountWindows>();
          for (const [k, v] of stored) if (v !== undefined) state.set(METADATA_STATE.account(k), JSON.parse(v) as AccountWindows);
          const result = applyMetadata(scenario, state, batch);
          ctx.log.debug({ run, stage: 'metadata', batch: batch.seq, count: batch.envelopes.length, detections: result.detections.length }, 'batch applied');
          const writes = new Map<string, string | undefined>();
          for (const [k, v] of state) writes.set(METADATA_STATE.field(k), JSON.stringify(v));
          const onCommit = () => ctx.metrics.messages.inc({ stage: 'metadata' }, batch.envelopes.length);
          return { output: encodeMetadataResult(result), state: writes, onCommit };
        },
        emit: async (seq, output) => {
          await ctx.queues.send(QUEUES.report, 'metadata', output, jobId(run, 'metadata', seq), keys.partition);
        },
      });
    });

  ctx.work(QUEUES.metadata, async (job) => {
    // Decoded here, at the boundary: a batch whose bytes are not envelopes is refused before it reaches the inbox.
    const batch = decodeMetadataJob(job);
    const stage = await stageFor(job.run);
    await stage.offer(job.seq, 'envelopes', { job, batch });
  });
}
