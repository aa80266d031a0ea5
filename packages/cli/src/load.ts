/** Reads and validates scenario files for the command line. */
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { relative, isAbsolute } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { parseScenario, formatProblem, memoryProblem, type MemoryCheckOptions, type Problem, type Scenario } from '@blindspot/core/scenario';

export class InputError extends Error {
  override name = 'InputError';
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
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

/** A scenario file's text, or an InputError naming the file and why it cannot be read. */
export function readScenarioText(path: string): { text: string; file: string } {
  const file = recordedPath(path);
  try {
    return { text: readFileSync(path, 'utf8'), file };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new InputError([`${file}: cannot read scenario: ${why}`]);
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
 * an embedded one, which seals and scans on every core but one (as runEmbeddedParallel does).
 */
export function memoryCheck(scenario: Scenario, options: MemoryCheckOptions = {}): Problem | null {
  const limit = memoryLimit();
  return memoryProblem(scenario, limit.bytes, {
    scanThreads: Math.max(1, availableParallelism() - 1),
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
