/**
 * The reporter service: merges the scanner's and the metadata detector's outputs per
 * batch, in batch order (an ordered stage with two inputs), runs review and filing,
 * and on the final batch joins with the ledger and writes the result document.
 */
import { applyReporter, initialReporterState, type ReporterState } from '@blindspot/core/reporter';
import { buildResult, type LedgerView } from '@blindspot/core/result';
import type { MetadataResult, ScanResult } from '@blindspot/core';
import { OrderedStage, SmallCache, QUEUES, loadRun, parseJob, reportJobSchema, type ServiceContext } from '@blindspot/pipeline/bullmq';

const STATE_KEY = 'reporter';

export function bindReporter(ctx: ServiceContext): void {
  const stages = new SmallCache<OrderedStage>();

  const stageFor = (run: string) =>
    stages.get(run, async () => {
      const keys = ctx.keys(run);
      const spec = await loadRun(ctx.redis, keys);
      return new OrderedStage(ctx.redis, keys, {
        name: 'reporter',
        sources: ['scan', 'metadata'],
        extraKey: keys.result,
        stateKeys: () => [STATE_KEY],
        apply: async (_seq, inputs, stored) => {
          const raw = stored.get(STATE_KEY);
          const state: ReporterState = raw ? (JSON.parse(raw) as ReporterState) : initialReporterState(spec.scenario);
          const { source: _s, ...scan } = parseJob(reportJobSchema, JSON.parse(inputs.scan as string), 'report');
          const { source: _m, ...meta } = parseJob(reportJobSchema, JSON.parse(inputs.metadata as string), 'report');
          applyReporter(spec.scenario, state, scan as ScanResult, meta as MetadataResult);
          let extra: string | undefined;
          if (state.done) {
            const ledgerJson = await ctx.redis.get(keys.ledger);
            if (ledgerJson === null) throw new Error(`run ${run}: final batch applied but no ledger was written`);
            const result = buildResult(spec.scenario, spec.file, state, JSON.parse(ledgerJson) as LedgerView, {
              transport: 'bullmq',
              wallSeconds: 0,
              messagesPerSecond: 0,
            });
            extra = JSON.stringify(result);
            ctx.log.info({ run, reports: result.reports.total }, 'run complete');
          }
          return { output: null, state: new Map([[STATE_KEY, JSON.stringify(state)]]), ...(extra ? { extra } : {}) };
        },
      });
    });

  ctx.work(QUEUES.report, async (job) => {
    const data = parseJob(reportJobSchema, job.data, 'report');
    const stage = await stageFor(data.run);
    await stage.offer(data.seq, data.source, JSON.stringify(data));
  });
}
