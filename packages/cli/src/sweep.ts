/**
 * `blindspot sweep`: run one scenario once per value of one or more fields, and tabulate.
 *
 *   blindspot sweep <scenario.yaml> --set <field.path>=<v1>,<v2>,... [--set ...] [--json] [--out <dir>] [--seed <n>]
 *
 * Each `--set` value is applied to the parsed YAML document before validation, so a
 * variant is exactly the scenario an analyst would get by editing that one line of the
 * file; its result is the one `run` gives for that edited file (apart from `timing`).
 * Every variant, and the output folder, is checked before anything runs. Runs go to
 * worker threads, at most one per core.
 */
import { availableParallelism } from 'node:os';
import { isNode, parseDocument } from 'yaml';
import { formatProblem, parseScenarioYaml, validateScenario, type Problem, type Scenario } from '@blindspot/core/scenario';
import type { RunResult } from '@blindspot/core';
import { InputError, memoryCheck, readScenarioText } from './load';
import { withSeed } from './options';
import { checkCollisions, destinationOf, jsonText, fileStem, folderName, writeFiles, writtenLines, type Destination, type PlannedFile } from './output';
import { formatSweep, sweepCsv } from './sweep-format';
import { runAllCached } from './analysis/run-cache';
import { replicate, replicationSeeds, type Replicated } from './analysis/replications';
import { perDayCsv, perMonthCsv, renderHtml } from './report-html';

/** A value a `--set` option can give a field: a YAML scalar. */
export type Scalar = string | number | boolean | null;

export interface SetOption {
  /** Dotted field path, e.g. `detection.userReports.probability`. */
  path: string;
  values: Scalar[];
  /** The values as typed, for messages and tables (`0.10` stays `0.10`). */
  raw: string[];
}

/** The most runs one sweep may ask for. */
export const MAX_RUNS = 64;

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const SHAPE = '--set <field.path>=<value>,<value>,...';
/** Names no scenario field has that would reach an object's prototype if set: refused outright. */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

/** Parses one `--set` option; returns it or the problems with it (one line each). */
export function parseSetOption(text: string): { ok: true; set: SetOption } | { ok: false; problems: string[] } {
  const eq = text.indexOf('=');
  if (eq < 0) return { ok: false, problems: [`--set ${text}: expected ${SHAPE} (no "=")`] };
  const path = text.slice(0, eq).trim();
  const list = text.slice(eq + 1);
  if (path === '') return { ok: false, problems: [`--set ${text}: no field path before "=" (expected ${SHAPE})`] };
  if (!path.split('.').every((s) => SEGMENT.test(s))) {
    return { ok: false, problems: [`--set ${text}: "${path}" is not a field path; write field names joined by dots, e.g. detection.userReports.probability`] };
  }
  const reserved = path.split('.').find((s) => RESERVED.has(s));
  if (reserved !== undefined) {
    return {
      ok: false,
      problems: [
        `--set ${text}: "${reserved}" is not a scenario field (the name is reserved); write field names joined by dots, e.g. detection.userReports.probability`,
      ],
    };
  }
  if (list.trim() === '') return { ok: false, problems: [`--set ${text}: no values after "=" (expected ${SHAPE})`] };
  const raw = list.split(',').map((v) => v.trim());
  if (raw.some((v) => v === '')) return { ok: false, problems: [`--set ${text}: an empty value (two commas in a row, or a comma at either end)`] };
  const problems: string[] = [];
  const values: Scalar[] = [];
  const seen = new Map<string, string>();
  for (const r of raw) {
    const parsed = parseScalar(r);
    if (!parsed.ok) {
      problems.push(`--set ${path}=${r}: ${parsed.message}`);
      continue;
    }
    const key = JSON.stringify(parsed.value);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push(`--set ${text}: ${earlier === r ? `${r} is given twice` : `${earlier} and ${r} are the same value`}`);
      continue;
    }
    seen.set(key, r);
    values.push(parsed.value);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, set: { path, values, raw } };
}

