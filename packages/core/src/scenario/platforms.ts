/**
 * The platforms of a scenario, every block filled in, and the scenario as one platform's
 * run sees it. What happens on which platform is the world's (world/platforms.ts).
 */
import type { Scenario } from './schema';

/** One platform with every block filled in (its own, or the top-level one). */
export interface PlatformSettings {
  name: string;
  members: number;
  offenderShare: number;
  surfaces: Scenario['surfaces'];
  detection: Scenario['detection'];
  review: Scenario['review'];
}

/**
 * The world's platforms, every block filled in: the scenario's list (a platform without
 * its own surfaces, detection or review takes the top-level block), or the one platform
 * the top-level blocks describe.
 */
export function platformsOf(scenario: Scenario): PlatformSettings[] {
  const top = { surfaces: scenario.surfaces, detection: scenario.detection, review: scenario.review };
  if (!scenario.platforms) return [{ name: scenario.name, members: 1, offenderShare: 1, ...top }];
  return scenario.platforms.map((p) => ({
    name: p.name,
    members: p.members,
    offenderShare: p.offenderShare,
    surfaces: p.surfaces ?? top.surfaces,
    // The hash bank and what users do (report, block, forge) are the world's: validation
    // holds a platform's to the top-level values (problems.ts), so they agree.
    detection: p.detection ?? top.detection,
    review: p.review ?? top.review,
  }));
}

/** The fields of a platform's userReports block that describe the users, so are the world's (the top-level values). */
export const WORLD_USER_REPORT_FIELDS = ['probability', 'blockProbability', 'meanDelayHours', 'forgedPerDay'] as const;

/**
 * The scenario as platform `index`'s run sees it: that platform's surfaces, detection
 * and review as the top-level blocks, the list kept (filled in) for the world, and
 * `platform` naming which platform's events the run emits. Idempotent.
 */
export function forPlatform(scenario: Scenario, index: number): Scenario {
  const list = platformsOf(scenario);
  const own = list[index];
  if (!own) throw new RangeError(`platform ${index} of ${list.length}`);
  if (!scenario.platforms) return scenario;
  return {
    ...scenario,
    surfaces: own.surfaces,
    detection: own.detection,
    review: own.review,
    platforms: list.map((p) => ({ ...p })),
    platform: index,
  };
}
