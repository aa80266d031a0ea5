/**
 * The observability profile, checked through Prometheus's own HTTP API while the stack
 * runs: every scrape target is up, each service has as many targets as it has
 * replicas, and every series the Grafana dashboard queries has data, from every
 * replica where a query is per instance. The queries are read from the dashboard's
 * JSON (its `expr` fields), so the check follows the dashboard as it is edited.
 * scripts/compose-e2e.sh runs it; it waits (up to --wait seconds) for Prometheus to
 * discover and scrape replicas that have just started.
 *
 *   node --import tsx scripts/prometheus-check.ts http://127.0.0.1:9090 generator=1 scanner=3 metadata-detector=1 reporter=1
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One query a dashboard panel draws. */
export interface DashboardQuery {
  panel: string;
  expr: string;
}

/** Every `expr` in a Grafana dashboard, with the title of its panel (panels inside rows too). */
export function dashboardQueries(dashboard: unknown): DashboardQuery[] {
  const found: DashboardQuery[] = [];
  const walk = (node: unknown, panel: string): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, panel);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const fields = node as Record<string, unknown>;
    const title = typeof fields.title === 'string' && typeof fields.type === 'string' ? fields.title : panel;
    if (typeof fields.expr === 'string' && fields.expr.trim() !== '') found.push({ panel: title, expr: fields.expr });
    for (const [key, value] of Object.entries(fields)) if (key !== 'expr') walk(value, title);
  };
  walk(dashboard, '(no panel)');
  return found;
}

