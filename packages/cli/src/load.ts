/** Reads and validates scenario files for the command line. */
import { readFileSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { parseScenario, formatProblem, type Scenario } from '@blindspot/core/scenario';

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
export function recordedPath(path: string): string {
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

export function loadScenario(path: string): LoadedScenario {
  const { text, file } = readScenarioText(path);
  const parsed = parseScenario(text, file);
  if (!parsed.ok) throw new InputError(parsed.problems.map((p) => formatProblem(file, p)));
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
