/** The generator's two outputs for one batch: full messages for the scanner; envelopes, reports and blocks for the metadata detector. */
import type { Batch, Envelope, EnvelopeBatch, ScanBatch } from './types';

export function scanBatchOf(batch: Batch): ScanBatch {
  return { run: batch.run, seq: batch.seq, final: batch.final, messages: batch.messages };
}

/** Works on sealed and unsealed batches alike: only envelopes leave. */
export function envelopeBatchOf(batch: Omit<Batch, 'messages'> & { messages: readonly { envelope: Envelope }[] }): EnvelopeBatch {
  return {
    run: batch.run,
    seq: batch.seq,
    final: batch.final,
    envelopes: batch.messages.map((m) => m.envelope),
    reports: batch.reports,
    blocks: batch.blocks,
  };
}
