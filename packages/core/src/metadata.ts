/**
 * The metadata pattern detector: the behavioural side. It sees envelopes and user
 * reports, never payloads, so encryption does not blind it.
 *
 * Rule "unconnected minors": an adult who sends DMs to at least K distinct minors they
 * are not connected to within a sliding window of W simulated hours is flagged. It fires
 * at most once per window length per sender.
 *
 * State is per sender and must be applied in simulated-time order (batch order); the
 * transports guarantee that. `metadataKeys` names the senders a batch touches so a
 * transport can load just their state.
 */
import type { Scenario } from './scenario';
import type { Detection, EnvelopeBatch, Envelope, MetadataResult } from './types';
import { HOUR } from './types';
import { decodeContent, ContentError } from './content';

export interface SenderWindow {
  /** Flattened (time, minor) pairs inside the window, oldest first. */
  events: number[];
  /** Time the rule last fired for this sender, or -1. */
  lastFired: number;
}

export type MetadataState = Map<number, SenderWindow>;

function qualifies(e: Envelope): boolean {
  return e.surface === 'dm' && !e.senderMinor && e.recipientMinor && !e.connected;
}

/** Senders whose state this batch reads or writes, in ascending order. */
export function metadataKeys(batch: EnvelopeBatch): number[] {
  const keys = new Set<number>();
  for (const e of batch.envelopes) if (qualifies(e)) keys.add(e.sender);
  return [...keys].sort((a, b) => a - b);
}

export function applyMetadata(scenario: Scenario, state: MetadataState, batch: EnvelopeBatch): MetadataResult {
  const rule = scenario.detection.metadata.unconnectedMinors;
  const window = rule.windowHours * HOUR;
  const detections: Detection[] = [];
  for (const e of batch.envelopes) {
    if (!qualifies(e)) continue;
    let w = state.get(e.sender);
    if (!w) {
      w = { events: [], lastFired: -1 };
      state.set(e.sender, w);
    }
    w.events.push(e.t, e.recipient);
    let drop = 0;
    while (drop < w.events.length && (w.events[drop] as number) < e.t - window) drop += 2;
    if (drop > 0) w.events.splice(0, drop);
    const minors = new Set<number>();
    for (let i = 1; i < w.events.length; i += 2) minors.add(w.events[i] as number);
    if (minors.size >= rule.minMinors && (w.lastFired < 0 || e.t - w.lastFired >= window)) {
      w.lastFired = e.t;
      detections.push({ route: 'metadata', account: e.sender, t: e.t, messageId: e.id, evidence: minors.size });
    }
  }
  for (const r of batch.reports) {
    let look = 0;
    try {
      look = decodeContent(r.content).look;
    } catch (err) {
      if (!(err instanceof ContentError)) throw err;
    }
    detections.push({ route: 'userReport', account: r.reported, t: r.t, messageId: r.messageId, evidence: look });
  }
  return { run: batch.run, seq: batch.seq, final: batch.final, detections };
}