/** A value as YAML reads it: `0.03` a number, `true` a boolean, `e2ee` text. */
export function parseScalar(text: string): { ok: true; value: Scalar } | { ok: false; message: string } {
  const doc = parseDocument(text, { logLevel: 'silent' });
  const unreadable = { ok: false as const, message: "not a value YAML can read (quote text with '...')" };
  if (doc.errors.length > 0 || doc.warnings.length > 0) return unreadable;
  // As in the file: a tag (`!!str 5`, `!!binary ...`) would make the value something else than it reads.
  if (isNode(doc.contents) && doc.contents.tag !== undefined) return { ok: false, message: 'a YAML tag is not allowed; give the value plainly' };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 0 });
  } catch {
    return unreadable;
  }
  // A bare `#...` is a YAML comment; only an explicit null spelling means null.
  if (value === null && !/^(null|Null|NULL|~)$/.test(text)) return unreadable;
  if (value !== null && typeof value === 'object')
    return { ok: false, message: 'must be a single value (a number, true/false or text), not a list or mapping' };
  if (typeof value === 'number' && !Number.isFinite(value)) return { ok: false, message: 'must be a finite number' };
  return { ok: true, value: value as Scalar };
}

/** Parses every `--set` option, refusing malformed, repeated or overlapping ones. */
export function parseSets(texts: readonly string[]): SetOption[] {
  const problems: string[] = [];
  const sets: SetOption[] = [];
  for (const text of texts) {
    const r = parseSetOption(text);
    if (!r.ok) problems.push(...r.problems);
    else sets.push(r.set);
  }
  for (let i = 0; i < sets.length; i++) {
    for (let j = 0; j < i; j++) {
      const [a, b] = [sets[j] as SetOption, sets[i] as SetOption];
      if (a.path === b.path)
        problems.push(`--set ${b.path} is given twice; give all its values in one option: --set ${b.path}=${[...a.raw, ...b.raw].join(',')}`);
      else if (b.path.startsWith(`${a.path}.`) || a.path.startsWith(`${b.path}.`)) {
        problems.push(`--set ${a.path} and --set ${b.path} overlap: one is a field inside the other`);
      }
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return sets;
}

/** Every combination of the lists, the first list varying slowest. */
export function cartesian<T>(lists: readonly (readonly T[])[]): T[][] {
  let out: T[][] = [[]];
  for (const list of lists) out = out.flatMap((prefix) => list.map((v) => [...prefix, v]));
  return out;
}

/** Refuses a sweep of more than MAX_RUNS runs, saying where the count comes from. */
export function checkRunCount(sets: readonly SetOption[]): number {
  const runs = sets.reduce((n, s) => n * s.values.length, 1);
  if (runs > MAX_RUNS) {
    const how = sets.length > 1 ? ` (${sets.map((s) => s.values.length).join(' × ')})` : '';
    throw new InputError([`the --set options ask for ${runs} runs${how}; a sweep runs at most ${MAX_RUNS}: give fewer values`]);
  }
  return runs;
}

type Doc = Record<string, unknown>;

const isMapping = (x: unknown): x is Doc => x !== null && typeof x === 'object' && !Array.isArray(x);

/** A deep copy of plain YAML data (shares nothing, even where the file used aliases). */
function copy<T>(x: T): T {
  if (Array.isArray(x)) return x.map(copy) as T;
  if (isMapping(x)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, copy(v)])) as T;
  return x;
}

/**
 * A copy of `doc` with the field at `path` set to `value`, creating missing groups of
 * fields on the way; in a list of named groups (`platforms`) the key after the list's
 * names the entry (`platforms.facebook.members`). Fails if the path runs through
 * something that is not a group of fields (a number, text or other list).
 */
