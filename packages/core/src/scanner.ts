/**
 * The scanner: the content side of the platform. It reads what it can. Readable
 * payloads are decoded and their images matched against the hash bank; encrypted
 * payloads are counted as unscannable. It holds no keys and no ground truth: it
 * imports neither the world nor the ledger.
 */
import type { Scenario } from './scenario';
import type { Detection, ScanBatch, ScanResult } from './types';
import { buildBank, matchBank, type HashBank } from './hash';
import { decodeContent, ContentError } from './content';

export interface ScannerContext {
  readonly bank: HashBank;
  readonly matchDistance: number;
}

/** The scanner's view of a scenario: the bank (the platform's list) and the threshold. */
export function scannerContext(scenario: Scenario): ScannerContext {
  return {
    bank: buildBank(scenario.seed, scenario.detection.hashBank.size),
    matchDistance: scenario.detection.matchDistance,
  };
}

export function scanBatch(ctx: ScannerContext, batch: ScanBatch): ScanResult {
  const detections: Detection[] = [];
  const counts = { messages: 0, encrypted: 0, scanned: 0, unscannable: 0, deadLettered: 0 };
  for (const { envelope, payload } of batch.messages) {
    counts.messages++;
    if (envelope.encrypted) {
      // Ciphertext: nothing to hash. This is the whole point.
      counts.encrypted++;
      counts.unscannable++;
      continue;
    }
    let content;
    try {
      content = decodeContent(payload);
    } catch (err) {
      if (!(err instanceof ContentError)) throw err;
      counts.unscannable++;
      continue;
    }
    counts.scanned++;
    if (content.media !== 'image') continue;
    const match = matchBank(ctx.bank, content.hash, ctx.matchDistance);
    if (match) {
      detections.push({ route: 'hashMatch', account: envelope.sender, t: envelope.t, messageId: envelope.id, evidence: content.look });
    }
  }
  return { run: batch.run, seq: batch.seq, final: batch.final, detections, counts };
}
