/**
 * A world of several platforms run end to end: one run per platform, combined. Their
 * messages are the world's, their figures add up to the totals, each platform's
 * encryption is its own, and the one police force never opens more than its capacity.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '@blindspot/core';
import { type ScenarioData, testScenario } from '@blindspot/core/testing';
import { runEmbedded, runEmbeddedParallel } from './embedded';

const base: ScenarioData = {
  seed: 515,
  durationDays: 8,
  burnInDays: 2,
  population: {
    adults: 1600,
    minors: 400,
    offenders: { sharers: { count: 30, accountLifetimeDays: 4 }, producers: { count: 8 }, groomers: { count: 6 } },
    lookalikes: { mentors: { count: 4, minorsEach: 30 }, viralSharers: { perMillionPerDay: 3_000 } },
  },
  traffic: { messagesPerUserPerDay: 4 },
  review: { capacityPerDay: 400 },
  police: { capacityPerDay: 0.5 },
  // The runs are compared with the world as one platform: each platform's closings would
  // change its run's world (and not the others'), so these close no account.
  enforcement: { banReported: false },
};
const world = testScenario(base, {
  platforms: [
    { name: 'social', members: 0.8 },
    { name: 'chat', members: 0.5, surfaces: { directMessages: { encryption: 'e2ee', fromDay: 4, rampDays: 2 } }, review: { capacityPerDay: 150 } },
  ],
});
const one = runEmbedded(testScenario(base), { file: 'one.yaml' });
const two = runEmbedded(world, { file: 'two.yaml' });

/** Every number in a platform summary, by path. */
function numbers(x: unknown, path = ''): Map<string, number> {
  const out = new Map<string, number>();
  if (typeof x === 'number') out.set(path, x);
  else if (x && typeof x === 'object' && !Array.isArray(x))
    for (const [k, v] of Object.entries(x)) for (const [p, n] of numbers(v, path ? `${path}.${k}` : k)) out.set(p, n);
  return out;
}
const at = (r: RunResult, path: string) => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], r);

describe('a world of two platforms, run end to end', () => {
  const platforms = two.platforms ?? [];

  it('carries exactly the messages and abuse of the same world as one platform, split between the platforms', () => {
    expect(platforms.map((p) => p.name)).toEqual(['social', 'chat']);
    expect(two.messages.total).toBe(one.messages.total);
    expect(two.messages.perDay).toEqual(one.messages.perDay);
    expect(two.abuse.knownImage + two.abuse.newImage + two.abuse.grooming).toBe(one.abuse.knownImage + one.abuse.newImage + one.abuse.grooming);
    expect(two.offenders.total).toBe(one.offenders.total);
    for (const p of platforms) expect(p.messages.total).toBeGreaterThan(one.messages.total / 10);
  });

  it('adds every platform’s counts up to the total', () => {
    expect(two.cyberTips.reports).toBeGreaterThan(20);
    const sums = new Map<string, number>();
    for (const p of platforms) {
      const { rollout: _r, surfaces: _s, ...counts } = p;
      for (const [path, n] of numbers(counts)) sums.set(path, (sums.get(path) ?? 0) + n);
    }
    expect(sums.size).toBeGreaterThan(30);
    for (const [path, n] of sums) expect([path, n]).toEqual([path, at(two, path)]);
  });

  it('encrypts only the chat platform’s DMs, from its rollout on, and gives its rollout before and after', () => {
    const [social, chat] = platforms;
    expect(social?.messages.encrypted).toBe(0);
    expect(chat?.messages.encrypted).toBeGreaterThan(1_000);
    expect(two.messages.encryptedPerDay.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(social?.rollout).toBeNull();
    expect(chat?.rollout).toMatchObject({ surface: 'dm', fromDay: 4, rampDays: 2, before: { fromDay: 2, toDay: 4 }, since: { fromDay: 4, toDay: 8 } });
  });

  it('has one police force: never more investigations a day than its capacity, over both platforms', () => {
    const perDay = two.police.investigationsPerDay;
    let opened = 0;
    perDay.forEach((n, day) => {
      opened += n;
      expect(opened).toBeLessThanOrEqual(Math.floor((day + 1) * 0.5) + 1e-9);
    });
    expect(two.police.investigations).toBeGreaterThan(0);
    expect(platforms.reduce((n, p) => n + p.police.investigations, 0)).toBe(two.police.investigations);
  });

  it('gives the same result on threads as on one', async () => {
    const { timing: _a, ...threaded } = await runEmbeddedParallel(world, { file: 'two.yaml' });
    const { timing: _b, ...single } = two;
    expect(threaded).toEqual(single);
  });
});

describe('a world of two platforms whose reports close accounts', () => {
  const closing = testScenario({ ...base, enforcement: { banReported: true } }, { platforms: world.platforms });
  const r = runEmbedded(closing, { file: 'closing.yaml' });
  const platforms = r.platforms ?? [];

  it('closes accounts on each platform by its own reports, and adds every platform’s counts up to the total', () => {
    expect(r.enforcement.closed).toBeGreaterThan(5);
    expect(r.enforcement.closed).toBe(platforms.reduce((n, p) => n + p.enforcement.closed, 0));
    expect(r.enforcement.returnsAfterClosing).toBe(platforms.reduce((n, p) => n + p.enforcement.returnsAfterClosing, 0));
    const sums = new Map<string, number>();
    for (const p of platforms) {
      const { rollout: _r, surfaces: _s, ...counts } = p;
      for (const [path, n] of numbers(counts)) sums.set(path, (sums.get(path) ?? 0) + n);
    }
    for (const [path, n] of sums) expect([path, n]).toEqual([path, at(r, path)]);
  });

  it('gives the same result on threads as on one', async () => {
    const { timing: _a, ...threaded } = await runEmbeddedParallel(closing, { file: 'closing.yaml' });
    const { timing: _b, ...single } = r;
    expect(threaded).toEqual(single);
  });
});
