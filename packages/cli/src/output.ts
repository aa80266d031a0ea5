/**
 * Where results are written, so that no run silently replaces an earlier one:
 *
 * - Without --out, every invocation writes into a new folder under the results folder
 *   (BLINDSPOT_OUT, else ./results), named after when it started, the command and the
 *   scenarios, e.g. results/2026-12-01-0745-compare-plaintext-e2ee/ (with -2, -3, ...
 *   if that exists), and points results/latest at it (a symbolic link; where links
 *   cannot be made, results/latest.txt holds the folder's name).
 * - With --out <dir>, the files go into that folder; it is refused up front if it is a
 *   file, cannot be written, or already holds a file this command would write, unless
 *   --force.
 *
 * Both checks run before any work: the names of the files are known once the scenario
 * files are read, and are planned then.
 */
import { accessSync, constants, lstatSync, mkdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from './load';

/**
 * A document as the command line prints and writes it: indented JSON and a newline.
 * JSON escapes C0 control characters itself; DEL and C1 (which some terminals obey as
 * commands, e.g. U+009B as CSI) are escaped too, so the document is safe to print. They
 * can only occur inside strings, so the document's values are unchanged.
 */
export const jsonText = (doc: unknown): string =>
  `${JSON.stringify(doc, null, 2).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;

/**
 * Text for a terminal: every control character (C0 but the newline and tab, DEL, C1)
 * written out as a visible escape (\x1b), so a scenario's name, a file name or a typed
 * argument cannot set the window title, clear the screen or move the cursor. The
 * command line's own control sequences (the progress bar's) are added after this.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A file a command will write, named before the work starts, rendered after it. */
export interface PlannedFile<R> {
  name: string;
  render(result: R): string;
}

export type Destination =
  /** --out: exactly this folder. */
  | { kind: 'given'; dir: string; force: boolean }
  /** A new folder under `root` for this invocation. */
  | { kind: 'fresh'; root: string };

const DEFAULT_RESULTS = 'results';
const LATEST = 'latest';

/** The path's stat, or undefined if nothing is there (also when a file stands where a folder on the way should be). */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * Why `path` cannot hold results, or null: it (or a folder on the way to it) is a
 * file, or it, or the nearest folder above it that exists, cannot be written.
 */
export function folderProblem(path: string): string | null {
  const st = statOf(path);
  if (st && !st.isDirectory()) return 'is a file, not a folder; give a folder for the results';
  if (st) return writable(path) ? null : 'is a folder this user cannot write to';
  let parent = dirname(resolve(path));
  for (let p = statOf(parent); !p; p = statOf(parent)) {
    const up = dirname(parent);
    if (up === parent) return 'cannot be created';
    parent = up;
  }
  if (!statOf(parent)?.isDirectory()) return `cannot be created: ${parent} is a file`;
  return writable(parent) ? null : `cannot be created: ${parent} is a folder this user cannot write to`;
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where this invocation writes, checked before any work (an InputError names the option or variable). */
export function destinationOf(out: string | undefined, force: boolean, env: NodeJS.ProcessEnv = process.env): Destination {
  if (out !== undefined) {
    const problem = folderProblem(out);
    if (problem) throw new InputError([`--out ${out}: ${problem}`]);
    return { kind: 'given', dir: out, force };
  }
  if (force) throw new InputError(['--force is only for --out <dir>: without --out every run writes a new folder, and nothing is overwritten']);
  const root = env.BLINDSPOT_OUT || DEFAULT_RESULTS;
  const problem = folderProblem(root);
  if (problem) {
    const what = env.BLINDSPOT_OUT ? `BLINDSPOT_OUT=${root}` : `the results folder ${root}`;
    throw new InputError([`${what} ${problem} (or give --out <dir>)`]);
  }
  return { kind: 'fresh', root };
}

/**
 * Refuses, before any work, to write into a --out folder that already holds a file of
 * this plan (unless --force): one line naming the option, the files and the remedies.
 */
export function checkCollisions(dest: Destination, names: readonly string[]): void {
  if (dest.kind !== 'given' || dest.force) return;
  const existing = names.filter((n) => statOf(join(dest.dir, n)) !== undefined);
  if (existing.length === 0) return;
  const which =
    existing.length === 1
      ? (existing[0] as string)
      : `${existing[0]} and ${existing.length - 1} more file${existing.length === 2 ? '' : 's'} this command writes`;
  throw new InputError([`--out ${dest.dir}: already holds ${which}; give another folder, leave out --out for a new folder, or add --force to overwrite`]);
}

/** A name for files: letters (any script), digits, `.`, `_` and `-`; never empty, never hidden. */
export function fileStem(name: string): string {
  const stem = name
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60)
    .replace(/[-.]+$/, '');
  return stem || 'scenario';
}

/**
 * Hands out stems whose files clash with no file handed out before (ignoring case, as
 * some file systems do): `e2ee`, then `e2ee-2`, `e2ee-3`, ...
 */
export class FileNames {
  private readonly taken = new Set<string>();

  claim<R>(stem: string, filesOf: (stem: string) => PlannedFile<R>[]): PlannedFile<R>[] {
    for (let n = 1; ; n++) {
      const files = filesOf(n === 1 ? stem : `${stem}-${n}`);
      if (files.every((f) => !this.taken.has(f.name.toLowerCase()))) {
        for (const f of files) this.taken.add(f.name.toLowerCase());
        return files;
      }
    }
  }
}

/** `2026-12-01-0745`: when the invocation started, in local time. */
function stamp(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}-${two(at.getHours())}${two(at.getMinutes())}`;
}

