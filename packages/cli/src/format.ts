/** Readable summaries of result documents for terminals. */
import type { RunResult, Route } from '@blindspot/core';

const ROUTE_LABEL: Record<Route, string> = { hashMatch: 'hash match', metadata: 'metadata', userReport: 'user report' };
const ROUTES: Route[] = ['hashMatch', 'metadata', 'userReport'];
const n = (x: number) => x.toLocaleString('en-US');

export function summarize(r: RunResult): string {
  const routes = (rec: Record<Route, number>) => ROUTES.map((k) => `${ROUTE_LABEL[k]} ${n(rec[k])}`).join(' · ');
  const o = r.offenders;
  const lines = [
    `Blindspot: ${r.scenario.name} (${r.scenario.file}, seed ${r.scenario.seed})`,
    `  ${r.timing.transport}, ${r.timing.wallSeconds} s, ${n(r.timing.messagesPerSecond)} messages/s`,
    '',
    `Messages            ${n(r.messages.total)}: encrypted ${n(r.messages.encrypted)} · scanned ${n(r.messages.scanned)} · unscannable ${n(r.messages.unscannable)} · dead-lettered ${n(r.messages.deadLettered)}`,
    `Abusive messages    known images ${n(r.abuse.knownImage)} · grooming ${n(r.abuse.grooming)} · of them encrypted ${n(r.abuse.encrypted)}`,
    `Detections          ${routes(r.detections)}`,
    `Reports to police   ${n(r.reports.total)} (true ${n(r.reports.truePositive)}, false ${n(r.reports.falsePositive)})`,
    `  by route          ${routes(r.reports.byRoute)}`,
    `Offenders reported  ${n(o.reported)} of ${n(o.total)} (sharers ${o.byKind.sharer.reported}/${o.byKind.sharer.total}, groomers ${o.byKind.groomer.reported}/${o.byKind.groomer.total}); innocent accounts reported ${n(r.innocentReported)}`,
    `Review              ${n(r.review.flags)} flags, ${n(r.review.reviewed)} reviewed, ${n(r.review.confirmed)} confirmed, ${n(r.review.rejected)} rejected, backlog ${n(r.review.backlogAtEnd)} (capacity ${n(r.review.capacityPerDay)}/day)`,
  ];
  for (const w of r.warnings) lines.push(`WARNING: ${w}`);
  return lines.join('\n');
}

export interface Change {
  a: number;
  b: number;
  delta: number;
  /** Relative change in percent, null when a is 0. */
  percent: number | null;
}

export function change(a: number, b: number): Change {
  return { a, b, delta: b - a, percent: a === 0 ? null : Math.round(((b - a) / a) * 1000) / 10 };
}

export interface Comparison {
  a: RunResult;
  b: RunResult;
  change: {
    reports: Change;
    byRoute: Record<Route, Change>;
    falsePositive: Change;
    offendersReported: Change;
  };
}

export function compareResults(a: RunResult, b: RunResult): Comparison {
  return {
    a,
    b,
    change: {
      reports: change(a.reports.total, b.reports.total),
      byRoute: {
        hashMatch: change(a.reports.byRoute.hashMatch, b.reports.byRoute.hashMatch),
        metadata: change(a.reports.byRoute.metadata, b.reports.byRoute.metadata),
        userReport: change(a.reports.byRoute.userReport, b.reports.byRoute.userReport),
      },
      falsePositive: change(a.reports.falsePositive, b.reports.falsePositive),
      offendersReported: change(a.offenders.reported, b.offenders.reported),
    },
  };
}

export function formatComparison(c: Comparison): string {
  const { a, b } = c;
  const rows: [string, number, number][] = [
    ['Reports to police', a.reports.total, b.reports.total],
    ...ROUTES.map((k): [string, number, number] => [`  ${ROUTE_LABEL[k]}`, a.reports.byRoute[k], b.reports.byRoute[k]]),
    ['False reports', a.reports.falsePositive, b.reports.falsePositive],
    ['Offenders reported', a.offenders.reported, b.offenders.reported],
    ['  sharers', a.offenders.byKind.sharer.reported, b.offenders.byKind.sharer.reported],
    ['  groomers', a.offenders.byKind.groomer.reported, b.offenders.byKind.groomer.reported],
    ['Innocent accounts reported', a.innocentReported, b.innocentReported],
    ['Detections', 0, 0],
    ...ROUTES.map((k): [string, number, number] => [`  ${ROUTE_LABEL[k]}`, a.detections[k], b.detections[k]]),
    ['Messages', a.messages.total, b.messages.total],
    ['  encrypted', a.messages.encrypted, b.messages.encrypted],
    ['  unscannable', a.messages.unscannable, b.messages.unscannable],
    ['Review backlog at end', a.review.backlogAtEnd, b.review.backlogAtEnd],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length), 10);
  const colA = Math.max(a.scenario.name.length, 12);
  const colB = Math.max(b.scenario.name.length, 12);
  const out = [`${''.padEnd(w0)}  ${a.scenario.name.padStart(colA)}  ${b.scenario.name.padStart(colB)}  change`];
  for (const [label, x, y] of rows) {
    if (label === 'Detections') {
      out.push(label);
      continue;
    }
    const ch = change(x, y);
    const delta = ch.delta === 0 ? '0' : `${ch.delta > 0 ? '+' : '−'}${n(Math.abs(ch.delta))}`;
    const pct = ch.percent === null || ch.delta === 0 ? '' : ` (${ch.percent > 0 ? '+' : '−'}${Math.abs(ch.percent)}%)`;
    out.push(`${label.padEnd(w0)}  ${n(x).padStart(colA)}  ${n(y).padStart(colB)}  ${delta}${pct}`);
  }
  out.push('', `${a.scenario.name}: ${a.timing.transport}, ${a.timing.wallSeconds} s · ${b.scenario.name}: ${b.timing.transport}, ${b.timing.wallSeconds} s`);
  for (const w of [...a.warnings.map((x) => `${a.scenario.name}: ${x}`), ...b.warnings.map((x) => `${b.scenario.name}: ${x}`)]) out.push(`WARNING: ${w}`);
  return out.join('\n');
}
