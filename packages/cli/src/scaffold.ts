/**
 * `blindspot validate <files...>`: checks scenario files without running them.
 * `blindspot new <name> [--from <scenario>]`: writes a commented scenario to start from.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseScenario, formatProblem } from '@blindspot/core/scenario';
import { InputError, memoryCheck, readScenarioText } from './load';
import { REPO_ROOT } from './spawn';

export interface Validation {
  file: string;
  ok: boolean;
  name?: string;
  problems: string[];
}

/** Every file checked; every problem of every file, one line each. */
export function validateFiles(paths: string[]): Validation[] {
  return paths.map((path) => {
    try {
      const { text, file } = readScenarioText(path);
      const parsed = parseScenario(text, file);
      if (!parsed.ok) return { file, ok: false, problems: parsed.problems.map((p) => formatProblem(file, p)) };
      // A file that would not fit in memory when run is not a usable scenario here.
      const memory = memoryCheck(parsed.scenario);
      if (memory) return { file, ok: false, problems: [formatProblem(file, memory)] };
      return { file, ok: true, name: parsed.scenario.name, problems: [] };
    } catch (err) {
      if (err instanceof InputError) return { file: path, ok: false, problems: err.lines };
      throw err;
    }
  });
}

const SCHEMA = join(REPO_ROOT, 'schema', 'scenario.schema.json');
const MODELINE = /^# yaml-language-server: \$schema=.*$/m;

/** Where `new <name>` writes: a plain name goes to scenarios/<name>.yaml; a path is used as given. */
export function destinationOf(name: string): string {
  if (/\.ya?ml$/i.test(name)) return name;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new InputError([`new: "${name}" is not a usable scenario name (letters, digits, - _ . ; or a path ending in .yaml)`]);
  }
  return join('scenarios', `${name}.yaml`);
}

/** Writes a new scenario copied from `from` (default: the commented base scenario), named after the file. */
export function newScenario(name: string, from?: string): string {
  const target = destinationOf(name);
  if (existsSync(target)) throw new InputError([`new: ${target} already exists; choose another name or remove it first`]);
  const source = from ?? join(REPO_ROOT, 'scenarios', 'plaintext.yaml');
  const { text, file } = readScenarioText(source);
  const parsed = parseScenario(text, file);
  if (!parsed.ok) throw new InputError([`new: ${file} is not a valid scenario to start from:`, ...parsed.problems.map((p) => formatProblem(file, p))]);
  const scenarioName = basename(target).replace(/\.ya?ml$/i, '');
  const schemaPath = relative(resolve(dirname(target)), SCHEMA)
    .split('\\')
    .join('/');
  const modeline = `# yaml-language-server: $schema=${schemaPath}`;
  let out = MODELINE.test(text) ? text.replace(MODELINE, modeline) : `${modeline}\n${text}`;
  out = /^name:.*$/m.test(out) ? out.replace(/^name:.*$/m, `name: ${scenarioName}`) : out.replace(/^seed:/m, `name: ${scenarioName}\nseed:`);
  // The copy must still be a valid scenario.
  const check = parseScenario(out, target);
  if (!check.ok) throw new InputError(check.problems.map((p) => formatProblem(target, p)));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, out);
  return target;
}
