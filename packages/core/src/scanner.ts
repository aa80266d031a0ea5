/**
 * The scanner: the content side of the platform. It reads what it can. Readable
 * images are matched against the hash bank and scored by the image classifier, readable
 * text by the grooming classifier, each on the surfaces the scenario enables it for;
 * encrypted payloads are counted as unscannable. Safety vouchers (client-side scanning)
 * go through the PSI step: the scanner learns the share of a voucher whose image
 * matched, and nothing else. It holds no keys and no ground truth: it imports neither
 * the world nor the ledger.
 */
import type { Scenario, SurfaceKey } from './scenario';
import type { Detection, ScanBatch, ScanResult, VoucherMatch } from './types';
import { platformBank, popularImages, type BankMatch, type HashBank } from './hash';
import { bankMatcher } from './hash-index';
import { decodeContent, ContentError } from './content';
import { VoucherServer, decodeVoucher, encodeShare, VoucherError } from './css';

export interface ScannerContext {
  readonly bank: HashBank;
  /** Finds the closest bank entry within a distance: brute force for small banks, a multi-index above. */
  readonly match: (hash: Uint8Array, maxDistance: number) => BankMatch | null;
  readonly vouchers: VoucherServer | null;
  readonly hash: { on: Set<SurfaceKey>; distance: number; minQuality: number };
  readonly image: { on: Set<SurfaceKey>; threshold: number };
  readonly text: { on: Set<SurfaceKey>; threshold: number };
}

/** The scanner's view of a scenario: the bank (the platform's list) and each route's settings. */
export function scannerContext(scenario: Scenario): ScannerContext {
  const d = scenario.detection;
  const popular = popularImages(scenario.seed, scenario.traffic.popularImages);
  const { bank } = platformBank(scenario.seed, d.hashBank.size, d.hashBank.wronglyListedShare, popular);
  const on = (r: { enabled: boolean; surfaces: SurfaceKey[] }) => new Set<SurfaceKey>(r.enabled ? r.surfaces : []);
  return {
    bank,
    match: bankMatcher(bank),
    vouchers: d.clientSideScanning.enabled ? new VoucherServer(bank) : null,
    hash: { on: on(d.hashMatching), distance: d.hashMatching.matchDistance, minQuality: d.hashMatching.minQuality },
    image: { on: on(d.imageClassifier), threshold: d.imageClassifier.threshold },
    text: { on: on(d.textClassifier), threshold: d.textClassifier.threshold },
  };
}

export function scanBatch(ctx: ScannerContext, batch: ScanBatch): ScanResult {
  const detections: Detection[] = [];
  const vouchers: VoucherMatch[] = [];
  const counts = { messages: 0, encrypted: 0, scanned: 0, unscannable: 0, deadLettered: 0, vouchers: 0, vouchersMatched: 0 };
  for (const { envelope: e, payload, voucher } of batch.messages) {
    counts.messages++;
    if (voucher && ctx.vouchers) {
      counts.vouchers++;
      let share = null;
      let inner: Uint8Array | null = null;
      try {
        const v = decodeVoucher(voucher);
        share = ctx.vouchers.open(v);
        inner = v.inner;
      } catch (err) {
        if (!(err instanceof VoucherError)) throw err;
      }
      if (share && inner) {
        counts.vouchersMatched++;
        vouchers.push({ account: e.sender, t: e.t, messageId: e.id, event: e.id, share: encodeShare(share), inner });
      }
    }
    if (e.encrypted) {
      // Ciphertext: nothing to hash or score. This is the whole point.
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
    const base = { account: e.sender, t: e.t, messageId: e.id, event: e.id, evidence: content.look };
    if (content.media === 'image') {
      if (ctx.hash.on.has(e.surface) && content.quality >= ctx.hash.minQuality && ctx.match(content.hash, ctx.hash.distance)) {
        detections.push({ route: 'hashMatch', ...base });
      }
      if (ctx.image.on.has(e.surface) && content.score >= ctx.image.threshold) detections.push({ route: 'imageClassifier', ...base });
    } else if (ctx.text.on.has(e.surface) && content.score >= ctx.text.threshold) {
      detections.push({ route: 'textClassifier', ...base });
    }
  }
  return { run: batch.run, seq: batch.seq, final: batch.final, detections, vouchers, counts };
}
