/**
 * The scanner: the content side of the platform. It reads what it can: every readable
 * item goes through the check of each content route of the registry (hash matching,
 * classifiers) on the surfaces the scenario enables it for; encrypted payloads are
 * counted as unscannable. Safety vouchers (client-side scanning) go through the PSI
 * step: the scanner learns the share of a voucher whose image matched, and nothing
 * else. It holds no keys and no ground truth: it imports neither the world nor the
 * ledger.
 */
import type { Scenario } from './scenario';
import type { Content, Detection, ScanBatch, ScanResult, VoucherMatch } from './types';
import type { Media, Surface } from './vocabulary';
import { checkStageHandles, routesOf, routeSettings, type Route } from './routes';
import { platformBank, popularImages, type BankMatch, type HashBank } from './hash';
import { bankMatcher } from './hash-index';
import { decodeContent, ContentError } from './content';
import { VoucherServer, decodeVoucher, encodeShare, VoucherError } from './css';

/** One content route's check, as the scenario sets it. */
export interface ContentCheck {
  route: Route;
  media: Media;
  on: Set<Surface>;
  test: (content: Content) => boolean;
}

export interface ScannerContext {
  readonly bank: HashBank;
  /** Finds the closest bank entry within a distance: brute force for small banks, a multi-index above. */
  readonly match: (hash: Uint8Array, maxDistance: number) => BankMatch | null;
  readonly vouchers: VoucherServer | null;
  /** The content routes' checks, in registry order. */
  readonly checks: readonly ContentCheck[];
}

/** The scanner's view of a scenario: the bank (the platform's list) and each route's settings. */
export function scannerContext(scenario: Scenario): ScannerContext {
  checkStageHandles('scanner', ['content', 'voucher']);
  const d = scenario.detection;
  const popular = popularImages(scenario.seed, scenario.traffic.popularImages);
  const { bank } = platformBank(scenario.seed, d.hashBank.size, d.hashBank.wronglyListedShare, popular);
  const match = bankMatcher(bank);
  const checks: ContentCheck[] = [];
  let vouchers: VoucherServer | null = null;
  for (const { route, module, detect } of routesOf('scanner')) {
    const settings = routeSettings(d, module);
    if (detect.kind === 'content') {
      checks.push({ route, media: detect.media, on: new Set(detect.surfaces(settings)), test: detect.prepare(settings, match) });
    } else if (detect.kind === 'voucher') {
      if (detect.enabled(settings)) vouchers ??= new VoucherServer(bank);
    }
  }
  return { bank, match, vouchers, checks };
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
    let content: Content;
    try {
      content = decodeContent(payload);
    } catch (err) {
      if (!(err instanceof ContentError)) throw err;
      counts.unscannable++;
      continue;
    }
    counts.scanned++;
    const base = { account: e.sender, t: e.t, messageId: e.id, event: e.id, evidence: content.look };
    for (const check of ctx.checks) {
      if (check.media === content.media && check.on.has(e.surface) && check.test(content)) detections.push({ route: check.route, ...base });
    }
  }
  return { run: batch.run, seq: batch.seq, final: batch.final, detections, vouchers, counts };
}