export function applyPath(doc: unknown, path: string, value: Scalar): { ok: true; doc: Doc } | { ok: false; message: string } {
  if (!isMapping(doc)) return { ok: false, message: 'the scenario is not a mapping of fields' };
  const out = copy(doc);
  const keys = path.split('.');
  let node: Doc = out;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i] as string;
    // Own properties only: an inherited one (`constructor`, `__proto__`) is no field of the file.
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    // A list of named groups (platforms): the next key names the entry.
    if (Array.isArray(next) && next.every((e) => isMapping(e) && typeof e.name === 'string')) {
      const name = keys[i + 1] as string;
      const names = next.map((e) => (e as Doc).name as string);
      if (i + 1 === keys.length - 1) return { ok: false, message: `${keys.slice(0, i + 2).join('.')} is a whole entry of ${key}; set one of its fields` };
      const entry = next.find((e) => (e as Doc).name === name);
      if (!entry) return { ok: false, message: `${key} has no entry named ${name} (it has ${names.join(', ')})` };
      node = entry as Doc;
      i++;
      continue;
    }
    if (next === undefined) setOwn(node, key, {});
    else if (!isMapping(next)) {
      return {
        ok: false,
        message: `${keys.slice(0, i + 1).join('.')} is ${describe(next)} in the scenario, not a group of fields`,
      };
    }
    node = node[key] as Doc;
  }
  setOwn(node, keys[keys.length - 1] as string, value);
  return { ok: true, doc: out };
}

/** Sets an own property, as the YAML reader does: assigning to `__proto__` would replace the prototype instead. */
function setOwn(node: Doc, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
}

function describe(x: unknown): string {
  if (x === null) return 'empty';
  if (Array.isArray(x)) return 'a list';
  if (typeof x === 'string') return `the text ${JSON.stringify(x)}`;
  return String(x);
}

