/** Reads and validates scenario files for the command line. */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { relative, isAbsolute } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { LIMITS, parseScenario, formatProblem, memoryProblem, type MemoryCheckOptions, type Problem, type Scenario } from '@blindspot/core/scenario';

export class InputError extends Error {
  override name = 'InputError';
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

/** Problems printed at most, in one refusal or for one file `validate` checks: a hostile file can have tens of thousands. */
export const PRINTED_PROBLEMS = 50;

/**
 * The problem lines as printed: all of them, or the first PRINTED_PROBLEMS and a line
 * saying how many more there are (`validate --json` lists every one).
 */
export function printedProblems(lines: readonly string[]): string[] {
  if (lines.length <= PRINTED_PROBLEMS) return [...lines];
  const more = (lines.length - PRINTED_PROBLEMS).toLocaleString('en-US');
  return [...lines.slice(0, PRINTED_PROBLEMS), `… and ${more} more problems, not shown (blindspot validate <file> --json lists all of a file's problems)`];
}

export interface LoadedScenario {
  scenario: Scenario;
  /** The path as recorded in results: relative to the working directory where possible. */
  file: string;
}

/** The path as recorded in results: relative to the working directory where possible. */
function recordedPath(path: string): string {
  return isAbsolute(path) ? path : relative(process.cwd(), path) || path;
}

/**
 * A scenario file's text, or an InputError naming the file and why it cannot be read.
 *
 * Only a regular file is read, and at most LIMITS.fileBytes of it: a device
 * (`/dev/zero`, `/dev/urandom`) never ends, a FIFO blocks until someone writes to it, and
 * a huge (or sparse) file would be read whole before its size is checked. The path is
 * checked before it is opened (opening a FIFO blocks), opened without blocking, and the
 * open file checked again (the path may have been swapped in between).
 */
export function readScenarioText(path: string): { text: string; file: string } {
  const file = recordedPath(path);
  const refuse = (why: string): never => {
    throw new InputError([`${file}: cannot read scenario: ${why}`]);
  };
  let fd: number | undefined;
  try {
    const kind = notRegular(statSync(path));
    if (kind) refuse(`${kind}, not a regular file; give the path of a .yaml file`);
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    const swapped = notRegular(stat);
    if (swapped) refuse(`${swapped}, not a regular file; give the path of a .yaml file`);
    if (stat.size > LIMITS.fileBytes) refuse(tooLarge(`has ${stat.size} bytes`));
    // The file may grow while it is read: read one byte past the limit to notice.
    const buffer = Buffer.alloc(Math.min(stat.size, LIMITS.fileBytes) + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > LIMITS.fileBytes) refuse(tooLarge(`grew past ${LIMITS.fileBytes} bytes while it was read`));
    return { text: decodeUtf8(buffer.subarray(0, length), refuse), file };
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : ((err as Error).message.split('\n')[0] ?? 'unreadable');
    throw new InputError([`${file}: cannot read scenario: ${why}`]);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** What a path is when it is not a regular file ("is a directory"), else null. */
function notRegular(stat: Stats): string | null {
  if (stat.isFile()) return null;
  if (stat.isDirectory()) return 'is a directory';
  if (stat.isFIFO()) return 'is a named pipe (FIFO)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'is a device';
  if (stat.isSocket()) return 'is a socket';
  return 'is not a file';
}

function tooLarge(what: string): string {
  return `the file ${what}; a scenario file may have at most ${LIMITS.fileBytes} bytes (the shipped ones have about 6,000)`;
}

/**
 * The bytes as text, refusing what is not UTF-8 (a binary file, or text in another
 * encoding) with the line of the first bad byte, rather than reading it with
 * replacement characters.
 */
function decodeUtf8(bytes: Uint8Array, refuse: (why: string) => never): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    // The line of the first bad byte: decoded leniently, the first replacement character
    // (U+FFFD) that the bytes do not spell themselves (EF BF BD) marks it.
    const lenient = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    let line = 1;
    let byte = 0;
    for (const char of lenient) {
      if (char === '\ufffd' && !(bytes[byte] === 0xef && bytes[byte + 1] === 0xbf && bytes[byte + 2] === 0xbd)) break;
      if (char === '\n') line++;
      byte += Buffer.byteLength(char, 'utf8');
    }
    return refuse(`line ${line} is not UTF-8 text; a scenario file is UTF-8 (is this the scenario file?)`);
  }
}

/** Overrides the memory a run may use (megabytes); by default it is the machine's total memory. */
const MEMORY_LIMIT_ENV = 'BLINDSPOT_MEMORY_LIMIT_MB';

/** The memory a run may use and how to say where that figure comes from. */
function memoryLimit(env: NodeJS.ProcessEnv = process.env): { bytes: number; limitName: string } {
  const raw = env[MEMORY_LIMIT_ENV];
  if (raw === undefined || raw.trim() === '') return { bytes: totalmem(), limitName: 'this machine has' };
  const mb = Number(raw);
  if (!(Number.isFinite(mb) && mb > 0)) throw new InputError([`${MEMORY_LIMIT_ENV}=${raw}: must be a number of megabytes greater than 0, e.g. 8192`]);
  return { bytes: mb * 2 ** 20, limitName: `${MEMORY_LIMIT_ENV} allows` };
}

/**
 * The scenario's memory problem, if a run of it would need more memory than the limit
 * (or more JavaScript heap than Node gives a thread), else null. By default the run is
 * an embedded one, which plays the world's shards, sealing and scanning them, on a thread per core (as runEmbeddedParallel does).
 */
export function memoryCheck(scenario: Scenario, options: MemoryCheckOptions = {}): Problem | null {
  const limit = memoryLimit();
  return memoryProblem(scenario, limit.bytes, {
    scanThreads: availableParallelism(),
    limitName: limit.limitName,
    heapLimitBytes: getHeapStatistics().heap_size_limit,
    ...(limit.limitName.startsWith(MEMORY_LIMIT_ENV) ? {} : { limitHint: ` (or set ${MEMORY_LIMIT_ENV} to the megabytes a run may use)` }),
    ...options,
  });
}

/** Reads and validates a scenario file, refusing it if a run of it would not fit in memory. */
export function loadScenario(path: string): LoadedScenario {
  const { text, file } = readScenarioText(path);
  const parsed = parseScenario(text, file);
  if (!parsed.ok) throw new InputError(parsed.problems.map((p) => formatProblem(file, p)));
  const memory = memoryCheck(parsed.scenario);
  if (memory) throw new InputError([formatProblem(file, memory)]);
  return { scenario: parsed.scenario, file };
}

/** Loads every file, collecting the problems of all of them before refusing. */
export function loadAll(paths: string[]): LoadedScenario[] {
  const loaded: LoadedScenario[] = [];
  const problems: string[] = [];
  for (const p of paths) {
    try {
      loaded.push(loadScenario(p));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      problems.push(...err.lines);
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return loaded;
}
