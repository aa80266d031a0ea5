/** Helpers for the command line's unit tests (not part of the command). */
import { InputError } from './load';

/** The lines of the InputError `fn` throws; fails if it throws anything else, or nothing. */
export function refusal(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err.lines;
    throw err;
  }
  throw new Error('expected an InputError, but nothing was refused');
}
