/**
 * The native kernels, when this machine built them at install (see build.mjs), else
 * null: each caller then runs its JavaScript twin, which gives the same bytes.
 * BLINDSPOT_NATIVE=0 turns them off (to compare the two, or to rule them out).
 */
import { createRequire } from 'node:module';

/** A bank's multi-index, built by matchIndex and held by native code (see src/match.c). */
export type NativeBankIndex = { readonly __nativeBankIndex: unique symbol };

export interface NativeKernels {
  readonly path: string;
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
