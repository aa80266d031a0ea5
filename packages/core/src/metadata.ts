/**
 * The metadata pattern detector: the behavioural side. It sees envelopes, blocks and
 * user reports, never payloads, so encryption does not blind it. Rules, each over a
 * sliding window in simulated time and each with its thresholds in the scenario:
 *
 *   unconnectedMinors  an adult DMs at least K distinct minors they are not connected to
 *   newAccountBurst    a young account sends at least N messages
 *   imagesToMinors     an adult sends at least N images to minors they are not connected to
 *   blocksAndReports   an account is blocked or reported by at least N distinct accounts
 *
 * A rule fires at most once per window length per account; its evidence is the count as
 * a multiple of the threshold. User reports are passed on to the reporter, which
 * verifies them.
 *
 * State is per account and must be applied in stream order (batch order; within a batch
 * by event id); the transports guarantee that. `metadataKeys` names the accounts a
 * batch touches so a transport can load just their state.
 */
import type { Scenario } from './scenario';
import type { Detection, EnvelopeBatch, Envelope, MetadataResult, MetadataRule } from './types';
import { HOUR } from './types';

export interface AccountWindows {
  /** Flattened (time, minor) pairs: DMs to unconnected minors. */
  minors: number[];
  /** Send times while the account is young. */
  sends: number[];
  /** Times of images sent to unconnected minors. */
  images: number[];
  /** Flattened (time, account) pairs: blocks and reports received. */
  complaints: number[];
  /** Time each rule last fired. */
  fired: Partial<Record<MetadataRule, number>>;
}

export type MetadataState = Map<number, AccountWindows>;

type Rules = Scenario['detection']['metadata'];

const toMinor = (e: Envelope) => e.surface === 'dm' && !e.senderMinor && e.recipientMinor && !e.connected;

function touches(rules: Rules, e: Envelope): boolean {
  if (!rules.enabled) return false;
  return (
    ((rules.unconnectedMinors.enabled || rules.imagesToMinors.enabled) && toMinor(e)) ||
    (rules.newAccountBurst.enabled && e.senderAccountAgeDays < rules.newAccountBurst.maxAccountAgeDays)
  );
}

/** Accounts whose state this batch reads or writes, in ascending order. */
export function metadataKeys(scenario: Scenario, batch: EnvelopeBatch): number[] {
  const rules = scenario.detection.metadata;
  const keys = new Set<number>();
  for (const e of batch.envelopes) if (touches(rules, e)) keys.add(e.sender);
  if (rules.enabled && rules.blocksAndReports.enabled) {
    for (const r of batch.reports) keys.add(r.reported);
    for (const b of batch.blocks) keys.add(b.blocked);
  }
  return [...keys].sort((a, b) => a - b);
}

function windowsOf(state: MetadataState, account: number): AccountWindows {
  let w = state.get(account);
  if (!w) {
    w = { minors: [], sends: [], images: [], complaints: [], fired: {} };
    state.set(account, w);
  }
  return w;
}

/** Drops entries older than `since` from a flattened list of records `stride` long. */
function prune(list: number[], since: number, stride: number): void {
  let drop = 0;
  while (drop < list.length && (list[drop] as number) < since) drop += stride;
  if (drop > 0) list.splice(0, drop);
}

function distinct(list: number[]): number {
  const seen = new Set<number>();
  for (let i = 1; i < list.length; i += 2) seen.add(list[i] as number);
  return seen.size;
}

export function applyMetadata(scenario: Scenario, state: MetadataState, batch: EnvelopeBatch): MetadataResult {
  const rules = scenario.detection.metadata;
  const detections: Detection[] = [];
  const fire = (
    w: AccountWindows,
    rule: MetadataRule,
    count: number,
    threshold: number,
    windowHours: number,
    base: Omit<Detection, 'route' | 'evidence' | 'rule'>,
  ) => {
    const last = w.fired[rule];
    if (count < threshold || (last !== undefined && base.t - last < windowHours * HOUR)) return;
    w.fired[rule] = base.t;
    detections.push({ route: 'metadata', rule, evidence: count / threshold, ...base });
  };

  // Envelopes, reports and blocks in stream order (event ids).
  type Item = { id: number; apply: () => void };
  const items: Item[] = [];
  if (rules.enabled) {
    for (const e of batch.envelopes) {
      if (!touches(rules, e)) continue;
      items.push({
        id: e.id,
        apply: () => {
          const w = windowsOf(state, e.sender);
          const base = { account: e.sender, t: e.t, messageId: e.id, event: e.id };
          if (toMinor(e) && rules.unconnectedMinors.enabled) {
            const r = rules.unconnectedMinors;
            w.minors.push(e.t, e.recipient);
            prune(w.minors, e.t - r.windowHours * HOUR, 2);
            fire(w, 'unconnectedMinors', distinct(w.minors), r.minMinors, r.windowHours, base);
          }
          if (toMinor(e) && e.media === 'image' && rules.imagesToMinors.enabled) {
            const r = rules.imagesToMinors;
            w.images.push(e.t);
            prune(w.images, e.t - r.windowHours * HOUR, 1);
            fire(w, 'imagesToMinors', w.images.length, r.minImages, r.windowHours, base);
          }
          const burst = rules.newAccountBurst;
          if (burst.enabled && e.senderAccountAgeDays < burst.maxAccountAgeDays) {
            w.sends.push(e.t);
            prune(w.sends, e.t - burst.windowHours * HOUR, 1);
            fire(w, 'newAccountBurst', w.sends.length, burst.minMessages, burst.windowHours, base);
          }
        },
      });
    }
    if (rules.blocksAndReports.enabled) {
      const r = rules.blocksAndReports;
      const complaint = (id: number, t: number, account: number, from: number, messageId: number) => ({
        id,
        apply: () => {
          const w = windowsOf(state, account);
          w.complaints.push(t, from);
          prune(w.complaints, t - r.windowHours * HOUR, 2);
          fire(w, 'blocksAndReports', distinct(w.complaints), r.minAccounts, r.windowHours, { account, t, messageId, event: id });
        },
      });
      for (const rep of batch.reports) items.push(complaint(rep.id, rep.t, rep.reported, rep.reporter, -1));
      for (const b of batch.blocks) items.push(complaint(b.id, b.t, b.blocked, b.blocker, -1));
    }
  }
  items.sort((a, b) => a.id - b.id);
  for (const item of items) item.apply();
  return { run: batch.run, seq: batch.seq, final: batch.final, detections, reports: batch.reports };
}
