/** Tables, trend lines and CSV for `blindspot sweep`. */
import type { RunResult } from '@blindspot/core';
import type { Scalar, SweepDocument } from './sweep';

const n = (x: number) => x.toLocaleString('en-US');

const ROUTE_LABEL: Record<string, string> = { hashMatch: 'hash match', metadata: 'metadata', userReport: 'user report' };

/** `hashMatch` → `hash match`; routes added to the model later get a label too. */
export function routeLabel(route: string): string {
  return ROUTE_LABEL[route] ?? route.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/** A headline figure of a run: a table column, a trend line and a CSV column. */
export interface Figure {
  /** Where it is in the result document; the CSV header. */
  key: string;
  /** Short table header. */
  header: string;
  /** Full name, for the trend lines. */
  label: string;
  value: (r: RunResult) => number;
  /** Table cell, if not just the number. */
  cell?: (r: RunResult) => string;
}

const byRoute = (r: RunResult, route: string) => (r.reports.byRoute as Record<string, number>)[route] ?? 0;

/** The headline figures, with one column per route found in the results. */
export function headlineFigures(results: readonly RunResult[]): Figure[] {
  const routes: string[] = [];
  for (const r of results) for (const k of Object.keys(r.reports.byRoute)) if (!routes.includes(k)) routes.push(k);
  return [
    { key: 'reports.total', header: 'reports', label: 'reports to police', value: (r) => r.reports.total },
    ...routes.map((k): Figure => ({ key: `reports.byRoute.${k}`, header: routeLabel(k), label: `  by ${routeLabel(k)}`, value: (r) => byRoute(r, k) })),
    { key: 'reports.truePositive', header: 'true', label: 'true reports (offenders)', value: (r) => r.reports.truePositive },
    { key: 'reports.falsePositive', header: 'false', label: 'false reports (innocent accounts)', value: (r) => r.reports.falsePositive },
    {
      key: 'offenders.reported',
      header: 'offenders',
      label: 'offenders reported',
      value: (r) => r.offenders.reported,
      cell: (r) => `${n(r.offenders.reported)} of ${n(r.offenders.total)}`,
    },
    { key: 'innocentReported', header: 'innocent', label: 'innocent accounts reported', value: (r) => r.innocentReported },
    { key: 'messages.unscannable', header: 'unscannable', label: 'messages unscannable', value: (r) => r.messages.unscannable },
  ];
}

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

function table(header: string[], rows: string[][], leftColumns: number): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < leftColumns ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
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
      results.map((r, i) => [...paths.map((p) => raw[i]?.[p] ?? ''), ...figures.map((f) => (f.cell ? f.cell(r) : n(f.value(r))))]),
      paths.length,
    ),
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
  results.forEach((r, i) => {
    for (const w of r.warnings) out.push(`WARNING: ${paths.map((p) => `${p}=${raw[i]?.[p] ?? ''}`).join(', ')}: ${w}`);
  });
  return out.join('\n');
}

function csvCell(v: Scalar | number | undefined): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per variant: the set paths, then the headline figures (result-document names). */
export function sweepCsv(doc: SweepDocument): string {
  const paths = doc.set.map((s) => s.path);
  const figures = headlineFigures(doc.runs.map((r) => r.result));
  const columns = [...paths, ...figures.flatMap((f) => (f.key === 'offenders.reported' ? [f.key, 'offenders.total'] : [f.key]))];
  const lines = [columns.map(csvCell).join(',')];
  for (const run of doc.runs) {
    const cells: (Scalar | number | undefined)[] = paths.map((p) => run.values[p]);
    for (const f of figures) {
      cells.push(f.value(run.result));
      if (f.key === 'offenders.reported') cells.push(run.result.offenders.total);
    }
    lines.push(cells.map(csvCell).join(','));
  }
  return `${lines.join('\n')}\n`;
}
