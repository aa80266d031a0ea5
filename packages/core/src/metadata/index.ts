/**
 * The metadata pattern detector: the behavioural side. It sees envelopes, blocks and
 * user reports, never payloads, so encryption does not blind it. It runs every rule of
 * the registry (metadata/rules), each over a sliding window in simulated time and each
 * with its thresholds in the scenario (`detection.metadata.<rule>`).
 *
 * A rule fires at most once per window length per account; its evidence is the measure
 * as a multiple of the threshold. User reports are passed on to the reporter, which
 * verifies them.
 *
 * State is per account and must be applied in stream order (batch order; within a batch
 * by event id); the transports guarantee that. `metadataKeys` names the accounts a
 * batch touches so a transport can load just their state.
 */
import { checkStageHandles, routeOfKind } from '../routes';
import type { Scenario } from '../scenario';
import type { Detection, Envelope, EnvelopeBatch, MetadataResult } from '../types';
import { HOUR } from '../types';
import { METADATA_RULE_REGISTRY, type MetadataRule, type MetadataRuleModule, type RuleSettings } from './rules';
import { enter, leaveBefore, measure, openWindow, type SlidingWindow } from './window';

export interface AccountWindows {
  /** Each rule's window: the events it counts, or for a distinct count the (time, account) pairs. */
  windows: Partial<Record<MetadataRule, SlidingWindow>>;
  /** Time each rule last fired. */
  fired: Partial<Record<MetadataRule, number>>;
}

/**
 * Every account's windows: a Map of the accounts a batch touches where a transport loads
 * them per batch, a LargeMap of all of them where one process keeps a whole run's (so
 * that no Map's 2^24 entries bound the accounts).
 */
export interface MetadataState extends Iterable<[number, AccountWindows]> {
  get(account: number): AccountWindows | undefined;
  set(account: number, windows: AccountWindows): unknown;
}

checkStageHandles('metadata-detector', ['pattern']);
const ROUTE = routeOfKind('pattern');

/** A registered rule with its settings in a scenario. */
interface ActiveRule {
  rule: MetadataRuleModule;
  name: MetadataRule;
  settings: RuleSettings;
}

/** The rules that run under a scenario, by what they count. */
function activeRules(scenario: Scenario): { envelope: ActiveRule[]; complaint: ActiveRule[] } {
  const block = scenario.detection.metadata as unknown as { enabled: boolean } & Record<string, RuleSettings>;
  const active = { envelope: [] as ActiveRule[], complaint: [] as ActiveRule[] };
  if (!block.enabled) return active;
  for (const rule of METADATA_RULE_REGISTRY as readonly MetadataRuleModule[]) {
    const settings = block[rule.name] as RuleSettings;
    if (settings.enabled) active[rule.trigger.on].push({ rule, name: rule.name as MetadataRule, settings });
  }
  return active;
}

const counts = (r: ActiveRule, e: Envelope) => r.rule.trigger.on === 'envelope' && r.rule.trigger.counts(r.settings, e);

/** Accounts whose state this batch reads or writes, in ascending order. */
export function metadataKeys(scenario: Scenario, batch: EnvelopeBatch): number[] {
  const rules = activeRules(scenario);
  const keys = new Set<number>();
  for (const e of batch.envelopes) if (rules.envelope.some((r) => counts(r, e))) keys.add(e.sender);
  if (rules.complaint.length > 0) {
    for (const r of batch.reports) keys.add(r.reported);
    for (const b of batch.blocks) keys.add(b.blocked);
  }
  return [...keys].sort((a, b) => a - b);
}

function windowsOf(state: MetadataState, account: number): AccountWindows {
  let w = state.get(account);
  if (!w) {
    w = { windows: {}, fired: {} };
    state.set(account, w);
  }
  return w;
}

export function applyMetadata(scenario: Scenario, state: MetadataState, batch: EnvelopeBatch): MetadataResult {
  const rules = activeRules(scenario);
  const detections: Detection[] = [];

  /** Records one event in a rule's window and fires the rule when its measure reaches the threshold. */
  const observe = (w: AccountWindows, r: ActiveRule, other: number, base: Omit<Detection, 'route' | 'evidence' | 'rule'>) => {
    const { rule, name, settings } = r;
    const window = (w.windows[name] ??= openWindow(rule.measure === 'accounts'));
    enter(window, base.t, other);
    leaveBefore(window, base.t - settings.windowHours * HOUR);
    const measured = measure(window);
    const threshold = rule.threshold(settings);
    const last = w.fired[name];
    if (measured < threshold || (last !== undefined && base.t - last < settings.windowHours * HOUR)) return;
    w.fired[name] = base.t;
    detections.push({ route: ROUTE, rule: name, evidence: measured / threshold, ...base });
  };

  // Envelopes, reports and blocks in stream order (event ids).
  type Item = { id: number; apply: () => void };
  const items: Item[] = [];
  for (const e of batch.envelopes) {
    // Most envelopes concern no rule: no list for them.
    let applying: ActiveRule[] | undefined;
    for (const r of rules.envelope) if (counts(r, e)) (applying ??= []).push(r);
    if (!applying) continue;
    const apply = applying;
    items.push({
      id: e.id,
      apply: () => {
        const w = windowsOf(state, e.sender);
        const base = { account: e.sender, t: e.t, messageId: e.id, event: e.id };
        for (const r of apply) observe(w, r, e.recipient, base);
      },
    });
  }
  if (rules.complaint.length > 0) {
    const complaint = (id: number, t: number, account: number, from: number) => ({
      id,
      apply: () => {
        const w = windowsOf(state, account);
        for (const r of rules.complaint) observe(w, r, from, { account, t, messageId: -1, event: id });
      },
    });
    for (const rep of batch.reports) items.push(complaint(rep.id, rep.t, rep.reported, rep.reporter));
    for (const b of batch.blocks) items.push(complaint(b.id, b.t, b.blocked, b.blocker));
  }
  items.sort((a, b) => a.id - b.id);
  for (const item of items) item.apply();
  return { run: batch.run, seq: batch.seq, final: batch.final, detections, reports: batch.reports };
}
