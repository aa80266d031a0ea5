/**
 * Worker threads that run TypeScript.
 *
 * A thread that registered tsx and imported its .ts entry would resolve, transpile and
 * load the whole module graph of @blindspot/core again, through tsx's loader hooks:
 * some 350 ms and 540 ms of CPU to a thread's first message. So each entry is
 * bundled once, by esbuild (worker-bundle.mjs, in a child process), into one file of
 * plain JavaScript, cached under node_modules/.cache/blindspot/workers (or, where that
 * cannot be written, a folder of this user's in the system's temporary folder) and
 * reused while every input is byte for byte the same; the thread loads that file, with
 * no tsx: some 90 ms and 100 ms of CPU. The code is the same, transpiled by the same
 * esbuild as tsx uses, so a thread computes the same.
 *
 * If the bundle cannot be built, a warning says why and the thread runs its entry under
 * tsx as before (slower to start, same result). BLINDSPOT_WORKER_BUNDLE=0 does that
 * always (to compare the two, or to rule the bundle out).
 *
 * On Node 20 a worker's own `execArgv: ['--import', 'tsx']` does not reach the worker's
 * entry module, so a tsx thread registers tsx itself and then imports its entry.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface ThreadOptions {
  /** Where to keep the bundle (default: the repository's node_modules/.cache, else the temporary folder). */
  cacheDir?: string;
}

/** Starts a thread on a TypeScript entry: from its bundle, else under tsx. */
export function startTsWorker(entry: URL, workerData?: unknown, options: ThreadOptions = {}): Worker {
  const bundle = process.env.BLINDSPOT_WORKER_BUNDLE === '0' ? null : workerBundle(entry, options);
  if (!bundle) return startTsxWorker(entry, workerData);
  // The bundle needs no loader: a parent's `--import tsx` would only cost each thread the time to register it.
  return new Worker(bundle, { workerData, execArgv: withoutTsx(process.execArgv) });
}

/** Starts a thread that registers tsx and imports its entry (what a thread did before bundles, and does without one). */
export function startTsxWorker(entry: URL, workerData?: unknown): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}

const BUILDER = fileURLToPath(new URL('./worker-bundle.mjs', import.meta.url));
const CACHE = fileURLToPath(new URL('../../../node_modules/.cache/blindspot/workers', import.meta.url));
/** Time a build may take before it counts as failed (it takes well under a second). */
const BUILD_TIMEOUT_MS = 120_000;

/** Each entry's bundle in this process (built or checked once), or null where it could not be built. */
const bundles = new Map<string, URL | null>();

/**
 * The URL of an entry's current bundle, built if the cached one is missing or stale; null
 * (after a warning saying why) if it cannot be built.
 */
export function workerBundle(entry: URL, options: ThreadOptions = {}): URL | null {
  const key = `${entry.href}\n${options.cacheDir ?? ''}`;
  const known = bundles.get(key);
  if (known !== undefined) return known;
  let bundle: URL | null = null;
  try {
    bundle = pathToFileURL(currentBundle(entry, options.cacheDir ? [options.cacheDir] : [CACHE, userTmp()]));
  } catch (err) {
    process.emitWarning(
      `could not bundle the worker thread entry ${fileURLToPath(entry)}, so its threads run it under tsx (the same results, slower to start): ${err instanceof Error ? err.message : String(err)}`,
      { code: 'BLINDSPOT_WORKER_BUNDLE' },
    );
  }
  bundles.set(key, bundle);
  return bundle;
}

/** This user's own folder in the temporary folder. */
function userTmp(): string {
  return join(tmpdir(), `blindspot-workers-${process.getuid?.() ?? 'user'}`);
}

/** The path of the entry's bundle in the first of `dirs` that holds a current one or can be written; built there if need be. */
export function currentBundle(entry: URL, dirs: readonly string[]): string {
  const source = fileURLToPath(entry);
  const name = `${basename(source, extname(source))}-${sha256(entry.href).slice(0, 16)}.mjs`;
  const refused: string[] = [];
  for (const dir of dirs) {
    const out = join(dir, name);
    if (isCurrent(out)) return out;
    const why = unusable(dir);
    if (why) {
      refused.push(`${dir}: ${why}`);
      continue;
    }
    try {
      execFileSync(process.execPath, [BUILDER, source, out], { stdio: ['ignore', 'ignore', 'pipe'], timeout: BUILD_TIMEOUT_MS, encoding: 'utf8' });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr?.trim();
      throw new Error(stderr || (err instanceof Error ? err.message : String(err)));
    }
    if (!isCurrent(out)) throw new Error(`the bundle ${out} was built but is not current (were its sources changing?)`);
    return out;
  }
  throw new Error(`no folder to keep it in (${refused.join('; ')})`);
}

/** Why a bundle cannot be kept in `dir`, or null: it must be writable, and ours alone (code is loaded from it). */
function unusable(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
    const stat = statSync(dir);
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) return 'owned by another user';
    if (process.platform !== 'win32' && stat.mode & 0o022) return 'writable by others';
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

interface Manifest {
  node: string;
  inputs: Record<string, string>;
}

/** Whether the bundle at `out` exists and was built, by this node version, from inputs that are byte for byte the ones now on disk. */
function isCurrent(out: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as Manifest;
    if (manifest.node !== process.version || !statSync(out).isFile()) return false;
    for (const [path, hash] of Object.entries(manifest.inputs)) if (sha256(readFileSync(path)) !== hash) return false;
    return true;
  } catch {
    return false;
  }
}

function sha256(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** execArgv without a preload of tsx (`--import tsx`, `--import=tsx`, `--require tsx/cjs`, `--loader tsx`...). */
export function withoutTsx(execArgv: readonly string[]): string[] {
  const preload = /^--(import|require|loader|experimental-loader)$|^-r$/;
  const isTsx = (value: string) => /^tsx(\/|$)|[\\/]tsx[\\/]/.test(value);
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string;
    const eq = arg.indexOf('=');
    if (eq > 0 && preload.test(arg.slice(0, eq)) && isTsx(arg.slice(eq + 1))) continue;
    if (preload.test(arg) && i + 1 < execArgv.length && isTsx(execArgv[i + 1] as string)) {
      i++;
      continue;
    }
    kept.push(arg);
  }
  return kept;
}
