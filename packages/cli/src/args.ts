/**
 * The command line's own argument parser. Node's parseArgs would do the splitting, but
 * its messages ("Unknown option '--sede'. To specify a positional argument...") are
 * written for programmers; analysts get one line that names the option and, where a
 * known one is close, the option they probably meant.
 */
import { InputError } from './load';

/** One option as a command declares it; `read` turns what was typed into its value. */
export interface OptionDef<T> {
  /** Without the dashes: `seed` for `--seed`. */
  name: string;
  short?: string;
  /** The placeholder of its value in help (`<n>`); absent for a flag. */
  takes?: string;
  /** May be given more than once (each value is kept). */
  multiple?: boolean;
  /** Help text: one line, or more joined by newlines. */
  help: string;
  /**
   * Every value typed for it, in order ([] when absent; a flag gives '' per use). Throws
   * an OptionProblem for a bad value.
   */
  read(given: string[]): T;
}

/**
 * A bad option value. The option's name is put in front of the message, unless the
 * message already starts with an option or is `verbatim` (it names its own source).
 */
export class OptionProblem extends Error {
  constructor(
    message: string,
    readonly verbatim = false,
  ) {
    super(message);
  }
}

/** A mistake in how the command was typed: printed with a pointer to the verb's help. */
export class UsageError extends InputError {
  override name = 'UsageError';
  constructor(
    /** The verb whose help to point at, if one was recognised. */
    readonly verb: string | undefined,
    lines: string[],
  ) {
    super(lines);
  }
}

export interface Split {
  /** Every value typed per option name, in order. */
  given: Map<string, string[]>;
  positionals: string[];
  problems: string[];
}

/**
 * Splits argv into positionals and options of `defs`. Accepts `--name value`,
 * `--name=value`, `-h`, and `--` (everything after it is positional). Unknown options
 * are problems, never guesses: `explainUnknown` says what to say about each.
 */
export function splitArgs(argv: readonly string[], defs: readonly OptionDef<unknown>[], explainUnknown: (option: string) => string): Split {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const byShort = new Map(defs.filter((d) => d.short).map((d) => [d.short as string, d]));
  const given = new Map<string, string[]>();
  const positionals: string[] = [];
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    // A lone '-' and negative numbers are values, not options.
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const eq = long ? arg.indexOf('=') : -1;
    const typed = eq >= 0 ? arg.slice(0, eq) : arg;
    const def = long ? byName.get(typed.slice(2)) : byShort.get(typed.slice(1));
    if (!def) {
      problems.push(explainUnknown(typed));
      continue;
    }
    const list = given.get(def.name) ?? [];
    given.set(def.name, list);
    if (def.takes === undefined) {
      if (eq >= 0) problems.push(`--${def.name} takes no value (remove "=${arg.slice(eq + 1)}")`);
      list.push('');
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) value = argv[++i];
    if (value === undefined) {
      problems.push(`--${def.name} needs a value: --${def.name} ${def.takes}`);
      continue;
    }
    if (!def.multiple && list.length > 0) {
      problems.push(`--${def.name} is given twice (${list[0]} and ${value}); give it once`);
      continue;
    }
    list.push(value);
  }
  return { given, positionals, problems };
}

/** Reads every option's value, under its key in `defs`; a bad value becomes a problem naming the option. */
export function readOptions(defs: Record<string, OptionDef<unknown>>, given: Map<string, string[]>, problems: string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(defs)) {
    try {
      values[key] = def.read(given.get(def.name) ?? []);
    } catch (err) {
      if (!(err instanceof OptionProblem)) throw err;
      problems.push(err.verbatim || err.message.startsWith('--') ? err.message : `--${def.name} ${err.message}`);
    }
  }
  return values;
}

/**
 * Edit distance with adjacent transpositions counted as one edit (optimal string
 * alignment), so `sede` is one step from `seed`.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * The candidate the typed word most likely meant: the only one it is a prefix of, else
 * the nearest within a small number of edits (one for short words, two for longer), else
 * undefined. Case is ignored.
 */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  const t = typed.toLowerCase();
  if (t === '') return undefined;
  const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(t));
  if (prefixed.length === 1) return prefixed[0];
  const limit = t.length <= 3 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const distance = editDistance(t, c.toLowerCase());
    if (distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  return best;
}
