/**
 * The native kernels, when this machine built them at install (see build.mjs), else
 * null: each caller then runs its JavaScript twin, which gives the same bytes.
 * BLINDSPOT_NATIVE=0 turns them off (to compare the two, or to rule them out).
 */
import { createRequire } from 'node:module';

/** A sealer's native state (seal.c): the clients' secrets and its cache of conversation ciphers. */
export type NativeSealer = { readonly __nativeSealer: unique symbol };

/** One sealed batch: message i's payload is payloads[offsets[i], offsets[i+1]), its commitment commitments[32i, 32i+32). */
export interface SealedBatch {
  payloads: Uint8Array;
  offsets: Uint32Array;
  commitments: Uint8Array | null;
}

/** A bank's multi-index, built by matchIndex and held by native code (see src/match.c). */
export type NativeBankIndex = { readonly __nativeBankIndex: unique symbol };

export interface NativeKernels {
  readonly path: string;
  /** A sealer; `slots` bounds its conversation-cipher cache (a power of two, at most 16384; 1024 by default). */
  sealerNew(frankingSecret: Uint8Array, conversationsSecret: Uint8Array, frank: boolean, slots?: number): NativeSealer;
  /**
   * Seals a batch (the JavaScript twin is Sealer in @blindspot/core/world): message i's
   * plaintext is plain[spans[2i], spans[2i+1]), encrypted when encrypted[i] is not 0 in
   * conversation places[2i] with nonce counter places[2i+1]; ids[i] is its message id.
   */
  sealBatch(sealer: NativeSealer, plain: Uint8Array, spans: Uint32Array, encrypted: Uint8Array, places: Float64Array, ids: Float64Array): SealedBatch;
  /** The conversation cache's size and its hits and misses so far. */
  sealerStats(sealer: NativeSealer): { slots: number; hits: number; misses: number };
  /** The multi-index of a bank's entries (size × 32 bytes); throws on a malformed bank. */
  matchIndex(entries: Uint8Array): NativeBankIndex;
  /** Bytes the index holds. */
  matchIndexBytes(index: NativeBankIndex): number;
  /**
   * Per query (n × 32 bytes): the closest entry within maxDistance (lowest index on ties)
   * into outIndex and its distance into outDistance, or −1 and −1. `index` null scans the
   * bank; strategy 0 chooses, 1 probes, 2 sweeps, 3 scans. Throws on malformed arguments.
   */
  matchMany(
    index: NativeBankIndex | null,
    entries: Uint8Array,
    queries: Uint8Array,
    maxDistance: number,
    outIndex: Int32Array,
    outDistance: Int32Array,
    strategy?: number,
  ): void;
  /** How popcount runs: "popcnt" (the instruction, found at run time), "builtin" or "portable". */
  matchKernel(): string;
}

function load(): NativeKernels | null {
  if (process.env.BLINDSPOT_NATIVE === '0') return null;
  const require = createRequire(import.meta.url);
  const path = new URL('../build/Release/blindspot_native.node', import.meta.url).pathname;
  try {
    const kernels = require(path) as Omit<NativeKernels, 'path'>;
    return { ...kernels, path };
  } catch {
    return null;
  }
}

export const native: NativeKernels | null = load();
