/**
 * @blindspot/core: the model, free of transports and file systems.
 * The world (generator, keys, ledger) is exported separately from `@blindspot/core/world`
 * so that detecting stages can import this module without reaching it.
 */
export * from './vocabulary';
export * from './routes';
export * from './metadata/rules';
export * from './types';
export * from './scenario';
export * from './random';
export * from './hash';
export * from './hash-index';
export * from './bank-match';
export * from './content';
export * from './split';
export * from './scanner';
export * from './metadata';
export * from './reporter';
export * from './result';
export * from './platform-results';
export * from './franking';
export * from './css';
export * from './codec';
export * from './base64';
export * from './stats';
export { LargeMap, NumberList } from './tables';
export * from './rollout-summary';
