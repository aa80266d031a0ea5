/**
 * The assumptions a sensitivity analysis or a calibration varies: `--vary
 * <field.path>=<low>..<high>`, or by default every number the scenario file marks
 * "assumption" in its comments, from half to one and a half times its value (within the
 * field's own bounds). A factor's value is applied to the parsed YAML, as `sweep --set`
 * applies its values, and every variant is validated before anything runs.
 */
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { scenarioFields } from '@blindspot/core/schema-doc';
import { InputError } from '../load';
import { applyPath, parseSetOption } from '../sweep';

export interface Factor {
  /** Dotted field path, as `--set` takes it. */
  path: string;
  low: number;
  high: number;
  /** A whole-number field: values are rounded. */
  integer: boolean;
  /** Its value in the scenario file (null if the file leaves it to the default). */
  base: number | null;
  /** Where it comes from: a --vary option, or an "assumption" comment in the file. */
  from: 'vary' | 'assumption';
}

const SHAPE = '--vary <field.path>=<low>..<high>';

/**
 * The schema's type and bounds of a field, by its dotted path (a platform entry by name).
 * A platform's own sections (`platforms.<name>.surfaces`, `.detection`, `.review`) are
 * the scenario's sections of the same names, which the schema lists once, at the top.
 */
export function fieldInfo(path: string): { integer: boolean; min?: number; max?: number; exclusiveMin?: boolean } | null {
  const fields = scenarioFields();
  const platformField = /^platforms\.[^.]+\.(.+)$/.exec(path)?.[1];
  const f =
    platformField === undefined
      ? fields.find((x) => x.path === path)
      : (fields.find((x) => x.path === `platforms[].${platformField}`) ?? fields.find((x) => x.path === platformField));
  if (!f) return null;
  if (f.type !== 'number' && f.type !== 'whole number') return { integer: false };
  const lo = /(≥|>) (-?[\d.e+]+)/.exec(f.range ?? '');
  const hi = /(≤|<) (-?[\d.e+]+)/.exec(f.range ?? '');
  return {
    integer: f.type === 'whole number',
    ...(lo ? { min: Number(lo[2]), exclusiveMin: lo[1] === '>' } : {}),
    ...(hi ? { max: Number(hi[2]) } : {}),
  };
}

/** Parses the --vary options; throws an InputError naming each bad one. */
export function parseVary(texts: readonly string[], data: unknown): Factor[] {
  const problems: string[] = [];
  const factors: Factor[] = [];
  for (const text of texts) {
    const eq = text.indexOf('=');
    const m = /^(-?[\d.]+(?:e[+-]?\d+)?)\.\.(-?[\d.]+(?:e[+-]?\d+)?)$/i.exec(eq < 0 ? '' : text.slice(eq + 1).trim());
    if (eq < 0 || !m) {
      problems.push(`--vary ${text}: expected ${SHAPE}, e.g. --vary detection.userReports.probability=0.01..0.1`);
      continue;
    }
    const path = text.slice(0, eq).trim();
    // The path's own checks are sweep's: field names joined by dots, no reserved names.
    const shape = parseSetOption(`${path}=0`);
    if (!shape.ok) {
      problems.push(...shape.problems.map((p) => p.replace(/^--set [^:]*:/, `--vary ${text}:`)));
      continue;
    }
    const low = Number(m[1]);
    const high = Number(m[2]);
    if (!Number.isFinite(low) || !Number.isFinite(high) || !(low < high)) {
      problems.push(`--vary ${text}: the low end must be below the high end`);
      continue;
    }
    const info = fieldInfo(path);
    const tooLow = info?.min !== undefined && (info.exclusiveMin ? low <= info.min : low < info.min);
    const tooHigh = info?.max !== undefined && high > info.max;
    if (tooLow) problems.push(`--vary ${text}: ${path} must be ${info?.exclusiveMin ? 'above' : 'at least'} ${info?.min}`);
    if (tooHigh) problems.push(`--vary ${text}: ${path} must be at most ${info?.max}`);
    if (tooLow || tooHigh) continue;
    if (factors.some((f) => f.path === path)) {
      problems.push(`--vary ${path} is given twice`);
      continue;
    }
    factors.push({ path, low, high, integer: info?.integer ?? false, base: numberAt(data, path), from: 'vary' });
  }
  if (problems.length > 0) throw new InputError(problems);
  return factors;
}

