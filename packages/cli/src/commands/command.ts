/**
 * The shape of one verb of the command line: declared once with its options, usage
 * text and handler; the dispatcher, the help and the suggestions all read it.
 */
import type { OptionDef } from '../args';

export interface Io {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

export type OptionSet = Record<string, OptionDef<unknown>>;

/** The values a verb's handler gets: one per declared option, under the same key. */
export type Values<O extends OptionSet> = { [K in keyof O]: O[K] extends OptionDef<infer T> ? T : never };

export interface Command<O extends OptionSet = OptionSet> {
  name: string;
  /** One line for the list of commands. */
  summary: string;
  /** What follows `blindspot ` in the usage lines. */
  usage: string[];
  /** A few lines of explanation under the usage. */
  about?: string;
  /** How many operands (files, names) it takes, and what to say otherwise. */
  operands: { min: number; max: number; problem: string };
  options: O;
  /** Options of other verbs this one refuses for a reason worth saying. */
  refuse?: Record<string, string>;
  /** Problems between options (e.g. one needs another): usage problems, one line each. */
  check?(values: Values<O>, operands: string[]): string[];
  /**
   * Does the work; returns the exit status. Throws InputError for bad input before any
   * work. Results go to process.stdout; `io` is where the dispatcher writes (help), and
   * its stderr writes what it is given safe for a terminal (no control characters, no
   * passwords): `validate` writes its lines there.
   */
  run(values: Values<O>, operands: string[], io: Io): Promise<number>;
}

/** Keeps each verb's option types while the table holds them all. */
export function defineCommand<O extends OptionSet>(command: Command<O>): Command {
  return command as unknown as Command;
}
