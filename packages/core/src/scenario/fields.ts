/**
 * The building blocks of the scenario schema, shared by the schema itself and by the
 * route and metadata-rule modules that contribute their blocks to it.
 */
import { z } from 'zod';
import { SURFACES, type Surface } from '../vocabulary';

export const count = (max: number) => z.int().min(0).max(max);
export const positiveCount = (max: number) => z.int().min(1).max(max);
export const probability = z.number().min(0).max(1);
export const rate = (max: number) => z.number().min(0).max(max);

/**
 * Upper bounds on what a scenario may ask for, past which some structure of a run would
 * fail. Whether a run within them fits this machine's memory is checked apart (memory.ts).
 */
export const LIMITS = {
  /**
   * Accounts in all. Some per-account state sits in plain objects (the reporter's, which
   * travels as JSON) and per-batch Maps, which hold at most about 2^24 keys.
   */
  users: 16_000_000,
  days: 3_650,
  messagesPerUserPerDay: 1_000,
  bankSize: 10_000_000,
  /**
   * Contact pairs (about users × contactsPerUser / 2, plus offender networks and mentors'
   * classes): the population's contact rows hold each pair twice and say where each row
   * starts in an Int32Array, so 2 × pairs must stay below 2^31.
   */
  contactPairs: 1_000_000_000,
  /** Characters in a scenario file (the shipped ones have about 6,000). */
  textChars: 1_000_000,
  /** Levels of nested mappings and lists in a scenario file (a scenario needs 5). */
  nesting: 32,
  /**
   * Bytes read of a scenario file: the most that LIMITS.textChars characters take in
   * UTF-8. Reading stops there, so a huge or endless file costs no more than this.
   */
  fileBytes: 4_000_000,
} as const;

/**
 * Characters text fields may not hold: control characters (C0, DEL, C1), line and
 * paragraph separators, bidirectional overrides and isolates (which make text read
 * differently from how it is stored), the byte-order mark, and lone surrogates (half a
 * character, which no file encoding can write). Tab and line feed are allowed where
 * the field may span lines.
 */
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|\p{Cs}/u;

/** The first character of `text` a text field may not hold, or null. */
export function unprintable(text: string, multiline: boolean): { index: number; char: string } | null {
  const re = new RegExp(UNPRINTABLE.source, 'gu');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (multiline && (m[0] === '\n' || m[0] === '\t')) continue;
    return { index: m.index, char: m[0] };
  }
  return null;
}

function describeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (code >= 0xd800 && code <= 0xdfff) return `a lone surrogate (${hex}, half of a character)`;
  if (code === 0) return 'a NUL character (U+0000)';
  return `the unprintable character ${hex}`;
}

/**
 * Text of at most `max` characters, printable: see UNPRINTABLE. `multiline` text
 * (a description) may also hold line breaks and tabs; a one-line text (a name) not.
 */
export const printableText = (max: number, { multiline }: { multiline: boolean }) =>
  z
    .string()
    .max(max)
    .superRefine((text, ctx) => {
      const bad = unprintable(text, multiline);
      if (bad) {
        const allowed = multiline ? 'printable text, line breaks and tabs' : 'printable text on one line';
        ctx.addIssue({ code: 'custom', message: `holds ${describeChar(bad.char)} at character ${bad.index + 1}; it may hold only ${allowed}` });
      }
    });

/** The surfaces a content route runs on. */
export const surfaceList = (fallback: Surface[], what: string) =>
  z
    .array(z.enum(SURFACES))
    .max(SURFACES.length)
    .default(fallback)
    .describe(`Surfaces ${what} runs on: any of dm (direct messages), public (public posts), profile (profile and group photos).`);

/** A sliding window of simulated time, in hours (at most the longest run). */
export const windowHours = (fallback: number, description: string) =>
  z
    .number()
    .positive()
    .max(24 * LIMITS.days)
    .default(fallback)
    .describe(description);
