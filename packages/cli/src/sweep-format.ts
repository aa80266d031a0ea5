/** Tables, trend lines and CSV for `blindspot sweep`. */
import { csvLine, type Figure, headlineFigures, ROUTE_COUNT_KINDS, ROUTE_COUNTS } from './figures';
import { platformTable } from './format';
import { printable } from './output';
import type { Scalar, SweepDocument, SweepRun } from './sweep';
import type { RunResult } from '@blindspot/core';
import { formatEstimate } from './analysis/replications-format';

const n = (x: number) => x.toLocaleString('en-US');

/** Short, unambiguous column headers for the set paths: the fewest trailing field names. */
export function shortHeaders(paths: readonly string[]): string[] {
  const parts = paths.map((p) => p.split('.'));
  return parts.map((segs) => {
    for (let k = 1; k <= segs.length; k++) {
      const tail = segs.slice(-k).join('.');
      const clash = parts.some((other) => other !== segs && other.slice(-k).join('.') === tail);
      if (!clash) return tail;
    }
    return segs.join('.');
  });
}

/** `157 → 78 (−50.3%)`. */
export function movement(a: number, b: number): string {
  const base = `${n(a)} → ${n(b)}`;
  if (a === b) return `${base} (no change)`;
  if (a === 0) return base;
  const pct = Math.round(((b - a) / a) * 1000) / 10;
  const sign = b > a ? '+' : '−';
  return `${base} (${sign}${pct === 0 ? '<0.1' : Math.abs(pct)}%)`;
}

/**
 * A plain-text table. `groups` names runs of adjacent columns (by their first index and
 * count) on a line above the header, for the two counts by route.
 */
function table(header: string[], rows: string[][], leftColumns: number, groups: { from: number; count: number; title: string }[] = []): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  // A group title wider than its columns widens the group's last column.
  for (const g of groups) {
    const span = widths.slice(g.from, g.from + g.count).reduce((s, w) => s + w, 0) + 2 * (g.count - 1);
    const last = g.from + g.count - 1;
    if (g.title.length > span) widths[last] = (widths[last] ?? 0) + g.title.length - span;
  }
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < leftColumns ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  if (groups.length > 0) {
    const start = (i: number) => widths.slice(0, i).reduce((s, w) => s + w + 2, 0);
    let above = '';
    for (const g of groups) {
      const from = start(g.from);
      const span = start(g.from + g.count) - 2 - from;
      const title = ` ${g.title} `;
      const left = Math.floor((span - title.length) / 2);
      above = above.padEnd(from) + `${'─'.repeat(Math.max(left, 0))}${title}`.padEnd(span, '─');
    }
    out.unshift(above.trimEnd());
  }
  return out;
}

/** Where the route counts of each kind stand among the figures, for the table's group line. */
function routeGroups(figures: readonly Figure[], offset: number): { from: number; count: number; title: string }[] {
  return ROUTE_COUNT_KINDS.flatMap((kind) => {
    const from = figures.findIndex((f) => f.route?.kind === kind);
    const count = figures.filter((f) => f.route?.kind === kind).length;
    return from < 0 ? [] : [{ from: offset + from, count, title: `by route that ${ROUTE_COUNTS[kind].label}` }];
  });
}

/** A figure's cell: its mean ± half-width for replicated runs, else the count. */
function cellOf(replicated: SweepRun['replicated'], f: Figure, r: RunResult): string {
  const e = replicated?.figures[f.key];
  if (e) return formatEstimate(e);
  return f.cell ? f.cell(r) : n(f.value(r));
}

/**
 * The readable report: a title, one row per variant (the values set, then the headline
 * figures), and how each figure moves from the first variant to the last.
 */
