/** Replications in the terminal: every figure as a mean with its 95% interval, and each change with the interval of the paired differences. */
import { FIGURE_ROWS, valueAt } from '../format';
import { printable } from '../output';
import type { ChangeEstimate, Replicated } from './replications';
import { replicationsFor, type Estimate } from './stats';

/**
 * Decimals worth showing for a value whose interval has half-width h: two significant
 * digits of h, as rounded (9.96 shows as 10, not 10.0).
 */
export function decimalsFor(h: number | null, value: number): number {
  if (h === null || h === 0) return Number.isInteger(value) ? 0 : 1;
  const abs = Math.abs(h);
  let d = 1 - Math.floor(Math.log10(abs));
  if (Number(abs.toFixed(Math.max(0, d))) >= 10 ** (2 - d)) d -= 1;
  return Math.max(0, Math.min(4, d));
}

const fixed = (x: number, d: number) => {
  const s = Math.abs(x).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  return x < 0 && Number(s.replace(/,/g, '')) !== 0 ? `−${s}` : s;
};
const signed = (x: number, d: number) => (x > 0 && Number(fixed(x, d).replace(/,/g, '')) !== 0 ? `+${fixed(x, d)}` : fixed(x, d));

/** `121.3 ± 6.1`: the mean and the half-width of its interval (the mean alone from one replication). */
export function formatEstimate(e: Estimate, sign = false): string {
  const d = decimalsFor(e.halfWidth, e.mean);
  const m = sign ? signed(e.mean, d) : fixed(e.mean, d);
  return e.halfWidth === null ? m : `${m} ± ${fixed(e.halfWidth, d)}`;
}

/** A ratio as a change in percent with its interval: `−71.9% ± 2.4`. */
export function formatPercentChange(r: Estimate | null): string {
  if (r === null) return 'n/a';
  return formatEstimate({ ...r, mean: (r.mean - 1) * 100, low: null, high: null, halfWidth: r.halfWidth === null ? null : r.halfWidth * 100 }, true).replace(
    /^([^ ]+)/,
    '$1%',
  );
}

/** `[115.2, 127.4]`: the interval itself. */
export function formatInterval(e: Estimate): string {
  if (e.low === null || e.high === null) return '';
  const d = decimalsFor(e.halfWidth, e.mean);
  return `[${fixed(e.low, d)}, ${fixed(e.high, d)}]`;
}

const pad = (cells: string[][], align: ('l' | 'r')[]) => {
  const widths = align.map((_, c) => Math.max(...cells.map((row) => (row[c] ?? '').length)));
  return cells.map((row) =>
    row
      .map((x, c) => (align[c] === 'l' ? x.padEnd(widths[c] as number) : x.padStart(widths[c] as number)))
      .join('  ')
      .trimEnd(),
  );
};

const seedsWords = (seeds: readonly number[]) => (seeds.length <= 4 ? seeds.join(', ') : `${seeds.slice(0, 3).join(', ')}, … ${seeds[seeds.length - 1]}`);

/**
 * How many replications an interval of ±`share` of the mean needs for the figure at
 * `path` (from the spread seen), as one sentence; empty when it cannot be said.
 */
export function precisionLine(what: string, e: Estimate | undefined, share = 0.05): string {
  if (!e || e.sd === null || e.mean === 0) return '';
  const target = Math.abs(e.mean) * share;
  return `For ${what} within ±${Math.round(share * 100)}% of the mean (±${fixed(target, decimalsFor(target, target))}), about ${replicationsFor(e.sd, target)} replications are needed (from the spread of these ${e.n}).`;
}

const INTERVAL_WORDS = (n: number) =>
  `Intervals are 95% Student-t intervals over the ${n} replications: mean ± t(0.975, ${n - 1}) × standard deviation / √${n}.`;

