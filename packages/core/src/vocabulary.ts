/**
 * The model's vocabularies, each declared once: every type, zod enum, label table and
 * wire code elsewhere is derived from these lists. A name declared twice is a bug waiting
 * for the day one copy changes; add a name here and the compiler points at every table
 * that must learn it.
 *
 * Order matters where it is the order of output (tables, CSV columns, charts) and of wire
 * codes (a name's index is its code on the binary wire): append, never reorder.
 *
 * Detection routes and metadata rules have more to them than a name (a scenario block,
 * a detector, a rank): their lists are the registries in routes/index.ts and
 * metadata/rules/index.ts, from which ROUTES, METADATA_RULES and their labels derive.
 */

/** Surfaces of the platform: dm (direct messages, encryptable), public (public posts), profile (profile and group photos). */
export const SURFACES = ['dm', 'public', 'profile'] as const;
export type Surface = (typeof SURFACES)[number];

/** What a message carries. */
export const MEDIA = ['image', 'text'] as const;
export type Media = (typeof MEDIA)[number];

/** Kinds of abusive content, as the ground truth (the evaluation ledger) knows them. */
export const ABUSE_KINDS = ['knownImage', 'newImage', 'grooming'] as const;
export type AbuseKind = (typeof ABUSE_KINDS)[number];
export const ABUSE_KIND_LABELS: Record<AbuseKind, string> = {
  knownImage: 'known images',
  newImage: 'new images',
  grooming: 'grooming',
};

/** Offender archetypes, each with the kind of abuse it commits. */
export const OFFENDER_KINDS = ['sharer', 'producer', 'groomer'] as const;
export type OffenderKind = (typeof OFFENDER_KINDS)[number];
export const OFFENDER_KIND_LABELS: Record<OffenderKind, string> = {
  sharer: 'sharers',
  producer: 'producers',
  groomer: 'groomers',
};
export const ABUSE_OF_OFFENDER: Record<OffenderKind, AbuseKind> = {
  sharer: 'knownImage',
  producer: 'newImage',
  groomer: 'grooming',
};

/** The pipeline's services, in the order messages flow through them. */
export const STAGES = ['generator', 'scanner', 'metadata-detector', 'reporter'] as const;
export type Stage = (typeof STAGES)[number];