export function formatSweep(doc: SweepDocument, raw: readonly Record<string, string>[], summary: string): string {
  const paths = doc.set.map((s) => s.path);
  const results = doc.runs.map((r) => r.result);
  const figures = headlineFigures(results);
  const first = results[0];
  const last = results[results.length - 1];
  const seed = paths.includes('seed') || !first ? '' : `, seed ${first.scenario.seed}`;
  const out = [`Sweep of ${doc.scenario.name} (${doc.scenario.file}${seed}): ${summary}`, ''];
  out.push(
    ...table(
      [...shortHeaders(paths), ...figures.map((f) => f.header)],
      results.map((r, i) => [...paths.map((p) => raw[i]?.[p] ?? ''), ...figures.map((f) => cellOf(doc.runs[i]?.replicated, f, r))]),
      paths.length,
      routeGroups(figures, paths.length),
    ),
    '',
    ...ROUTE_COUNT_KINDS.map((kind) => `By route that ${ROUTE_COUNTS[kind].label}: ${ROUTE_COUNTS[kind].note}.`),
    ...(doc.replications
      ? [`Each row is the mean of ${doc.replications} replications (every variant at the same seeds) ± the half-width of its 95% Student-t interval.`]
      : []),
  );
  if (first && last && results.length > 1) {
    const headers = shortHeaders(paths);
    const describe = (i: number) => paths.map((p, j) => `${headers[j]}=${raw[i]?.[p] ?? ''}`).join(', ');
    out.push('', `From the first run to the last (${describe(0)} → ${describe(results.length - 1)}):`);
    const width = Math.max(...figures.map((f) => f.label.length)) + 1;
    const moves = figures.map((f) => movement(f.value(first), f.value(last)));
    // Line the arrows up: pad what comes before them on the left and the rest on the right.
    const wa = Math.max(...moves.map((m) => m.indexOf(' → ')));
    const wb = Math.max(...moves.map((m) => m.slice(m.indexOf(' → ')).split(' (')[0]?.length ?? 0));
    figures.forEach((f, i) => {
      const m = moves[i] as string;
      const at = m.indexOf(' → ');
      const [to, ...rest] = m.slice(at).split(' (');
      const tail = rest.length > 0 ? ` (${rest.join(' (')}` : '';
      out.push(`${`${f.label}:`.padEnd(width)} ${m.slice(0, at).padStart(wa)}${(to ?? '').padEnd(wb)}${tail}`.trimEnd());
    });
  }
  // A world of several platforms: each run's table of its platforms, named by its values.
  results.forEach((r, i) => {
    const t = platformTable(r, `Platforms with ${paths.map((p, j) => `${shortHeaders(paths)[j]}=${raw[i]?.[p] ?? ''}`).join(', ')}`);
    if (t.length > 0) out.push('', ...t);
  });
  results.forEach((r, i) => {
    for (const w of r.warnings) out.push(`WARNING: ${paths.map((p) => `${p}=${raw[i]?.[p] ?? ''}`).join(', ')}: ${w}`);
  });
  // Names, file names and typed values: no control characters reach the terminal.
  return printable(out.join('\n'));
}

/**
 * One row per variant: the set paths, then the headline figures named as in the result
 * document (`reports.byRoute.*` had a part, `reports.byFirstRoute.*` filed it).
 */
export function sweepCsv(doc: SweepDocument): string {
  const paths = doc.set.map((s) => s.path);
  const figures = headlineFigures(
    doc.runs.map((r) => r.result),
    { allRoutes: true },
  );
  const replicated = doc.replications !== undefined;
  // With replications: each figure's mean, then the half-width of its 95% interval.
  const columns = [
    ...paths,
    ...figures.flatMap((f) => [f.key, ...(replicated ? [`${f.key}.halfWidth`] : []), ...(f.key === 'offenders.reported' ? ['offenders.total'] : [])]),
  ];
  const lines = [csvLine(columns)];
  for (const run of doc.runs) {
    const cells: (Scalar | number | undefined)[] = paths.map((p) => run.values[p]);
    for (const f of figures) {
      cells.push(f.value(run.result));
      if (replicated) cells.push(run.replicated?.figures[f.key]?.halfWidth ?? undefined);
      if (f.key === 'offenders.reported') cells.push(run.result.offenders.total);
    }
    lines.push(csvLine(cells));
  }
  return `${lines.join('\n')}\n`;
}
