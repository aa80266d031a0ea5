/**
 * The world: population, actors, clients with keys, delivery and the evaluation ledger.
 * Only the generator imports this module; the detecting stages must not (a test walks
 * their imports to make sure).
 */
export { WorldGenerator, WorldShard, worldCommon, type Common, type GenerateOptions, type UnsealedBatch } from './generator';
export { addEvent, Sequencer, type ShardEvent, type StreamEvent } from './delivery';
export { LedgerBook, mergeLedgers, type LedgerPart } from './ledger';
export { Relay } from './relay';
export { SHARDS, Shard, shardOf } from '../shards';
export { batchCount, batchLayout, groupOfSeq, groupShards, MAX_PARTS, seqOf, type BatchLayout } from '../layout';
export { buildPopulation, Kind, populationFrom, sharePopulation, type Population, type SharedPopulation } from './population';
export { Platforms } from './platforms';
export { Encryption, rollouts, rolloutPlaces, switchTime, type Rollout } from './rollout';
export { sharedCounters, type SharedCounters } from './nonces';
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
