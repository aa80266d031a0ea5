/**
 * A world of several platforms: each platform's run plays the whole world with the same
 * draws and keeps only its platform's events, so the runs' streams partition the
 * world's; offenders act on the platform they choose, and move to encrypted platforms
 * when displacement says so.
 */
import { describe, expect, it } from 'vitest';
import { newPlatformKey } from '../franking';
import { forPlatform, platformsOf, type Scenario, validateScenario } from '../scenario';
import { type ScenarioData, testScenario } from '../testing';
import type { Batch } from '../types';
import { WorldGenerator } from './generator';
import { newClientSecret } from './index';
import { Platforms } from './platforms';
import { buildPopulation } from './population';

const platformKey = newPlatformKey();
const clientSecret = newClientSecret();

const base: ScenarioData = {
  seed: 4242,
  durationDays: 3,
  population: {
    adults: 900,
    minors: 300,
    offenders: { sharers: { count: 12 }, producers: { count: 4 }, groomers: { count: 4 } },
    lookalikes: { mentors: { count: 3, minorsEach: 30 }, viralSharers: { perMillionPerDay: 2_000 } },
  },
  traffic: { messagesPerUserPerDay: 3 },
  detection: { userReports: { forgedPerDay: 2 } },
};

function play(s: Scenario): { batches: Batch[]; gen: WorldGenerator } {
  const gen = new WorldGenerator(s, { run: 'r', batchSize: 500, platformKey, clientSecret });
  return { batches: [...gen.batches()], gen };
}

/** What a message is, apart from its id and sealing: who sent what to whom, when, where. */
const messageKeys = (batches: Batch[]) =>
  batches
    .flatMap((b) => b.messages)
    .map((m) => `${m.envelope.t}|${m.envelope.sender}|${m.envelope.recipient}|${m.envelope.surface}|${m.envelope.media}|${m.envelope.encrypted}`)
    .sort();
const reportKeys = (batches: Batch[]) =>
  batches
    .flatMap((b) => b.reports)
    .map((r) => `${r.t}|${r.reporter}|${r.reported}|${r.sentAt}`)
    .sort();
const blockKeys = (batches: Batch[]) =>
  batches
    .flatMap((b) => b.blocks)
    .map((b) => `${b.t}|${b.blocker}|${b.blocked}`)
    .sort();