/** `a` is `b`, inside `b`, or contains `b`. An empty path (the document) relates to nothing. */
function related(a: string, b: string): boolean {
  if (a === '' || b === '') return false;
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`) || a.startsWith(`${b}[`);
}

export interface Variant {
  /** The value of each `--set` path in this variant. */
  values: Record<string, Scalar>;
  /** The same values as typed. */
  raw: Record<string, string>;
  scenario: Scenario;
}

/**
 * Applies every combination of the `--set` values to `data` (the parsed scenario file)
 * and validates each variant. Throws an InputError naming the `--set` option for every
 * problem (each line once), or returns the variants in sweep order.
 */
export function buildVariants(data: unknown, file: string, sets: readonly SetOption[]): Variant[] {
  checkRunCount(sets);
  const problems = new Set<string>();
  const variants: Variant[] = [];
  const combos = cartesian(sets.map((s) => s.values.map((value, i) => ({ path: s.path, value, raw: s.raw[i] as string }))));
  for (const combo of combos) {
    let doc: unknown = data;
    let broken = false;
    for (const { path, value, raw } of combo) {
      const applied = applyPath(doc, path, value);
      if (!applied.ok) {
        problems.add(`--set ${path}=${raw}: ${applied.message}`);
        broken = true;
        break;
      }
      doc = applied.doc;
    }
    if (broken) continue;
    const checked = validateScenario(doc, file);
    if (!checked.ok) {
      for (const p of checked.problems) problems.add(describeProblem(p, combo, sets));
      continue;
    }
    variants.push({
      values: Object.fromEntries(combo.map((c) => [c.path, c.value])),
      raw: Object.fromEntries(combo.map((c) => [c.path, c.raw])),
      scenario: checked.scenario,
    });
  }
  if (problems.size > 0) throw new InputError([...problems]);
  return variants;
}

/**
 * One line naming the option behind a problem: the `--set` whose field it is (or that
 * is inside or around that field), else every `--set` of the variant.
 */
function describeProblem(p: Problem, combo: { path: string; raw: string }[], sets: readonly SetOption[]): string {
  const own = combo.find((c) => related(p.path, c.path));
  if (own) {
    const where = p.path === own.path ? '' : `${p.path}: `;
    // An unknown field is wrong whatever the value: name the option as given.
    if (p.message.startsWith('unknown field')) {
      const set = sets.find((s) => s.path === own.path);
      return `--set ${own.path}=${set ? set.raw.join(',') : own.raw}: ${where}${p.message}`;
    }
    return `--set ${own.path}=${own.raw}: ${where}${p.message}`;
  }
  return `${combo.map((c) => `--set ${c.path}=${c.raw}`).join(' ')}: ${p.path || '(document)'}: ${p.message}`;
}

/**
 * Reads the scenario file: refuses it (with file, line and field, as `run` does) for any
 * problem a `--set` does not touch; problems at `--set` fields are left to the variants.
 */
export function readScenarioData(path: string, sets: readonly SetOption[]): { data: unknown; file: string } {
  const { text, file } = readScenarioText(path);
  // What makes the file unreadable as plain YAML (a tag, a field given twice) is refused
  // even at a field a --set replaces: the file itself is wrong.
  const yaml = parseScenarioYaml(text);
  if (!yaml.ok) throw new InputError(yaml.problems.map((p) => formatProblem(file, p)));
  const base = validateScenario(yaml.data, file, yaml.doc, yaml.counter);
  if (!base.ok) {
    const own = base.problems.filter((p) => !sets.some((s) => related(p.path, s.path)));
    if (own.length > 0) throw new InputError(own.map((p) => formatProblem(file, p)));
  }
  return { data: yaml.data, file };
}

export interface SweepRun {
  values: Record<string, Scalar>;
  /** The variant's result; with --replications, the mean of its replications. */
  result: RunResult;
  /** With --replications: every figure's mean and interval, every series' band, and each replication's result. */
  replicated?: Omit<Replicated, 'mean'>;
}

/** What `--json` prints and `--out` writes. */
export interface SweepDocument {
  scenario: { name: string; file: string };
  /** With --replications: how many seeds each variant ran at. */
  replications?: number;
  set: { path: string; values: Scalar[] }[];
  runs: SweepRun[];
}

export interface SweepOptions {
  json: boolean;
  /** --out: exactly this folder; else a new folder under the results folder. */
  out?: string;
  force: boolean;
  seed?: number;
  batchSize: number;
  /** The `--set` options as given. */
  set: readonly string[];
  /** Worker threads (default: one per core, at most one per run). */
  workers?: number;
  /** Each variant at this many seeds (default 1). */
  replications?: number;
}

function scenarioName(data: unknown, file: string): string {
  if (isMapping(data) && typeof data.name === 'string' && data.name !== '') return data.name;
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.(ya?ml|json)$/i, '') || 'scenario';
}

/** A sweep checked and planned, ready to run. */
export interface PreparedSweep {
  file: string;
  name: string;
  sets: SetOption[];
  variants: Variant[];
  workers: number;
  dest: Destination;
  files: PlannedFile<SweepDocument>[];
}

/**
 * Everything a sweep checks before it runs, in this order: the output folder, the `--set`
 * options, the scenario file, every variant, and whether the variants fit in memory as
 * many at once as there are workers. Throws an InputError for the first kind of problem found.
 */
function prepareSweep(path: string, options: SweepOptions): PreparedSweep {
  const dest = destinationOf(options.out, options.force);
  const sets = parseSets(options.set);
  if (sets.length === 0) throw new InputError([`sweep needs at least one ${SHAPE}`]);
  checkRunCount(sets);
  if (options.seed !== undefined && sets.some((s) => s.path === 'seed')) {
    throw new InputError(['--seed and --set seed=... both set the seed; give one of them']);
  }
  if ((options.replications ?? 1) > 1 && sets.some((s) => s.path === 'seed')) {
    throw new InputError(['--replications and --set seed=... both choose the seeds; give one of them']);
  }
  const { data, file } = readScenarioData(path, sets);
  const variants = buildVariants(data, file, sets).map((v) => ({ ...v, scenario: withSeed(v.scenario, options.seed) }));
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), variants.length * (options.replications ?? 1)));
  checkSweepMemory(variants, file, workers);

  const name = scenarioName(data, file);
  const stem = `sweep-${fileStem(name)}`;
  const labels = variants.map((v) =>
    Object.entries(v.raw)
      .map(([field, value]) => `${field.split('.').pop()}=${value}`)
      .join(', '),
  );
  const results = (doc: SweepDocument) => doc.runs.map((r) => r.result);
  const files: PlannedFile<SweepDocument>[] = [
    { name: `${stem}.json`, render: jsonText },
    { name: `${stem}.csv`, render: (doc) => sweepCsv(doc) },
    {
      name: `${stem}.html`,
      render: (doc) => renderHtml({ title: `Blindspot sweep: ${name}`, labels, results: results(doc), sweep: { fields: sets.map((s) => s.path) } }),
    },
    { name: `${stem}-per-day.csv`, render: (doc) => perDayCsv(labels, results(doc)) },
    { name: `${stem}-per-month.csv`, render: (doc) => perMonthCsv(labels, results(doc)) },
  ];
  checkCollisions(
    dest,
    files.map((f) => f.name),
  );
  return { file, name, sets, variants, workers, dest, files };
}

/**
 * Refuses a sweep whose runs would not fit in memory: each runs on one thread, as many
 * at once as the sweep has worker threads.
 */
function checkSweepMemory(variants: readonly Variant[], file: string, runsAtOnce: number): void {
  const problems = new Set<string>();
  for (const v of variants) {
    const problem = memoryCheck(v.scenario, { scanThreads: 0, runsAtOnce });
    const sets = Object.entries(v.raw)
      .map(([field, raw]) => `--set ${field}=${raw}`)
      .join(' ');
    if (problem) problems.add(`${sets}: ${formatProblem(file, problem)}`);
  }
  if (problems.size > 0) throw new InputError([...problems]);
}

/** Runs the sweep command; throws InputError for bad input, before anything runs. */
export async function sweep(path: string, options: SweepOptions): Promise<void> {
  const started = new Date();
  const { file, name, sets, variants, workers, dest, files } = prepareSweep(path, options);

  const clock = performance.now();
  const n = options.replications ?? 1;
  // Every variant at the seeds drawn from its own seed: one run each, a --set seed=... is
  // its seed; with replications (which refuse --set seed) every variant has the same seed,
  // so they all run at the same seeds and differ only by their settings.
  const results = await runAllCached(
    variants.flatMap((v) => replicationSeeds(v.scenario.seed, n).map((seed) => ({ scenario: { ...v.scenario, seed }, file, batchSize: options.batchSize }))),
    workers,
    `sweep ${name}${n > 1 ? ` × ${n}` : ''}`,
  );
  const seconds = (performance.now() - clock) / 1000;

  const doc: SweepDocument = {
    scenario: { name, file },
    set: sets.map((s) => ({ path: s.path, values: s.values })),
    ...(n > 1 ? { replications: n } : {}),
    runs: variants.map((v, i) => {
      const own = results.slice(i * n, (i + 1) * n);
      if (n === 1) return { values: v.values, result: own[0] as RunResult };
      const { mean, ...replicated } = replicate(own);
      return { values: v.values, result: mean, replicated };
    }),
  };
  const written = writeFiles(dest, () => folderName(started, 'sweep', [fileStem(name)]), files, doc);

  const runs = results.length;
  const summary = `${runs} run${runs === 1 ? '' : 's'}${n > 1 ? ` (${n} replications of each variant)` : ''} on ${workers} worker${workers === 1 ? '' : 's'} in ${seconds.toFixed(1)} s`;
  if (options.json) {
    process.stdout.write(jsonText(doc));
    process.stderr.write(`sweep: ${summary}\n`);
  } else {
    process.stdout.write(
      `${formatSweep(
        doc,
        variants.map((v) => v.raw),
        summary,
      )}\n`,
    );
  }
  // Paths go to stderr under --json so stdout stays one JSON document.
  for (const line of writtenLines(written)) (options.json ? process.stderr : process.stdout).write(`${line}\n`);
}
