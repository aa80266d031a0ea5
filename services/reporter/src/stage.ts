/**
 * The reporter service: merges the scanner's and the metadata detector's outputs per
 * batch, in batch order (an ordered stage with two inputs), verifies user reports, opens
 * client-side-scanning vouchers at the threshold, runs review and filing, and on the
 * final batch joins with the ledger and writes the result document.
 */
import { applyReporter, initialReporterState, type ReporterState } from '@blindspot/core/reporter';
import { buildResult, type LedgerView } from '@blindspot/core/result';
import {
  OrderedStage,
  SmallCache,
  QUEUES,
  decodeMetadataResult,
  decodeScanResult,
  loadRun,
  parseJob,
  reportJobSchema,
  type ServiceContext,
} from '@blindspot/pipeline/bullmq';

const STATE_KEY = 'reporter';
/** Messages detected in batch `seq`, kept under their own key: they only grow, and only the final join reads them. */
const detectedKey = (seq: number) => `detected:${seq}`;
/** When batch `seq` was applied (wall clock, ms). */
export const appliedKey = (seq: number) => `applied:${seq}`;

export function bindReporter(ctx: ServiceContext): void {
  const stages = new SmallCache<OrderedStage>();

  const stageFor = (run: string) =>
    stages.get(run, async () => {
      const keys = ctx.keys(run);
      const spec = await loadRun(ctx.redis, keys);
      let platformKey: Uint8Array | undefined;
      // stateKeys and apply read the same inputs for a sequence number: parse each once.
      let parsed = new Map<string, ReturnType<typeof parseInput>>();
      const parseInput = (raw: string) => parseJob(reportJobSchema, JSON.parse(raw), 'report');
      const parse = (raw: string) => {
        let job = parsed.get(raw);
        if (!job) {
          if (parsed.size >= 2) parsed = new Map();
          job = parseInput(raw);
          parsed.set(raw, job);
        }
        return job;
      };
      return new OrderedStage(ctx.redis, keys, {
        name: 'reporter',
        sources: ['scan', 'metadata'],
        extraKey: keys.result,
        appendKey: keys.police,
        stateKeys: (seq, inputs) => {
          const scan = parse(inputs.scan as string);
          // The final join needs every batch's detected messages.
          return scan.final ? [STATE_KEY, ...Array.from({ length: seq }, (_, i) => detectedKey(i))] : [STATE_KEY];
        },
        apply: async (seq, inputs, stored) => {
          if (!platformKey) {
            const key = await ctx.redis.get(keys.platformKey);
            if (!key) throw new Error(`run ${run}: no platform key stored under ${keys.platformKey}`);
            platformKey = new Uint8Array(Buffer.from(key, 'base64'));
          }
          const raw = stored.get(STATE_KEY);
          const state: ReporterState = raw ? (JSON.parse(raw) as ReporterState) : initialReporterState(spec.scenario);
          const scanJob = parse(inputs.scan as string);
          const metaJob = parse(inputs.metadata as string);
          if (scanJob.source !== 'scan' || metaJob.source !== 'metadata') throw new Error(`run ${run}: batch ${seq} inputs are mislabelled`);
          const filedBefore = new Set(Object.keys(state.tips));
          const detected = applyReporter({ scenario: spec.scenario, platformKey }, state, decodeScanResult(scanJob), decodeMetadataResult(metaJob));
          // Reports filed by this batch, for the police sink: what the police receive
          // (account, routes, evidence, times), never ground truth.
          const newTips = Object.entries(state.tips)
            .filter(([account]) => !filedBefore.has(account))
            .map(([, tip]) => tip);
          const filed = newTips.map((tip) => JSON.stringify({ run, ...tip }));
          const onCommit = () => {
            ctx.metrics.messages.inc({ stage: 'reporter' }, scanJob.source === 'scan' ? scanJob.counts.messages : 0);
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
          let extra: string | undefined;
          if (state.done) {
            const ledgerJson = await ctx.redis.get(keys.ledger);
            // Malformed jobs that named this run and were refused: they changed nothing else.
            state.messages.deadLettered += await ctx.redis.scard(keys.deadLettered);
            if (ledgerJson === null) throw new Error(`run ${run}: final batch applied but no ledger was written`);
            const all: number[] = [...detected];
            for (let i = 0; i < seq; i++) {
              const part = stored.get(detectedKey(i));
              if (part === undefined) throw new Error(`run ${run}: detections of batch ${i} are missing`);
              for (const id of JSON.parse(part) as number[]) all.push(id);
            }
            const result = buildResult(spec.scenario, spec.file, state, all, JSON.parse(ledgerJson) as LedgerView, {
              transport: 'bullmq',
              wallSeconds: 0,
              messagesPerSecond: 0,
            });
            extra = JSON.stringify(result);
            ctx.log.info({ run, reportsToPolice: result.reports.total }, 'run complete');
          }
          return { output: null, state: writes, append: filed, onCommit, ...(extra ? { extra } : {}) };
        },
      });
    });

  ctx.work(QUEUES.report, async (job) => {
    const data = parseJob(reportJobSchema, job.data, 'report');
    const stage = await stageFor(data.run);
    await stage.offer(data.seq, data.source, JSON.stringify(data));
  });
}
