/**
 * The scanner service: reads what it can. It imports the scanner stage and nothing of
 * the world: no keys, no ledger (a test walks this file's imports to make sure).
 */
import { scanBatch, scannerContext, type ScannerContext } from '@blindspot/core/scanner';
import { QUEUES, SmallCache, decodeScanJob, encodeScanResult, jobId, loadRun, type ServiceContext } from '@blindspot/pipeline/bullmq';

export function bindScanner(ctx: ServiceContext): void {
  const contexts = new SmallCache<ScannerContext>();
  ctx.work(QUEUES.scan, async (job) => {
    const batch = decodeScanJob(job);
    const scanner = await contexts.get(batch.run, async () => scannerContext((await loadRun(ctx.redis, ctx.keys(batch.run), ctx.auth)).scenario));
    const result = scanBatch(scanner, batch);
    ctx.metrics.messages.inc({ stage: 'scanner' }, result.counts.messages);
    ctx.log.debug(
      {
        run: batch.run,
        stage: 'scanner',
        batch: batch.seq,
        count: result.counts.messages,
        scanned: result.counts.scanned,
        detections: result.detections.length,
      },
      'batch scanned',
    );
    await ctx.queues.send(QUEUES.report, 'scan', encodeScanResult(result), jobId(batch.run, 'scan', batch.seq), ctx.keys(batch.run).partition);
  });
}
