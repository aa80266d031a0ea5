/**
 * The world: population, actors, clients with keys, delivery and the evaluation ledger.
 * Only the generator imports this module; the detecting stages must not (a test walks
 * their imports to make sure).
 */
export { WorldGenerator, type GenerateOptions, type UnsealedBatch } from './generator';
export { buildPopulation, Kind, type Population } from './population';
export {
  Clients,
  Sealer,
  sealedOverhead,
  newClientSecret,
  defaultSealKernel,
  NONCE_BYTES,
  TAG_BYTES,
  CLIENT_SECRET_BYTES,
  type SealKernel,
  type SealerOptions,
  type Unsealed,
} from './clients';
export type { Ledger } from './ledger';
