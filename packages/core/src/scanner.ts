/**
 * The scanner: the content side of the platform. It reads what it can: every readable
 * item goes through the check of each content route of the registry (hash matching,
 * classifiers) on the surfaces the scenario enables it for; encrypted payloads are
 * counted as unscannable. Safety vouchers (client-side scanning) go through the PSI
 * step: the scanner learns the share of a voucher whose image matched, and nothing
 * else. It holds no keys and no ground truth: it imports neither the world nor the
 * ledger. A batch is scanned in two passes: the readable items are decoded first, then
 * each route checks all of its items at once (hash matching sends the batch's queries to
 * the bank in one call), and the detections are listed per message in batch order,
 * routes in registry order.
 */
import type { Scenario } from './scenario';
import type { Content, Detection, ScanBatch, ScanResult, VoucherMatch } from './types';
import type { Media, Surface } from './vocabulary';
import { checkStageHandles, routesOf, routeSettings, type Route, type Verdict } from './routes';
import { platformBank, popularImages, type HashBank } from './hash';
import { bankMatcher, type BankMatcher } from './bank-match';
import { decodeContent, ContentError } from './content';
import { VoucherServer, decodeVoucher, encodeShare, VoucherError } from './css';

/** One content route's check, as the scenario sets it. */
export interface ContentCheck {
  route: Route;
  media: Media;
  on: Set<Surface>;
  /** Whether each of a batch's items (of its media, on its surfaces, in batch order) is flagged, and for a bank match the entry. */
  test: (contents: readonly Content[]) => readonly Verdict[];
}

export interface ScannerContext {
  readonly bank: HashBank;
  /** Finds the closest bank entries within a distance, a batch at a time: brute force for small banks, a multi-index above. */
  readonly matcher: BankMatcher;
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
  const matcher = bankMatcher(bank);
  const checks: ContentCheck[] = [];
  let vouchers: VoucherServer | null = null;
  for (const { route, module, detect } of routesOf('scanner')) {
    const settings = routeSettings(d, module);
    if (detect.kind === 'content') {
      checks.push({ route, media: detect.media, on: new Set(detect.surfaces(settings)), test: detect.prepare(settings, matcher) });
    } else if (detect.kind === 'voucher') {
      if (detect.enabled(settings)) vouchers ??= new VoucherServer(bank);
    }
  }
  return { bank, matcher, vouchers, checks };
}

export function scanBatch(ctx: ScannerContext, batch: ScanBatch): ScanResult {
  const detections: Detection[] = [];
  const vouchers: VoucherMatch[] = [];
  const counts = { messages: 0, encrypted: 0, scanned: 0, unscannable: 0, deadLettered: 0, vouchers: 0, vouchersMatched: 0 };
  // The readable items, in batch order, and per check the items it runs on.
  const readable: { envelope: ScanBatch['messages'][number]['envelope']; content: Content }[] = [];
  const runs: number[][] = ctx.checks.map(() => []);
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
    ctx.checks.forEach((check, k) => {
      if (check.media === content.media && check.on.has(e.surface)) (runs[k] as number[]).push(readable.length);
    });
    readable.push({ envelope: e, content });
  }
  // Each check over all of its items at once; flags[k][i]: check k flagged readable item i.
  const flags = ctx.checks.map((check, k) => {
    const items = runs[k] as number[];
    const flagged = new Uint8Array(readable.length);
    const verdicts = items.length ? check.test(items.map((i) => (readable[i] as (typeof readable)[number]).content)) : [];
    if (verdicts.length !== items.length) throw new Error(`route "${check.route}": its check gave ${verdicts.length} verdicts for ${items.length} items`);
    const entries = new Map<number, number>();
    items.forEach((i, j) => {
      const v = verdicts[j];
      if (!v) return;
      flagged[i] = 1;
      if (typeof v === 'object') entries.set(i, v.bankEntry);
    });
    return { flagged, entries };
  });
  readable.forEach(({ envelope: e, content }, i) => {
    const base = { account: e.sender, t: e.t, messageId: e.id, event: e.id, evidence: content.look };
    ctx.checks.forEach((check, k) => {
      const f = flags[k] as (typeof flags)[number];
      if (!f.flagged[i]) return;
      const bankEntry = f.entries.get(i);
      detections.push(bankEntry === undefined ? { route: check.route, ...base } : { route: check.route, ...base, bankEntry });
    });
  });
  return { run: batch.run, seq: batch.seq, final: batch.final, detections, vouchers, counts };
}
