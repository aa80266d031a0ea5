/**
 * The world: population, offenders, clients with keys, and the evaluation ledger.
 * Only the generator imports this module; the detecting stages must not (a test walks
 * their imports to make sure).
 */
export { WorldGenerator, type GenerateOptions } from './generator';
export { buildPopulation, Kind, type Population } from './population';
export { Clients, NONCE_BYTES, TAG_BYTES } from './clients';
export { emptyLedger, type Ledger, type AbuseType, type OffenderKind } from './ledger';
