/**
 * The native kernels, when this machine built them at install (see build.mjs), else
 * null: each caller then runs its JavaScript twin, which gives the same bytes.
 * BLINDSPOT_NATIVE=0 turns them off (to compare the two, or to rule them out).
 */
import { createRequire } from 'node:module';

export interface NativeKernels {
  readonly path: string;
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
