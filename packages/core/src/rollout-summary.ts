/**
 * Before and after a rollout of encryption, in one run: CyberTips a day before it (from
 * the end of the burn-in to its first day), over the period from its start to the end of
 * the run (the way year-over-year figures compare a year with the rollout in it), and
 * once it is complete. The rates are per day, so windows of different lengths compare.
 */
import type { Scenario } from './scenario';
import { encryptedSurfaces } from './scenario';
import { SURFACES, type Surface } from './vocabulary';

export interface RolloutWindow {
  /** First day and the day after the last (days from 0). */
  fromDay: number;
  toDay: number;
  /** CyberTips filed per day, and incidents after bundling per day, over the window. */
  reportsPerDay: number;
  incidentsPerDay: number;
}

export interface RolloutSummary {
  /** The surface whose rollout it is (the earliest to start, if several). */
  surface: Surface;
  fromDay: number;
  rampDays: number;
  before: RolloutWindow;
  /** From the rollout's first day to the end of the run. */
  since: RolloutWindow;
  /** From the day the rollout reaches every account to the end of the run; null if it does not within the run. */
  complete: RolloutWindow | null;
  /** since / before: the change a year-over-year comparison would show. */
  ratio: { reports: number | null; incidents: number | null };
}

const BLOCK: Record<Surface, 'directMessages' | 'publicPosts' | 'profilePhotos'> = { dm: 'directMessages', public: 'publicPosts', profile: 'profilePhotos' };

function window(reports: readonly number[], incidents: readonly number[], fromDay: number, toDay: number): RolloutWindow {
  const rate = (series: readonly number[]) => {
    let n = 0;
    for (let d = fromDay; d < toDay; d++) n += series[d] ?? 0;
    return Math.round((n / (toDay - fromDay)) * 1000) / 1000;
  };
  return { fromDay, toDay, reportsPerDay: rate(reports), incidentsPerDay: rate(incidents) };
}

const ratioOf = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : null);

/**
 * The run's rollout, before and after, or null when it has none that starts after the
 * burn-in (encrypted from the start, or not at all).
 */
export function rolloutSummary(
  scenario: Pick<Scenario, 'surfaces' | 'burnInDays' | 'durationDays'>,
  reportsPerDay: readonly number[],
  incidentsPerDay: readonly number[],
): RolloutSummary | null {
  const on = encryptedSurfaces(scenario);
  let surface: Surface | null = null;
  for (const s of SURFACES) {
    const block = scenario.surfaces[BLOCK[s]];
    if (!on[s] || block.fromDay <= scenario.burnInDays) continue;
    if (surface === null || block.fromDay < scenario.surfaces[BLOCK[surface]].fromDay) surface = s;
  }
  if (surface === null) return null;
  const { fromDay, rampDays } = scenario.surfaces[BLOCK[surface]];
  const end = scenario.durationDays;
  const before = window(reportsPerDay, incidentsPerDay, scenario.burnInDays, fromDay);
  const since = window(reportsPerDay, incidentsPerDay, fromDay, end);
  const done = fromDay + rampDays;
  return {
    surface,
    fromDay,
    rampDays,
    before,
    since,
    complete: done < end ? window(reportsPerDay, incidentsPerDay, done, end) : null,
    ratio: { reports: ratioOf(since.reportsPerDay, before.reportsPerDay), incidents: ratioOf(since.incidentsPerDay, before.incidentsPerDay) },
  };
}
