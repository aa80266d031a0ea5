/**
 * A run's definition as the services read it from Redis: the validated scenario, the
 * file it came from, and the run options. Services are long-lived and serve many runs,
 * so definitions are cached per run (a few at a time).
 */
import { UnrecoverableError } from 'bullmq';
import { forPlatform, platformsOf, validateScenario, type Scenario } from '@blindspot/core/scenario';
import { type BatchLayout, MAX_PARTS, SHARDS } from '@blindspot/core/layout';
import { z } from 'zod';
import type { JobAuthenticator } from './authenticator';
import type { RunKeys } from './keys';
import type { RedisClient } from './connection';

export interface RunSpec {
  run: string;
  scenario: Scenario;
  file: string;
  batchSize: number;
  /** How the run is split into generation jobs and their batches numbered (core/layout.ts). */
  layout: BatchLayout;
}

/** A run's options as stored: the batch size, and the layout of its generation jobs. */
export const runOptionsSchema = z.strictObject({
  batchSize: z.int().min(1).max(1_000_000),
  groups: z.int().min(1).max(SHARDS),
  parts: z.int().min(1).max(MAX_PARTS),
  /** In a world of several platforms, the platform whose events the run emits (scenario/platforms.ts). */
  platform: z.int().min(0).max(7).optional(),
});

/** The layout of a run's batches, from its stored options (null when they are missing or not as stored). */
export function layoutOf(optionsJson: string | null): BatchLayout | null {
  if (!optionsJson) return null;
  try {
    const o = runOptionsSchema.parse(JSON.parse(optionsJson));
    return { groups: o.groups, parts: o.parts };
  } catch {
    return null;
  }
}

/** Keeps the last `capacity` values by key. */
export class SmallCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity = 8) {}
  async get(key: string, make: () => Promise<V> | V): Promise<V> {
    const hit = this.map.get(key);
    if (hit !== undefined) return hit;
    const value = await make();
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
    return value;
  }
}

/** A run's definition, refused unless it is as the command that submitted it stored it. */
export async function loadRun(redis: RedisClient, keys: RunKeys, auth: JobAuthenticator): Promise<RunSpec> {
  const [scenarioJson, file, optionsJson, definitionAuth] = await redis.mget(keys.scenario, keys.file, keys.options, keys.definitionAuth);
  if (!scenarioJson || !optionsJson) {
    throw new UnrecoverableError(`run ${keys.run} is unknown: no scenario stored under ${keys.scenario}`);
  }
  if (!auth.verifyRunDefinition(keys.run, scenarioJson, file ?? '', optionsJson, definitionAuth ?? null)) {
    throw new UnrecoverableError(
      `run ${keys.run}: its stored definition is not authenticated by the job key (stored without BLINDSPOT_JOB_KEY, under another key, or altered since)`,
    );
  }
  const checked = validateScenario(JSON.parse(scenarioJson), file ?? 'scenario');
  if (!checked.ok) {
    throw new UnrecoverableError(`run ${keys.run}: stored scenario is invalid: ${checked.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
  const options = runOptionsSchema.parse(JSON.parse(optionsJson));
  const platforms = platformsOf(checked.scenario).length;
  if (options.platform !== undefined && options.platform >= platforms) {
    throw new UnrecoverableError(`run ${keys.run}: its options name platform ${options.platform}, but the scenario has ${platforms}`);
  }
  return {
    run: keys.run,
    scenario: options.platform === undefined ? checked.scenario : forPlatform(checked.scenario, options.platform),
    file: file ?? '',
    batchSize: options.batchSize,
    layout: { groups: options.groups, parts: options.parts },
  };
}
