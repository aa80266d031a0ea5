/**
 * The building blocks of the scenario schema, shared by the schema itself and by the
 * route and metadata-rule modules that contribute their blocks to it.
 */
import { z } from 'zod';
import { SURFACES, type Surface } from '../vocabulary';

export const count = (max: number) => z.int().min(0).max(max);
export const positiveCount = (max: number) => z.int().min(1).max(max);
export const probability = z.number().min(0).max(1);
export const rate = (max: number) => z.number().min(0).max(max);

/** Upper bounds that keep a scenario within what one machine can hold in memory. */
export const LIMITS = {
  users: 5_000_000,
  days: 3_650,
  messagesPerUserPerDay: 1_000,
  bankSize: 10_000_000,
  /**
   * Contact pairs (about users × contactsPerUser / 2, plus offender networks and mentors'
   * classes): the population keeps them in one JavaScript Set, which holds at most 2^24.
   */
  contactPairs: 16_777_216,
  /** Characters in a scenario file (the shipped ones have about 6,000). */
  textChars: 1_000_000,
  /** Levels of nested mappings and lists in a scenario file (a scenario needs 5). */
  nesting: 32,
} as const;

/** The surfaces a content route runs on. */
export const surfaceList = (fallback: Surface[], what: string) =>
  z
    .array(z.enum(SURFACES))
    .max(SURFACES.length)
    .default(fallback)
    .describe(`Surfaces ${what} runs on: any of dm (direct messages), public (public posts), profile (profile and group photos).`);

/** A sliding window of simulated time, in hours (at most the longest run). */
export const windowHours = (fallback: number, description: string) =>
  z
    .number()
    .positive()
    .max(24 * LIMITS.days)
    .default(fallback)
    .describe(description);