function numberAt(data: unknown, path: string): number | null {
  let x: unknown = data;
  for (const key of path.split('.')) {
    if (Array.isArray(x)) x = x.find((e) => (e as { name?: unknown })?.name === key);
    else x = x !== null && typeof x === 'object' ? (x as Record<string, unknown>)[key] : undefined;
  }
  return typeof x === 'number' ? x : null;
}

/**
 * Every number the file marks "assumption" in a comment on its line (a flow mapping's
 * comment marks each number in it), with the default range: half to one and a half
 * times its value, within the field's bounds. Zeros have no such range: they are listed
 * in `skipped`, as are fields the schema does not take as numbers.
 */
export function assumptionFactors(text: string): { factors: Factor[]; skipped: string[] } {
  const doc = parseDocument(text, { logLevel: 'silent' });
  const marked = (n: Node | null | undefined) => /\bassumption\b/i.test(`${n?.comment ?? ''}`);
  const found: { path: string; value: number }[] = [];
  const walk = (node: unknown, path: string, inherited: boolean) => {
    if (isMap(node)) {
      const flowMarked = inherited || (node.flow === true && marked(node));
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const p = path ? `${path}.${key}` : key;
        const v = pair.value;
        if (isScalar(v)) {
          if (typeof v.value === 'number' && (flowMarked || marked(v))) found.push({ path: p, value: v.value });
        } else walk(v, p, flowMarked);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) {
        const name = isMap(item) ? item.get('name') : undefined;
        if (typeof name === 'string') walk(item, `${path}.${name}`, inherited);
      }
    }
  };
  walk(doc.contents, '', false);
  const factors: Factor[] = [];
  const skipped: string[] = [];
  for (const { path, value } of found) {
    const info = fieldInfo(path);
    if (!info || value === 0) {
      skipped.push(value === 0 ? `${path} (0: no range to take by default; give one with --vary)` : `${path} (not a number field)`);
      continue;
    }
    // Twelve significant digits: 1.2 × 1.5 is 1.8, not 1.7999999999999998.
    let low = Number((value / 2).toPrecision(12));
    let high = Number((value * 1.5).toPrecision(12));
    if (info.max !== undefined) high = Math.min(high, info.max);
    if (info.min !== undefined) low = Math.max(low, info.min);
    if (info.integer) {
      low = Math.max(info.min ?? 0, Math.floor(low));
      high = Math.ceil(high);
    }
    if (!(low < high)) {
      skipped.push(`${path} (${value}: too small a range)`);
      continue;
    }
    factors.push({ path, low, high, integer: info.integer, base: value, from: 'assumption' });
  }
  return { factors, skipped };
}

/** A factor's value at place x in [0, 1] of its range (rounded for a whole-number field). */
export function factorValue(f: Factor, x: number): number {
  const v = f.low + x * (f.high - f.low);
  return f.integer ? Math.round(v) : Math.round(v * 1e12) / 1e12;
}

/** The parsed file with every factor set to its value at `xs`; or the message why a factor cannot be set. */
export function applyFactors(data: unknown, factors: readonly Factor[], xs: readonly number[]): { ok: true; doc: unknown } | { ok: false; message: string } {
  let doc: unknown = data;
  for (const [i, f] of factors.entries()) {
    const applied = applyPath(doc, f.path, factorValue(f, xs[i] as number));
    if (!applied.ok) return { ok: false, message: `${f.path}: ${applied.message}` };
    doc = applied.doc;
  }
  return { ok: true, doc };
}
