/**
 * A run split into generation groups gives, batch numbers merged, exactly the stream and
 * the ledger of one generator playing the whole world.
 */
import { describe, expect, it } from 'vitest';
import { newPlatformKey } from './franking';
import { testScenario } from './testing';
import type { Batch } from './types';
import { batchCount, batchLayout, groupOfSeq, groupShards, seqOf } from './layout';
import { mergeLedgers } from './world/ledger';
import { SHARDS } from './shards';
import { WorldGenerator, newClientSecret } from './world/index';

const scenario = testScenario({
  seed: 99,
  durationDays: 2,
  population: { adults: 300, minors: 100, offenders: { sharers: { count: 6 }, groomers: { count: 2 } } },
  traffic: { messagesPerUserPerDay: 6 },
  surfaces: { directMessages: { encryption: 'e2ee' } },
  detection: { userReports: { forgedPerDay: 8 } },
});
const platformKey = newPlatformKey();
const clientSecret = newClientSecret();

/** Every event of some batches in stream order, as comparable text (ids, times, accounts, sealed bytes). */
function events(batches: readonly Batch[]): string[] {
  return batches
    .flatMap((b) => [
      ...b.messages.map((m) => `m ${m.envelope.id} ${m.envelope.t} ${m.envelope.sender} ${m.envelope.recipient} ${Buffer.from(m.payload).toString('base64')}`),
      ...b.reports.map((r) => `r ${r.id} ${r.t} ${r.reported} ${r.messageId}`),
      ...b.blocks.map((x) => `b ${x.id} ${x.t} ${x.blocked}`),
    ])
    .sort((a, b) => Number(a.split(' ')[1]) - Number(b.split(' ')[1]));
}

describe('generation groups', () => {
  const whole = new WorldGenerator(scenario, { run: 'r', batchSize: 100, platformKey, clientSecret });
  const wholeBatches = [...whole.batches()];

  it.each([1, 2, 3, 7, SHARDS])('%i groups give the stream and the ledger of one generator', (groups) => {
    const layout = batchLayout(scenario, 40, groups);
    const hours = scenario.durationDays * 24;
    const batches: Batch[] = [];
    const parts = [];
    for (let g = 0; g < groups; g++) {
      const gen = new WorldGenerator(scenario, { run: 'r', batchSize: 40, platformKey, clientSecret, group: { layout, index: g } });
      const mine = [...gen.batches()];
      // A group makes its own batches only, in increasing order.
      expect(mine.map((b) => groupOfSeq(layout, b.seq))).toEqual(mine.map(() => g));
      expect(mine.map((b) => b.seq)).toEqual([...mine.map((b) => b.seq)].sort((a, b) => a - b));
      batches.push(...mine);
      parts.push(gen.ledgerPart());
    }
    batches.sort((a, b) => a.seq - b.seq);
    expect(batches.map((b) => b.seq)).toEqual(Array.from({ length: batchCount(layout, hours) }, (_, i) => i));
    expect(batches.filter((b) => b.final).map((b) => b.seq)).toEqual([batchCount(layout, hours) - 1]);
    // In seq order, ids only increase: the batches are the stream in its own order.
    const ids = batches.flatMap((b) =>
      [...b.messages.map((m) => m.envelope.id), ...b.reports.map((r) => r.id), ...b.blocks.map((x) => x.id)].sort((x, y) => x - y),
    );
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(events(batches)).toEqual(events(wholeBatches));
    expect(mergeLedgers(parts)).toEqual(whole.ledger);
  });

  it('cuts the shards into contiguous ranges covering each once, and numbers batches densely', () => {
    for (const groups of [1, 2, 3, 5, 64]) {
      const ranges = Array.from({ length: groups }, (_, g) => groupShards(g, groups));
      expect(ranges[0]?.[0]).toBe(0);
      expect(ranges.at(-1)?.[1]).toBe(SHARDS);
      for (let g = 1; g < groups; g++) expect(ranges[g]?.[0]).toBe(ranges[g - 1]?.[1]);
      const layout = { groups, parts: 3 };
      const seqs = [];
      for (let h = 0; h < 4; h++) for (let g = 0; g < groups; g++) for (let p = 0; p < 3; p++) seqs.push(seqOf(layout, h, g, p));
      expect(seqs).toEqual(Array.from({ length: 4 * groups * 3 }, (_, i) => i));
    }
    expect(() => batchLayout(scenario, 100, 0)).toThrow(/1 to 64/);
    expect(() => batchLayout(scenario, 100, 65)).toThrow(/1 to 64/);
  });
});