describe('a world of several platforms', () => {
  const one = testScenario(base);
  const three = testScenario(base, {
    platforms: [
      { name: 'social', members: 0.7 },
      { name: 'photos', members: 0.5, offenderShare: 2 },
      { name: 'chat', members: 0.3 },
    ],
  });

  it('partitions the world: the platforms’ runs together send exactly the messages, reports and blocks of the world as one platform', () => {
    const whole = play(one);
    const parts = platformsOf(three).map((_, i) => play(forPlatform(three, i)));
    const sizes = parts.map((p) => p.batches.reduce((n, b) => n + b.messages.length, 0));
    // Every platform has a real share of the traffic.
    for (const n of sizes) expect(n).toBeGreaterThan(1_000);
    expect(parts.flatMap((p) => messageKeys(p.batches)).sort()).toEqual(messageKeys(whole.batches));
    expect(parts.flatMap((p) => reportKeys(p.batches)).sort()).toEqual(reportKeys(whole.batches));
    expect(parts.flatMap((p) => blockKeys(p.batches)).sort()).toEqual(blockKeys(whole.batches));
    expect(reportKeys(whole.batches).length).toBeGreaterThan(0);
    // The ledgers split too: abusive messages, and each offender on exactly one platform.
    const abusive = (g: WorldGenerator) => Object.values(g.ledger.abusiveMessages).reduce((a, b) => a + b, 0);
    expect(parts.reduce((n, p) => n + abusive(p.gen), 0)).toBe(abusive(whole.gen));
    for (const kind of ['sharer', 'producer', 'groomer'] as const) {
      const split = parts.flatMap((p) => p.gen.ledger.offenders[kind]).sort((a, b) => a - b);
      expect(split).toEqual([...whole.gen.ledger.offenders[kind]].sort((a, b) => a - b));
    }
  });

  it('stores one platform’s run as a scenario that loads back to the same run (how a run reaches the services)', () => {
    for (let i = 0; i < 3; i++) {
      const run = forPlatform(three, i);
      expect(run.platform).toBe(i);
      const { platform: _, ...stored } = run;
      const back = validateScenario(JSON.parse(JSON.stringify(stored)), 'x.yaml');
      if (!back.ok) throw new Error(JSON.stringify(back.problems));
      expect(forPlatform(back.scenario, i)).toEqual(run);
    }
  });

  it('puts every message to or from an offender on the one platform the offender acts on, weighted by offenderShare', () => {
    const s = forPlatform(three, 0);
    const population = buildPopulation(s);
    const platforms = new Platforms(s, population);
    const acting = [0, 0, 0];
    for (let a = 0; a < population.users; a++) {
      if (!population.isOffender(a)) continue;
      const on = [0, 1, 2].filter((p) => platforms.isOn(a, p));
      expect(on).toHaveLength(1);
      const p = on[0] as number;
      acting[p] = (acting[p] as number) + 1;
      expect(platforms.of(a, -1, 'public')).toBe(p);
      for (let b = 0; b < 50; b++) if (!population.isOffender(b)) expect([platforms.of(a, b, 'dm'), platforms.of(b, a, 'dm')]).toEqual([p, p]);
    }
    // Weights 1 : 2 : 1 over enough offender accounts: photos gets the most.
    expect(acting[1]).toBeGreaterThan(acting[0] as number);
    expect(acting[1]).toBeGreaterThan(acting[2] as number);
  });

  it('keeps a conversation between two people on one platform they are both on', () => {
    const s = forPlatform(three, 0);
    const population = buildPopulation(s);
    const platforms = new Platforms(s, population);
    let common = 0;
    for (let a = 0; a < 300; a++) {
      for (let b = a + 1; b < 300; b++) {
        if (population.isOffender(a) || population.isOffender(b)) continue;
        const p = platforms.of(a, b, 'dm');
        expect(platforms.of(b, a, 'dm')).toBe(p);
        const both = [0, 1, 2].some((q) => platforms.isOn(a, q) && platforms.isOn(b, q));
        if (both) {
          common++;
          expect(platforms.isOn(a, p) && platforms.isOn(b, p)).toBe(true);
        } else expect(platforms.isOn(a, p) || platforms.isOn(b, p)).toBe(true);
      }
    }
    expect(common).toBeGreaterThan(10_000);
  });

  it('encrypts each platform’s messages as its own surfaces say', () => {
    const s = testScenario(base, {
      platforms: [
        { name: 'messenger', surfaces: { directMessages: { encryption: 'e2ee' } } },
        { name: 'photos', surfaces: { directMessages: { encryption: 'none' } } },
      ],
    });
    const [messenger, photos] = [0, 1].map((i) => play(forPlatform(s, i)).batches.flatMap((b) => b.messages));
    const dms = (list: typeof messenger) => (list ?? []).filter((m) => m.envelope.surface === 'dm');
    expect(dms(messenger).length).toBeGreaterThan(1_000);
    expect(dms(messenger).every((m) => m.envelope.encrypted)).toBe(true);
    expect(dms(photos).length).toBeGreaterThan(1_000);
    expect(dms(photos).some((m) => m.envelope.encrypted)).toBe(false);
  });

  it('moves offenders who open an account once a platform encrypts its DMs to it, with displacement', () => {
    const two = (toEncrypted: number) =>
      testScenario(base, {
        durationDays: 20,
        population: { offenders: { sharers: { count: 40, accountLifetimeDays: 5, returnShare: 1 } } },
        platforms: [{ name: 'open' }, { name: 'messenger', surfaces: { directMessages: { encryption: 'e2ee', fromDay: 5 } } }],
        displacement: { toEncrypted },
      });
    const acting = (s: Scenario) => {
      const population = buildPopulation(s);
      const platforms = new Platforms(forPlatform(s, 0), population);
      const late = { open: 0, messenger: 0 };
      for (const a of population.sharers) {
        const opened = population.createdAt[a] as number;
        if (!(opened >= 5 * 86_400 && opened < Number.POSITIVE_INFINITY)) continue;
        if (platforms.isOn(a, 1)) late.messenger++;
        else late.open++;
      }
      return late;
    };
    const without = acting(two(0));
    const moved = acting(two(1));
    expect(without.open + without.messenger).toBeGreaterThan(30);
    // Without displacement about half choose each; with it, every late account is on the encrypted one.
    expect(without.open).toBeGreaterThan(5);
    expect(moved.open).toBe(0);
    expect(moved.messenger).toBe(without.open + without.messenger);
  });
});
