/**
 * scripts/prometheus-check.ts, which CI runs against the compose stack's Prometheus:
 * the series names it reads out of PromQL, the queries it finds in a Grafana
 * dashboard, and what it reports against a stand-in for Prometheus's HTTP API (a
 * target down, a replica missing, a series no service exports, a query Prometheus
 * refuses, a per-instance panel without one replica's line).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkPrometheus, dashboardQueries, metricNames, waitForPrometheus, type DashboardQuery } from '../scripts/prometheus-check';
import { REPO_ROOT } from './support/cli';

describe('metricNames', () => {
  it('reads the series out of PromQL, not its functions, labels, keywords or literals', () => {
    expect(metricNames('sum by (stage) (rate(blindspot_messages_total[1m]))')).toEqual(['blindspot_messages_total']);
    expect(metricNames('histogram_quantile(0.95, sum by (queue, le) (rate(blindspot_job_duration_seconds_bucket[1m])))')).toEqual([
      'blindspot_job_duration_seconds_bucket',
    ]);
    expect(metricNames('max by (queue, state) (blindspot_queue_jobs{state=~"waiting|active", queue!="not_a_series"})')).toEqual(['blindspot_queue_jobs']);
    expect(metricNames('sum(rate(a_total[5m] offset 1h)) without (instance) / on (job) group_left (service) b_info > bool 1e3')).toEqual(['a_total', 'b_info']);
    expect(metricNames('{__name__="by_name_only", job="x"} or vector(0) and NaN unless Inf')).toEqual(['by_name_only']);
    expect(metricNames('label_replace(up, "dst", "$1 not_a_series", "src", "(.*)")')).toEqual(['up']);
    expect(metricNames('blindspot_process_resident_memory_bytes')).toEqual(['blindspot_process_resident_memory_bytes']);
  });
});

describe('dashboardQueries', () => {
  it('finds every expr with its panel, in rows too', () => {
    const dashboard = {
      title: 'D',
      panels: [
        { type: 'timeseries', title: 'One', targets: [{ expr: 'a' }, { expr: 'b' }] },
        { type: 'row', title: 'Row', panels: [{ type: 'stat', title: 'Two', targets: [{ expr: 'c' }, { expr: ' ' }] }] },
      ],
    };
    expect(dashboardQueries(dashboard)).toEqual([
      { panel: 'One', expr: 'a' },
      { panel: 'One', expr: 'b' },
      { panel: 'Two', expr: 'c' },
    ]);
  });

  it('finds queries, each naming a blindspot series, on the Grafana dashboard', () => {
    const queries = dashboardQueries(JSON.parse(readFileSync(join(REPO_ROOT, 'ops/grafana/dashboards/blindspot.json'), 'utf8')));
    expect(queries.length).toBeGreaterThan(6);
    for (const { panel, expr } of queries) {
      const names = metricNames(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(name, `${panel}: ${expr}`).toMatch(/^blindspot_/);
    }
  });
});

interface FakeTarget {
  service: string;
  instance: string;
  health?: string;
}

/** A stand-in for Prometheus's API: the targets given, and per query the series it answers (instance labels), or an error. */
async function fakePrometheus(targets: FakeTarget[], answers: Record<string, string[] | 'error'>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/api/v1/targets') {
      return send(200, {
        status: 'success',
        data: {
          activeTargets: targets.map((t) => ({
            discoveredLabels: { __meta_dns_name: t.service, __address__: t.instance },
            labels: { instance: t.instance, job: 'blindspot' },
            health: t.health ?? 'up',
            lastError: t.health === 'down' ? 'connection refused' : '',
          })),
        },
      });
    }
    if (url.pathname === '/api/v1/query') {
      const answer = answers[url.searchParams.get('query') ?? ''] ?? [];
      if (answer === 'error') return send(400, { status: 'error', errorType: 'bad_data', error: 'parse error' });
      return send(200, {
        status: 'success',
        data: { resultType: 'vector', result: answer.map((instance) => ({ metric: instance ? { instance } : {}, value: [0, '1'] })) },
      });
    }
    send(404, { status: 'error', error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

const TARGETS: FakeTarget[] = [
  { service: 'generator', instance: '10.0.0.2:9464' },
  { service: 'scanner', instance: '10.0.0.3:9464' },
  { service: 'scanner', instance: '10.0.0.4:9464' },
  { service: 'scanner', instance: '10.0.0.5:9464' },
];
const ALL = TARGETS.map((t) => t.instance);
const EXPECTED = { generator: 1, scanner: 3 };
const QUERIES: DashboardQuery[] = [
  { panel: 'Rate', expr: 'sum by (stage) (rate(m_total[1m]))' },
  { panel: 'Memory', expr: 'rss_bytes' },
];
const count = (name: string) => `count by (instance) ({__name__="${name}"})`;
const HEALTHY: Record<string, string[]> = {
  [count('m_total')]: ALL,
  [count('rss_bytes')]: ALL,
  'sum by (stage) (rate(m_total[1m]))': [''],
  rss_bytes: ALL,
};

async function check(targets: FakeTarget[], answers: Record<string, string[] | 'error'>, expected: Record<string, number> = EXPECTED) {
  const fake = await fakePrometheus(targets, answers);
  servers.push(fake.server);
  return checkPrometheus(fake.url, expected, QUERIES);
}

describe('checkPrometheus', () => {
  it('passes when every replica is scraped and every query has data', async () => {
    const report = await check(TARGETS, HEALTHY);
    expect(report.problems).toEqual([]);
    expect(report.seen).toContain('targets: generator 1, scanner 3');
  });

  it('names a target that is down, and a service with fewer targets than replicas', async () => {
    const down = TARGETS.map((t) => (t.instance === '10.0.0.4:9464' ? { ...t, health: 'down' } : t));
    expect((await check(down, HEALTHY)).problems).toEqual(['target scanner 10.0.0.4:9464 is down: connection refused']);
    const two = (await check(TARGETS.slice(0, 3), { ...HEALTHY, rss_bytes: ALL.slice(0, 3) })).problems;
    expect(two).toEqual(['scanner: 2 scrape target(s), expected 3, one per replica']);
    expect((await check(TARGETS, HEALTHY, { scanner: 3 })).problems).toEqual(['generator: scraped, but no replicas of it were expected']);
  });

  it('names a series with no data, a refused query, and a per-instance panel missing a replica', async () => {
    const missing = (await check(TARGETS, { ...HEALTHY, [count('m_total')]: [], 'sum by (stage) (rate(m_total[1m]))': [] })).problems;
    expect(missing).toEqual([
      'm_total: no data; the dashboard queries it, so some service must export it',
      'panel "Rate": sum by (stage) (rate(m_total[1m])): no data',
    ]);
    expect((await check(TARGETS, { ...HEALTHY, rss_bytes: 'error' })).problems).toEqual(['panel "Memory": rss_bytes: bad_data: parse error']);
    expect((await check(TARGETS, { ...HEALTHY, rss_bytes: ALL.slice(0, 3) })).problems).toEqual([
      'panel "Memory": rss_bytes: no data from scanner 10.0.0.5:9464',
    ]);
  });

  it('waits for a replica Prometheus has not discovered yet, and reports a Prometheus that does not answer', async () => {
    const targets = TARGETS.slice(0, 3);
    const fake = await fakePrometheus(targets, HEALTHY);
    servers.push(fake.server);
    expect((await checkPrometheus(fake.url, EXPECTED, QUERIES)).problems).toEqual(['scanner: 2 scrape target(s), expected 3, one per replica']);
    setTimeout(() => targets.push(TARGETS[3] as FakeTarget), 500);
    expect((await waitForPrometheus(fake.url, EXPECTED, QUERIES, 60_000)).problems).toEqual([]);
    expect(targets).toHaveLength(4);

    const closed = await fakePrometheus([], {});
    await new Promise((r) => closed.server.close(r));
    const report = await waitForPrometheus(closed.url, EXPECTED, QUERIES, 0);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatch(/^Prometheus at http:\/\/127\.0\.0\.1:\d+ does not answer: /);
  });
});