/** One scenario's replications: every figure of the table as a mean ± half-width, its interval and its spread. */
export function formatReplicated(rep: Replicated): string {
  const r = rep.mean;
  const cells: string[][] = [['', 'mean ± 95%', 'interval', 'sd', 'min', 'max']];
  const min = (path: string) => Math.min(...rep.runs.map((x) => valueAt(x, path)));
  const max = (path: string) => Math.max(...rep.runs.map((x) => valueAt(x, path)));
  for (const row of FIGURE_ROWS) {
    if ('heading' in row) {
      cells.push([row.label]);
      continue;
    }
    const e = rep.figures[row.path] ?? { mean: 0, low: null, high: null, halfWidth: null, sd: null, n: rep.replications };
    const d = decimalsFor(e.halfWidth, e.mean);
    cells.push([row.label, formatEstimate(e), formatInterval(e), e.sd === null ? '' : fixed(e.sd, d), String(min(row.path)), String(max(row.path))]);
  }
  const lines = [
    `Blindspot: ${r.scenario.name} (${r.scenario.file}), ${rep.replications} replications at seeds ${seedsWords(rep.seeds)}`,
    '',
    ...pad(cells, ['l', 'r', 'r', 'r', 'r', 'r']),
    '',
    INTERVAL_WORDS(rep.replications),
    precisionLine('reports to police', rep.figures['reports.total']),
  ].filter((l, i, all) => l !== '' || all[i - 1] !== '');
  for (const w of r.warnings) lines.push(`WARNING: ${w}`);
  return printable(lines.join('\n'));
}

/**
 * Scenarios replicated at the same seeds: each one's mean ± half-width and, for each
 * after the first, its change against the first with the interval of the paired
 * differences, the change in percent, and (two scenarios) the half-width the change
 * would have if the runs did not share their random numbers.
 */
export function formatReplicatedComparison(reps: readonly Replicated[], changes: readonly Record<string, ChangeEstimate>[]): string {
  const [first] = reps;
  if (!first) return '';
  const two = reps.length === 2;
  const head = ['', ...reps.flatMap((r, i) => (i === 0 ? [r.mean.scenario.name] : [r.mean.scenario.name, 'change', '%', ...(two ? ['if unpaired'] : [])]))];
  const cells: string[][] = [head];
  for (const row of FIGURE_ROWS) {
    if ('heading' in row) {
      cells.push([row.label]);
      continue;
    }
    const out = [row.label];
    reps.forEach((r, i) => {
      const e = r.figures[row.path] ?? { mean: 0, low: null, high: null, halfWidth: null, sd: null, n: r.replications };
      out.push(formatEstimate(e));
      if (i === 0) return;
      const c = changes[i - 1]?.[row.path];
      if (!c) {
        out.push('', '', ...(two ? [''] : []));
        return;
      }
      out.push(formatEstimate(c.difference, true), formatPercentChange(c.ratio));
      if (two) out.push(c.unpaired.halfWidth === null ? '' : `± ${fixed(c.unpaired.halfWidth, decimalsFor(c.difference.halfWidth, c.difference.mean))}`);
    });
    cells.push(out);
  }
  const headline = changes[0]?.['reports.total'];
  const tips = changes[0]?.['cyberTips.reports'];
  const ratioWords = (what: string, c: ChangeEstimate | undefined) =>
    c?.ratio
      ? `${what}: ${(reps[1] as Replicated).mean.scenario.name} / ${first.mean.scenario.name} = ${formatEstimate(c.ratio)} ${formatInterval(c.ratio)}`
      : '';
  const lines = [
    `Blindspot: ${reps.map((r) => r.mean.scenario.name).join(' and ')}, ${first.replications} replications each at the same seeds ${seedsWords(first.seeds)}`,
    '',
    ...pad(cells, ['l', ...head.slice(1).map(() => 'r' as const)]),
    '',
    ratioWords('Reports to police', headline),
    ratioWords('CyberTips', tips),
    INTERVAL_WORDS(first.replications),
    `A change's interval is from the paired differences (replication k of every scenario at the same seed, so they share their random numbers wherever their settings agree); ${two ? '"if unpaired" is the half-width Welch\'s interval would give for independent runs; ' : ''}the % change is the ratio of the means, with a delta-method interval.`,
    precisionLine('the change in reports to police', headline?.difference),
  ].filter((l, i, all) => l !== '' || all[i - 1] !== '');
  for (const r of reps) for (const w of r.mean.warnings) lines.push(`WARNING: ${r.mean.scenario.name}: ${w}`);
  return printable(lines.join('\n'));
}
