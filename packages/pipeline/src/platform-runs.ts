/**
 * A world of several platforms runs as one pipeline run per platform (each plays the
 * whole world and keeps its own platform's events: core world/platforms.ts), and its
 * result is the runs' results combined (core platform-results.ts): the totals, police
 * as one force for the whole world, and each platform's figures. A world of one
 * platform is one run, as it always was.
 */
import { combinePlatforms, type RunResult } from '@blindspot/core';
import { forPlatform, platformsOf, type Scenario } from '@blindspot/core/scenario';

/** Whether the scenario is a world of several platforms not yet split into its runs. */
export function splitsIntoPlatforms(scenario: Scenario): boolean {
  return scenario.platforms !== undefined && scenario.platforms.length > 1 && scenario.platform === undefined;
}

/** The scenario as its one run sees it: a list of one platform is that platform's blocks. */
function single(scenario: Scenario): Scenario {
  return scenario.platforms !== undefined && scenario.platform === undefined ? forPlatform(scenario, 0) : scenario;
}

/** How many runs the scenario takes: one per platform. */
export function runsOf(scenario: Scenario): number {
  return splitsIntoPlatforms(scenario) ? platformsOf(scenario).length : 1;
}

type OnProgress = (messages: number, day: number) => void;

/**
 * Progress over the runs of a world of several platforms, as one: run `index`'s days
 * follow the earlier runs' (so the days go to runsOf × durationDays) and its messages
 * add to theirs.
 */
export function progressOver(onProgress: OnProgress | undefined, durationDays: number): (index: number) => OnProgress | undefined {
  if (!onProgress) return () => undefined;
  let before = 0;
  let last = 0;
  let current = 0;
  return (index) => {
    if (index !== current) {
      before += last;
      last = 0;
      current = index;
    }
    return (messages, day) => {
      last = messages;
      onProgress(before + messages, index * durationDays + day);
    };
  };
}

/** Runs each platform's run in turn (`run` is given the scenario as that platform's run sees it), and combines their results. */
export async function runPlatforms(scenario: Scenario, run: (platformScenario: Scenario, index: number) => Promise<RunResult>): Promise<RunResult> {
  if (!splitsIntoPlatforms(scenario)) return run(single(scenario), scenario.platform ?? 0);
  const list = platformsOf(scenario);
  const parts: RunResult[] = [];
  for (let i = 0; i < list.length; i++) parts.push(await run(forPlatform(scenario, i), i));
  return combinePlatforms(
    scenario,
    list.map((p) => p.name),
    parts,
  );
}

/** runPlatforms for a run made on the calling thread. */
export function runPlatformsSync(scenario: Scenario, run: (platformScenario: Scenario, index: number) => RunResult): RunResult {
  if (!splitsIntoPlatforms(scenario)) return run(single(scenario), scenario.platform ?? 0);
  const list = platformsOf(scenario);
  return combinePlatforms(
    scenario,
    list.map((p) => p.name),
    list.map((_, i) => run(forPlatform(scenario, i), i)),
  );
}
