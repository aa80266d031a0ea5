/**
 * A run split over generator processes. The shards are cut into `groups` contiguous
 * ranges, one per generation job: group g plays shards [64·g/groups, 64·(g+1)/groups).
 * Each hour of a group's shards is cut into `parts` batches, so a run has
 * hours · groups · parts batches, numbered
 *
 *   seq = (hour · groups + group) · parts + part,
 *
 * in the stream's own order (hour by hour, shard by shard), whoever made them: the
 * ordered stages apply them in seq order and see exactly the stream one process makes.
 * No group waits for another, and every batch's number is known before it is made, so a
 * group that restarts knows which of its batches it already sent. Some batches are empty.
 *
 * The layout is fixed when the run is submitted (it travels with the run's definition);
 * the result does not depend on it.
 */
import type { Scenario } from './scenario';
import { SHARDS } from './shards';

export { SHARDS } from './shards';

export interface BatchLayout {
  /** Generation jobs (1 to SHARDS). */
  groups: number;
  /** Batches per group-hour (at most MAX_PARTS). */
  parts: number;
}

/** The most batches a group-hour is cut into: seq stays exact (below 2^53) for the longest run, 64 groups and this many parts. */
export const MAX_PARTS = 100_000;

/** The layout for `groups` generation jobs and batches of about `batchSize` events. */
export function batchLayout(scenario: Scenario, batchSize: number, groups: number): BatchLayout {
  if (!(Number.isInteger(groups) && groups >= 1 && groups <= SHARDS))
    throw new RangeError(`generation groups must be a whole number from 1 to ${SHARDS}, not ${groups}`);
  if (!(batchSize >= 1)) throw new RangeError('batchSize must be at least 1');
  const p = scenario.population;
  const t = scenario.traffic;
  // Events an hour, roughly: the ordinary traffic, which is nearly all of it.
  const perHour = ((p.adults + p.minors) * (t.messagesPerUserPerDay + t.profilePhotoChangesPerMonth / 30)) / 24;
  return { groups, parts: Math.max(1, Math.min(MAX_PARTS, Math.round(perHour / groups / batchSize))) };
}

/** The shards of group `group`: [first, end). */
export function groupShards(group: number, groups: number): [number, number] {
  if (!(Number.isInteger(group) && group >= 0 && group < groups)) throw new RangeError(`group ${group} is not one of 0..${groups - 1}`);
  return [Math.floor((SHARDS * group) / groups), Math.floor((SHARDS * (group + 1)) / groups)];
}

/** The number of batch `part` of `group`'s hour `hour`. */
export function seqOf(layout: BatchLayout, hour: number, group: number, part: number): number {
  return (hour * layout.groups + group) * layout.parts + part;
}

/** The group that makes batch `seq`. */
export function groupOfSeq(layout: BatchLayout, seq: number): number {
  return Math.floor(seq / layout.parts) % layout.groups;
}

/** Batches in a run of `hours` hours. */
export function batchCount(layout: BatchLayout, hours: number): number {
  return hours * layout.groups * layout.parts;
}
