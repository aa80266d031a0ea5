/**
 * The shipped rollout scenario, with its own seed: DMs encrypted from day 10, reaching
 * every account by day 20, against the same file without encryption and with DMs
 * encrypted from the start. The world is the same in all three (encryption changes no
 * draw; the platform here closes no account it reports, since a closing would make the
 * worlds differ), so before day 10 the rollout sees exactly what plaintext sees, and after day 20
 * it encrypts exactly what e2ee does; only what detection makes of it is statistical,
 * and that is checked with wide margins on counts in the hundreds.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunResult, Scenario } from '@blindspot/core';
import { parseScenario } from '@blindspot/core/scenario';
import { runEmbedded } from './embedded';

const file = fileURLToPath(new URL('../../../scenarios/e2ee-rollout.yaml', import.meta.url));
const parsed = parseScenario(readFileSync(file, 'utf8'), file);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const rollout: Scenario = { ...parsed.scenario, enforcement: { ...parsed.scenario.enforcement, banReported: false } };
const dm = rollout.surfaces.directMessages;
const variant = (directMessages: Scenario['surfaces']['directMessages']): Scenario => ({
  ...rollout,
  surfaces: { ...rollout.surfaces, directMessages },
});

const rolled = runEmbedded(rollout, { file: 'scenarios/e2ee-rollout.yaml' });
const plain = runEmbedded(variant({ encryption: 'none', fromDay: 0, rampDays: 0 }), { file: 'plain' });
const e2ee = runEmbedded(variant({ encryption: 'e2ee', fromDay: 0, rampDays: 0 }), { file: 'e2ee' });

const days = (series: number[], from: number, to: number) => series.slice(from, to);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
/** Days before the rollout, during its ramp, and after it (0-based day indices). */
const before = [0, dm.fromDay] as const;
const ramp = [dm.fromDay, dm.fromDay + dm.rampDays] as const;
const after = [dm.fromDay + dm.rampDays, rollout.durationDays] as const;

describe('scenarios/e2ee-rollout.yaml', () => {
  it('rolls DMs out from day 10 over 10 days, within a 30-day run', () => {
    expect(dm).toEqual({ encryption: 'e2ee', fromDay: 10, rampDays: 10 });
    expect(rollout.durationDays).toBe(30);
    for (const r of [rolled, plain, e2ee]) expect(r.warnings).toEqual([]);
  });

  it('encrypts nothing before the rollout, more each day of the ramp, and every DM after it', () => {
    const enc = rolled.messages.encryptedPerDay;
    expect(days(enc, ...before)).toEqual(new Array(dm.fromDay).fill(0));
    const rising = days(enc, ramp[0], ramp[1] + 1);
    for (let d = 1; d < rising.length; d++) expect(rising[d], `day ${ramp[0] + d + 1}`).toBeGreaterThan(rising[d - 1] as number);
    expect(days(enc, ...after)).toEqual(days(e2ee.messages.encryptedPerDay, ...after));
    // During the ramp, short of every DM.
    for (let d = ramp[0]; d < ramp[1]; d++) expect(enc[d]).toBeLessThan(e2ee.messages.encryptedPerDay[d] as number);
    expect(rolled.messages.perDay).toEqual(plain.messages.perDay);
  });

  it('sees before the rollout exactly what the platform sees without encryption', () => {
    expect(days(rolled.review.flagsPerDay, ...before)).toEqual(days(plain.review.flagsPerDay, ...before));
    expect(days(rolled.reports.perDay, ...before)).toEqual(days(plain.reports.perDay, ...before));
  });

  it('files fewer reports per day after the rollout than before it, and flags far less than without encryption', () => {
    const perDay = (r: RunResult, [a, b]: readonly [number, number]) => sum(days(r.reports.perDay, a, b)) / (b - a);
    // Reports fall off in any run (an account is reported once); the margin is wide.
    expect(perDay(rolled, after)).toBeLessThan(perDay(rolled, before) / 4);
    // The encryption's own effect, on flags (counts in the hundreds): after the ramp the
    // platform raises the flags it raises under e2ee, well under half those of plaintext.
    const flags = (r: RunResult) => sum(days(r.review.flagsPerDay, ...after));
    expect(flags(plain)).toBeGreaterThan(200);
    expect(flags(rolled)).toBeLessThan(flags(plain) / 2);
    expect(Math.abs(flags(rolled) - flags(e2ee))).toBeLessThan(flags(e2ee) / 4);
  });

  it('keeps readable the DMs sent before and during the rollout, and the result sums into its month', () => {
    expect(rolled.privacy.readableInnocentMessages).toBeGreaterThan(e2ee.privacy.readableInnocentMessages);
    expect(rolled.privacy.readableInnocentMessages).toBeLessThan(plain.privacy.readableInnocentMessages);
    // Ten days in plaintext find most of what thirty do (74 reports under e2ee, 180 here, 189 without encryption).
    expect(rolled.reports.total).toBeGreaterThan(e2ee.reports.total * 1.5);
    expect(rolled.reports.perMonth).toEqual([rolled.reports.total]);
    expect(rolled.messages.encryptedPerMonth).toEqual([rolled.messages.encrypted]);
  });
});
