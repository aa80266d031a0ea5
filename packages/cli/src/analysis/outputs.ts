/**
 * What a sensitivity analysis or a calibration measures of a run: a figure of the
 * result document by its path, or, against a baseline scenario run at the same seed,
 * the figure's drop (1 − scenario / baseline), ratio or change.
 *
 *   reports.total              the scenario's reports to police
 *   drop:reports.total         1 − scenario / baseline (the default with --against)
 *   ratio:cyberTips.reports    scenario / baseline
 *   change:police.arrests      scenario − baseline
 */
import type { RunResult } from '@blindspot/core';
import { InputError } from '../load';
import { figuresOf } from './replications';

export const OUTPUT_KINDS = ['value', 'drop', 'ratio', 'change'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

export interface OutputSpec {
  kind: OutputKind;
  path: string;
  /** As given (or the default), for tables and files. */
  text: string;
}

const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/;

/** Parses an output; `withBaseline`: a baseline scenario is given, so drop, ratio and change are possible. */
export function parseOutput(text: string, withBaseline: boolean, option = '--output'): OutputSpec {
  const colon = text.indexOf(':');
  const kind = (colon < 0 ? 'value' : text.slice(0, colon)) as OutputKind;
  const path = colon < 0 ? text : text.slice(colon + 1);
  if (!OUTPUT_KINDS.includes(kind) || (kind === 'value' && colon >= 0)) {
    throw new InputError([
      `${option} ${text}: "${text.slice(0, colon)}" is not a kind of output; write a figure's path (reports.total), or drop:, ratio: or change: before it`,
    ]);
  }
  if (!PATH.test(path)) throw new InputError([`${option} ${text}: "${path}" is not a figure's path; write names joined by dots, e.g. cyberTips.reports`]);
  if (kind !== 'value' && !withBaseline)
    throw new InputError([`${option} ${text}: ${kind}: compares with a baseline scenario; give one with --against <baseline.yaml>`]);
  return { kind, path, text };
}

/** The default output: the drop in reports to police against the baseline, or the scenario's reports to police. */
export const defaultOutput = (withBaseline: boolean): OutputSpec =>
  withBaseline ? { kind: 'drop', path: 'reports.total', text: 'drop:reports.total' } : { kind: 'value', path: 'reports.total', text: 'reports.total' };

/** Words for tables: "the drop in reports.total against platform". */
export function outputWords(o: OutputSpec, baseline?: string): string {
  const against = baseline ? ` against ${baseline}` : '';
  switch (o.kind) {
    case 'value':
      return o.path;
    case 'drop':
      return `the drop in ${o.path}${against} (1 − scenario / baseline)`;
    case 'ratio':
      return `${o.path} as a share of the baseline's${against}`;
    case 'change':
      return `the change in ${o.path}${against} (scenario − baseline)`;
  }
}

/**
 * Refuses an output whose path is no figure of a result like `sample` (a result of the
 * same scenario), suggesting the nearest figure paths.
 */
export function checkOutputPath(o: OutputSpec, sample: RunResult, option = '--output'): void {
  const paths = [...figuresOf(sample).keys()];
  if (paths.includes(o.path)) return;
  const last = o.path.split('.').pop() ?? '';
  const near = paths.filter((p) => p.endsWith(`.${last}`) || p.startsWith(o.path.split('.')[0] ?? '')).slice(0, 6);
  throw new InputError([`${option} ${o.text}: ${o.path} is not a figure of the result${near.length > 0 ? `; figures near it: ${near.join(', ')}` : ''}`]);
}

/** The output of one run (and its baseline at the same seed); NaN where a ratio has nothing to divide by. */
export function outputOf(o: OutputSpec, r: RunResult, baseline?: RunResult): number {
  const v = figuresOf(r).get(o.path) ?? Number.NaN;
  if (o.kind === 'value') return v;
  const b = baseline ? (figuresOf(baseline).get(o.path) ?? Number.NaN) : Number.NaN;
  if (o.kind === 'change') return v - b;
  if (b === 0) return Number.NaN;
  return o.kind === 'ratio' ? v / b : 1 - v / b;
}
