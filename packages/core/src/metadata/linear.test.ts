import { describe, expect, it } from 'vitest';
import { testScenario } from '../testing';
import type { Scenario } from '../scenario';
import { applyMetadata, type MetadataState } from '.';
import { DAY, type EnvelopeBatch } from '../types';
import { METADATA_RULES, type MetadataRule } from './rules';

/**
 * Each rule's cost per event must not grow with an account's traffic. One account sends
 * (or receives complaints) at two rates over the same span of simulated time, so its
 * windows hold eight times as much at the larger size: a rule that recounts its window
 * on every event takes eight times as long per event there; an incremental one, about
 * the same.
 */
const SMALL = 5_000;
const LARGE = 40_000;
const SPAN = 10 * DAY;
const ACCOUNT = 7;

function scenario(rule: MetadataRule) {
  const metadata = Object.fromEntries(METADATA_RULES.map((r) => [r, { enabled: r === rule }]));
  return testScenario({ seed: 1, durationDays: 10, population: { adults: 50, minors: 50 }, detection: { metadata } });
}

/** Events per batch, as the generator cuts the stream (the default --batch-size). */
const BATCH = 1000;

/**
 * `n` events over SPAN that `rule` counts, all from (or against) one account, from 500
 * others in turn; in batches of BATCH, so only the account's windows grow with `n`.
 */
function traffic(rule: MetadataRule, n: number): EnvelopeBatch[] {
  const batches: EnvelopeBatch[] = [];
  for (let i = 0; i < n; i++) {
    if (i % BATCH === 0) batches.push({ run: 'r', seq: batches.length, final: false, envelopes: [], reports: [], blocks: [] });
    const b = batches.at(-1) as EnvelopeBatch;
    const t = Math.floor((i * SPAN) / n);
    const other = 1000 + (i % 500);
    if (rule === 'blocksAndReports') b.blocks.push({ id: i, t, blocker: other, blocked: ACCOUNT });
    else
      b.envelopes.push({
        id: i,
        t,
        surface: 'dm',
        sender: ACCOUNT,
        recipient: other,
        media: 'image',
        size: 60,
        encrypted: true,
        senderMinor: false,
        recipientMinor: true,
        connected: false,
        senderAccountAgeDays: 1,
      });
  }
  return batches;
}

/**
 * CPU seconds per event of `repeat` runs over the stream, each from an empty state. CPU
 * time, not wall time: the other processes of a shared machine do not count; and runs of
 * both sizes do the same number of events, so each measurement is as long as the other.
 */
function perEvent(sc: Scenario, stream: EnvelopeBatch[], n: number, repeat: number): number {
  let fired = 0;
  const start = process.cpuUsage();
  for (let k = 0; k < repeat; k++) {
    const state: MetadataState = new Map();
    for (const batch of stream) fired += applyMetadata(sc, state, batch).detections.length;
  }
  const { user, system } = process.cpuUsage(start);
  // The premise: the rule ran and fired (once per window, over the span).
  expect(fired).toBeGreaterThan(repeat);
  return (user + system) / 1e6 / (n * repeat);
}

describe.each(METADATA_RULES)('applyMetadata: the %s rule costs the same per event at any traffic', (rule) => {
  it(`${SMALL} and ${LARGE} events from one account over ${SPAN / DAY} days: per-event time within 2.5x (a recount would give 8x)`, () => {
    const sc = scenario(rule);
    const small = traffic(rule, SMALL);
    const large = traffic(rule, LARGE);
    const repeat = LARGE / SMALL;
    perEvent(sc, small, SMALL, repeat);
    perEvent(sc, large, LARGE, 1);
    // Interleaved and best of several, so a busy moment hits both sizes alike.
    let bestSmall = Infinity;
    let bestLarge = Infinity;
    for (let k = 0; k < 5; k++) {
      bestSmall = Math.min(bestSmall, perEvent(sc, small, SMALL, repeat));
      bestLarge = Math.min(bestLarge, perEvent(sc, large, LARGE, 1));
    }
    expect(bestLarge / bestSmall).toBeLessThan(2.5);
  });
});