/** PromQL words that look like series names but are not. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'inf', 'nan']);

/** The series names a PromQL expression reads: not its functions, labels, keywords or literals. */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/__name__\s*=\s*"([^"]+)"/g)) names.add(m[1] as string);
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  for (const m of bare.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*/g)) {
    const word = m[0];
    const next = bare.slice((m.index ?? 0) + word.length).trimStart();
    if (next.startsWith('(') || KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

interface Target {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  health: string;
  lastError?: string;
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** GET from Prometheus's HTTP API; its `data`, or an error carrying Prometheus's own message. */
async function api<T>(base: string, path: string, params: Record<string, string>): Promise<T> {
  const url = new URL(path, base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: { status?: string; data?: T; error?: string; errorType?: string };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${url.pathname} answered ${res.status} with no JSON: ${text.slice(0, 200)}`);
  }
  if (body.status !== 'success') throw new Error(`${body.errorType ?? res.status}: ${body.error ?? text.slice(0, 200)}`);
  return body.data as T;
}

/** The compose service a target was discovered as: the DNS name its address came from. */
function serviceOf(target: Target): string {
  const name = target.discoveredLabels.__meta_dns_name ?? target.labels.job ?? '(unknown)';
  return name.split('.')[0] as string;
}

export interface CheckReport {
  /** What is wrong; empty when everything holds. */
  problems: string[];
  /** What was seen, for the log. */
  seen: string[];
}

/** One look at Prometheus: its targets against the replicas expected (service → count), and the dashboard's queries. */
export async function checkPrometheus(base: string, expected: Record<string, number>, queries: DashboardQuery[]): Promise<CheckReport> {
  const problems: string[] = [];
  const seen: string[] = [];

  const { activeTargets } = await api<{ activeTargets: Target[] }>(base, '/api/v1/targets', { state: 'active' });
  const replicas = new Map<string, string[]>();
  for (const target of activeTargets) {
    const service = serviceOf(target);
    const instance = target.labels.instance ?? '(no instance)';
    replicas.set(service, [...(replicas.get(service) ?? []), instance]);
    if (target.health !== 'up') problems.push(`target ${service} ${instance} is ${target.health}${target.lastError ? `: ${target.lastError}` : ''}`);
  }
  for (const [service, count] of Object.entries(expected)) {
    const got = replicas.get(service)?.length ?? 0;
    if (got !== count) problems.push(`${service}: ${got} scrape target(s), expected ${count}, one per replica`);
  }
  for (const service of replicas.keys()) if (!(service in expected)) problems.push(`${service}: scraped, but no replicas of it were expected`);
  seen.push(`targets: ${[...replicas].map(([service, instances]) => `${service} ${instances.length}`).join(', ') || 'none'}`);
  const instances = [...replicas].flatMap(([service, list]) => list.map((instance) => ({ service, instance })));

  if (queries.length === 0) problems.push('the dashboard has no queries');
  const names = [...new Set(queries.flatMap((q) => metricNames(q.expr)))];
  for (const name of names) {
    const { result } = await api<{ result: Sample[] }>(base, '/api/v1/query', { query: `count by (instance) ({__name__="${name}"})` });
    if (result.length === 0) problems.push(`${name}: no data; the dashboard queries it, so some service must export it`);
    seen.push(`${name}: from ${result.length} instance(s)`);
  }

  for (const { panel, expr } of queries) {
    let result: Sample[];
    try {
      ({ result } = await api<{ result: Sample[] }>(base, '/api/v1/query', { query: expr }));
    } catch (err) {
      problems.push(`panel "${panel}": ${expr}: ${(err as Error).message}`);
      continue;
    }
    if (result.length === 0) {
      problems.push(`panel "${panel}": ${expr}: no data`);
      continue;
    }
    // A query whose series keep their instance label draws one line per replica: every replica must have one.
    const drawn = new Set(result.map((s) => s.metric.instance).filter((i) => i !== undefined));
    if (drawn.size > 0) {
      for (const { service, instance } of instances) if (!drawn.has(instance)) problems.push(`panel "${panel}": ${expr}: no data from ${service} ${instance}`);
    }
    seen.push(`panel "${panel}": ${expr}: ${result.length} series${drawn.size > 0 ? `, one per instance (${drawn.size})` : ''}`);
  }
  return { problems, seen };
}

/** Checks until everything holds or the deadline passes; the last report. */
export async function waitForPrometheus(base: string, expected: Record<string, number>, queries: DashboardQuery[], waitMs: number): Promise<CheckReport> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let report: CheckReport;
    try {
      report = await checkPrometheus(base, expected, queries);
    } catch (err) {
      report = { problems: [`Prometheus at ${base} does not answer: ${(err as Error).message}`], seen: [] };
    }
    if (report.problems.length === 0 || Date.now() > deadline) return report;
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

const USAGE = 'usage: prometheus-check.ts <prometheus url> <service>=<replicas>... [--dashboard <file>] [--wait <seconds>]';

async function main(argv: string[]): Promise<number> {
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
  let dashboardFile = join(repo, 'ops/grafana/dashboards/blindspot.json');
  let waitSeconds = 120;
  let base: string | undefined;
  const expected: Record<string, number> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--dashboard') dashboardFile = argv[++i] ?? '';
    else if (arg === '--wait') waitSeconds = Number(argv[++i]);
    else if (/^https?:\/\//.test(arg)) base = arg;
    else if (/^[a-z][a-z0-9-]*=\d+$/.test(arg)) {
      const [service, count] = arg.split('=') as [string, string];
      expected[service] = Number(count);
    } else {
      process.stderr.write(`prometheus-check: "${arg}" is neither a URL nor <service>=<replicas>\n${USAGE}\n`);
      return 2;
    }
  }
  if (!base || Object.keys(expected).length === 0 || !(waitSeconds >= 0) || !dashboardFile) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const queries = dashboardQueries(JSON.parse(readFileSync(dashboardFile, 'utf8')));
  const started = Date.now();
  const report = await waitForPrometheus(base, expected, queries, waitSeconds * 1_000);
  const took = ((Date.now() - started) / 1_000).toFixed(1);
  if (report.problems.length > 0) {
    process.stderr.write(`prometheus-check: after ${took} s, still:\n${report.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 1;
  }
  for (const line of report.seen) process.stderr.write(`prometheus-check: ${line}\n`);
  process.stderr.write(`prometheus-check: every target up and every dashboard query with data (${took} s)\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
