/** The generator's two outputs for one batch: full messages for the scanner; envelopes, reports and blocks for the metadata detector. */
import type { Batch, EnvelopeBatch, ScanBatch } from './types';

export function scanBatchOf(batch: Batch): ScanBatch {
  return { run: batch.run, seq: batch.seq, final: batch.final, messages: batch.messages };
}

export function envelopeBatchOf(batch: Batch): EnvelopeBatch {
  return {
    run: batch.run,
    seq: batch.seq,
    final: batch.final,
    envelopes: batch.messages.map((m) => m.envelope),
    reports: batch.reports,
    blocks: batch.blocks,
  };
}
