/**
 * The metadata pattern detector service: envelopes and user reports only. Its sliding
 * windows are per-sender state applied in batch order through an ordered stage, so any
 * number of replicas and any redelivery give the same detections.
 */
import { applyMetadata, metadataKeys, type AccountWindows } from '@blindspot/core/metadata';
import type { EnvelopeBatch } from '@blindspot/core';
import {
  OrderedStage,
  QUEUES,
  SmallCache,
  decodeMetadataJob,
  encodeMetadataResult,
  jobId,
  loadRun,
  metadataJobSchema,
  parseJob,
  type ServiceContext,
} from '@blindspot/pipeline/bullmq';

export function bindMetadataDetector(ctx: ServiceContext): void {
  const report = ctx.queues.get(QUEUES.report);
  const stages = new SmallCache<OrderedStage>();

  const stageFor = (run: string) =>
    stages.get(run, async () => {
      const keys = ctx.keys(run);
      const { scenario } = await loadRun(ctx.redis, keys);
      // The inbox holds the job as JSON; decode once per sequence number.
      let last: { raw: string; batch: EnvelopeBatch } | undefined;
      const decode = (raw: string) => {
        if (last?.raw !== raw) last = { raw, batch: decodeMetadataJob(parseJob(metadataJobSchema, JSON.parse(raw), 'metadata')) };
        return last.batch;
      };
      return new OrderedStage(ctx.redis, keys, {
        name: 'metadata',
        sources: ['envelopes'],
        stateKeys: (_seq, inputs) => metadataKeys(scenario, decode(inputs.envelopes as string)).map(String),
        apply: (_seq, inputs, stored) => {
          const batch = decode(inputs.envelopes as string);
          const state = new Map<number, AccountWindows>();
          for (const [k, v] of stored) if (v !== undefined) state.set(Number(k), JSON.parse(v) as AccountWindows);
          const result = applyMetadata(scenario, state, batch);
          ctx.log.debug({ run, stage: 'metadata', batch: batch.seq, count: batch.envelopes.length, detections: result.detections.length }, 'batch applied');
          const writes = new Map<string, string | undefined>();
          for (const [k, v] of state) writes.set(String(k), JSON.stringify(v));
          const onCommit = () => ctx.metrics.messages.inc({ stage: 'metadata' }, batch.envelopes.length);
          return { output: JSON.stringify(encodeMetadataResult(result)), state: writes, onCommit };
        },
        emit: async (seq, output) => {
          await report.add('metadata', JSON.parse(output), { jobId: jobId(run, 'metadata', seq) });
        },
      });
    });

  ctx.work(QUEUES.metadata, async (job) => {
    const data = parseJob(metadataJobSchema, job.data, 'metadata');
    const stage = await stageFor(data.run);
    await stage.offer(data.seq, 'envelopes', JSON.stringify(data));
  });
}