/** The name of a fresh folder: start time, command and scenario stems, kept short. */
export function folderName(started: Date, command: string, stems: readonly string[]): string {
  let tail = stems.join('-');
  if (tail.length > 60) tail = `${tail.slice(0, 60).replace(/[-.]+$/, '')}-and-more`;
  return `${stamp(started)}-${command}${tail ? `-${tail}` : ''}`;
}

/** Makes a folder of its own under `root`: `name`, else `name-2`, `name-3`, ... */
function claimFolder(root: string, name: string): string {
  mkdirSync(root, { recursive: true });
  for (let n = 1; ; n++) {
    const dir = join(root, n === 1 ? name : `${name}-${n}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * Points `root/latest` at `folder` (a relative link, so the results folder can move or
 * be mounted elsewhere), replacing an earlier link in one step. Where no link can be
 * made, or `latest` is something else, writes `root/latest.txt` instead. Returns what it
 * wrote.
 */
export function pointLatest(root: string, folder: string): string {
  const link = join(root, LATEST);
  const tmp = join(root, `.${LATEST}-${process.pid}`);
  try {
    const existing = lstatSync(link, { throwIfNoEntry: false });
    if (existing && !existing.isSymbolicLink()) throw new Error(`${link} is not a link`);
    rmSync(tmp, { force: true });
    symlinkSync(folder, tmp, 'dir');
    renameSync(tmp, link);
    return link;
  } catch {
    rmSync(tmp, { force: true });
    const pointer = join(root, `${LATEST}.txt`);
    writeFileSync(pointer, `${folder}\n`);
    return pointer;
  }
}

export interface Written {
  dir: string;
  paths: string[];
  /** The link (or pointer file) now naming `dir`, for a fresh folder. */
  latest?: string;
}

/** Writes the planned files (after the work), into the given folder or a fresh one. */
export function writeFiles<R>(dest: Destination, folder: () => string, files: readonly PlannedFile<R>[], result: R): Written {
  const dir = dest.kind === 'given' ? dest.dir : claimFolder(dest.root, folder());
  mkdirSync(dir, { recursive: true });
  const paths = files.map((f) => {
    const path = join(dir, f.name);
    writeFileSync(path, f.render(result));
    return path;
  });
  if (dest.kind === 'given') return { dir, paths };
  return { dir, paths, latest: pointLatest(dest.root, basename(dir)) };
}

/** The lines that say where the results went. */
export function writtenLines(w: Written): string[] {
  const lines = w.paths.map((p) => `wrote ${p}`);
  if (w.latest) lines.push(`${w.latest} now points to ${w.dir}`);
  return lines.map(printable);
}
