/**
 * The reporter service: merges the scanner's and the metadata detector's outputs per
 * batch, in batch order (an ordered stage with two inputs), verifies user reports, opens
 * client-side-scanning vouchers at the threshold, runs review and filing, and on the
 * final batch joins with the ledger and writes the result document.
 */
import { advanceReporter, applyReporter, closingsOf, initialReporterState, type ReporterState } from '@blindspot/core/reporter';
import { buildResult, type LedgerView } from '@blindspot/core/result';
import type { MetadataResult, ScanResult } from '@blindspot/core';
import { NumberList } from '@blindspot/core/tables';
import {
  ORDERED_STAGES,
  OrderedStage,
  QUEUES,
  REPORTER_STATE,
  SmallCache,
  decodeMetadataResult,
  decodeScanResult,
  loadRun,
  type ReportJob,
  type ServiceContext,
} from '@blindspot/pipeline/bullmq';

/** Each input as it came (what the inbox holds) and decoded (what the reporter reads). */
interface Inputs {
  scan: { job: Extract<ReportJob, { source: 'scan' }>; result: ScanResult };
  metadata: { job: Extract<ReportJob, { source: 'metadata' }>; result: MetadataResult };
}

const STAGE = ORDERED_STAGES.reporter;
const { state: STATE_KEY, detected: detectedKey, applied: appliedKey } = REPORTER_STATE;

export function bindReporter(ctx: ServiceContext): void {
  const stages = new SmallCache<OrderedStage<Inputs>>();

  const stageFor = (run: string) =>
    stages.get(run, async () => {
      const keys = ctx.keys(run);
      const spec = await loadRun(ctx.redis, keys, ctx.auth);
      let platformKey: Uint8Array | undefined;
      return new OrderedStage<Inputs>(ctx.redis, keys, {
        name: STAGE.name,
        sources: STAGE.sources,
        extraKey: keys.result,
        appendKey: keys.police,
        encode: (_source, { job }) => JSON.stringify(job),
        decode: (source, raw) => {
          const job = JSON.parse(raw) as ReportJob;
          const input = job.source === 'scan' ? { job, result: decodeScanResult(job) } : { job, result: decodeMetadataResult(job) };
          if (job.source !== source) throw new Error(`run ${run}: the reporter's inbox holds a ${job.source} result as its ${source} input`);
          return input as Inputs[typeof source];
        },
        stateKeys: (seq, { scan }) =>
          // The final join needs every batch's detected messages.
          scan.job.final ? [STATE_KEY, ...Array.from({ length: seq }, (_, i) => detectedKey(i))] : [STATE_KEY],
        apply: async (seq, { scan, metadata }, stored) => {
          if (!platformKey) {
            const key = await ctx.redis.get(keys.platformKey);
            if (!key) throw new Error(`run ${run}: no platform key stored under ${keys.platformKey}`);
            platformKey = new Uint8Array(Buffer.from(key, 'base64'));
          }
          const raw = stored.get(STATE_KEY);
          const state: ReporterState = raw ? (JSON.parse(raw) as ReporterState) : initialReporterState(spec.scenario);
          const filedBefore = new Set(Object.keys(state.tips));
          const reviewedBefore = state.day;
          const enforcing = spec.scenario.enforcement.banReported;
          // Enforcement: the days before this batch's are reviewed now (every batch before
          // it is applied), so that the generators learn their closings without waiting
          // for a detection on a later day.
          const hour = Math.floor(seq / (spec.layout.groups * spec.layout.parts));
          const detected = enforcing ? advanceReporter(spec.scenario, state, Math.floor(hour / 24)) : [];
          for (const id of applyReporter({ scenario: spec.scenario, platformKey }, state, scan.result, metadata.result)) detected.push(id);
          // Reports filed by this batch, for the police sink: what the police receive
          // (account, routes, evidence, times), never ground truth.
          const newTips = Object.entries(state.tips)
            .filter(([account]) => !filedBefore.has(account))
            .map(([, tip]) => tip);
          const filed = newTips.map((tip) => JSON.stringify({ run, ...tip }));
          const onCommit = () => {
            ctx.metrics.messages.inc({ stage: 'reporter' }, scan.result.counts.messages);
            ctx.metrics.reportsTotal.inc(newTips.length);
            for (const tip of newTips) if (tip.routes[0]) ctx.metrics.reportsFiled.inc({ route: tip.routes[0] });
          };
          ctx.log.debug(
            { run, stage: 'reporter', batch: seq, day: state.day, filed: filed.length, reportsSoFar: Object.keys(state.tips).length },
            'batch applied',
          );
          const writes = new Map<string, string | undefined>([
            [STATE_KEY, JSON.stringify(state)],
            [detectedKey(seq), JSON.stringify(detected)],
            // Wall-clock time the batch was applied, for latency figures (never part of a result).
            [appliedKey(seq), String(Date.now())],
          ]);
          // Each day reviewed by this batch: the accounts it closes, which the generators wait for.
          if (enforcing) {
            for (let d = reviewedBefore; d < state.day; d++) writes.set(REPORTER_STATE.closings(d), JSON.stringify(closingsOf(spec.scenario, state, d, d + 1)));
          }
          let extra: string | undefined;
          if (state.done) {
            const ledgerJson = await ctx.redis.get(keys.ledger);
            // Malformed jobs that named this run and were refused: they changed nothing else.
            state.messages.deadLettered += await ctx.redis.scard(keys.deadLettered);
            if (ledgerJson === null) throw new Error(`run ${run}: final batch applied but no ledger was written`);
            // A typed list: a large run may detect more messages than an array holds.
            const all = new NumberList();
            for (const id of detected) all.push(id);
            for (let i = 0; i < seq; i++) {
              const part = stored.get(detectedKey(i));
              if (part === undefined) throw new Error(`run ${run}: detections of batch ${i} are missing`);
              for (const id of JSON.parse(part) as number[]) all.push(id);
            }
            const result = buildResult(spec.scenario, spec.file, state, all.view(), JSON.parse(ledgerJson) as LedgerView, {
              transport: 'bullmq',
              wallSeconds: 0,
              messagesPerSecond: 0,
            });
            extra = ctx.auth.signResult(run, result);
            ctx.log.info({ run, reportsToPolice: result.reports.total }, 'run complete');
          }
          return { output: null, state: writes, append: filed, onCommit, ...(extra ? { extra } : {}) };
        },
      });
    });

  ctx.work(QUEUES.report, async (job) => {
    const stage = await stageFor(job.run);
    if (job.source === 'scan') await stage.offer(job.seq, 'scan', { job, result: decodeScanResult(job) });
    else await stage.offer(job.seq, 'metadata', { job, result: decodeMetadataResult(job) });
  });
}
