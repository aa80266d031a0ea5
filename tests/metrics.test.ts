/**
 * Every service's /metrics, scraped after a real run over BullMQ, carries the named
 * series with non-zero values; /healthz and /readyz answer; the endpoints listen on
 * loopback by default.
 */
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dashboardQueries, metricNames } from '../scripts/prometheus-check';
import { REPO_ROOT, blindspot, scenarioCopy } from './support/cli';
import { rawQueue, uniquePrefix } from './support/redis';
import { Fleet, SERVICE_NAMES } from './support/services';

/** A series' name and labels in a canonical order, so label order does not matter. */
function canonical(series: string): string {
  const m = /^([^{]+)(?:\{(.*)\})?$/.exec(series);
  if (!m) return series;
  const labels = (m[2] ?? '').match(/[a-z_]+="[^"]*"/g) ?? [];
  return `${m[1]}{${labels.sort().join(',')}}`;
}

/** The value of one series (name and exact label set) in Prometheus text, or undefined. */
function value(text: string, series: string): number | undefined {
  const wanted = canonical(series);
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const at = line.lastIndexOf(' ');
    if (canonical(line.slice(0, at)) === wanted) return Number(line.slice(at + 1));
  }
  return undefined;
}

describe('metrics and health endpoints', () => {
  it('every service exposes its series, non-zero after a run', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('metrics');
    // Four services on one host: the first takes the port asked for, the others fall back to free ones.
    const fleet = new Fleet({ REDIS_URL: url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'info', HTTP_PORT: '0' });
    fleet.startAll();
    const redis = new Redis(url, { maxRetriesPerRequest: null });
    const scan = rawQueue('scan', redis, prefix);
    try {
      const endpoints = new Map<string, string>();
      const deadline = Date.now() + 30_000;
      while (endpoints.size < SERVICE_NAMES.length) {
        if (Date.now() > deadline) throw new Error(`services did not start:\n${fleet.logs()}`);
        for (const m of fleet.logs().matchAll(/"service":"([a-z-]+)".*?"http":"(http:\/\/[^"]+)".*?"msg":"service started"/g))
          endpoints.set(m[1] as string, m[2] as string);
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const u of endpoints.values()) expect(u).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      // A malformed job, so the dead-letter series has something to count.
      await scan.add('batch', { hello: 'world' });
      const file = scenarioCopy('scenarios/e2ee.yaml', { 'durationDays: 30': 'durationDays: 4' });
      const run = await blindspot(['run', file, '--json', '--redis', url, '--prefix', prefix, '--external-services'], { timeoutMs: 180_000 });
      expect(run.code, run.stderr.slice(-2000)).toBe(0);
      const result = JSON.parse(run.stdout) as { messages: { total: number }; reports: { total: number; byFirstRoute: Record<string, number> } };

      const scrape = async (service: string) => {
        const res = await fetch(`${endpoints.get(service)}/metrics`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/text\/plain/);
        return res.text();
      };
      const generator = await scrape('generator');
      const scanner = await scrape('scanner');
      const metadata = await scrape('metadata-detector');
      const reporter = await scrape('reporter');

      expect(value(generator, 'blindspot_messages_total{stage="generator",service="generator"}')).toBe(result.messages.total);
      expect(value(scanner, 'blindspot_messages_total{stage="scanner",service="scanner"}')).toBe(result.messages.total);
      expect(value(metadata, 'blindspot_messages_total{stage="metadata",service="metadata-detector"}')).toBe(result.messages.total);
      expect(value(scanner, 'blindspot_jobs_total{queue="scan",outcome="completed",service="scanner"}')).toBeGreaterThan(10);
      expect(value(scanner, 'blindspot_job_duration_seconds_count{queue="scan",service="scanner"}')).toBeGreaterThan(10);
      expect(value(scanner, 'blindspot_dead_letters_total{queue="scan",service="scanner"}')).toBe(1);
      // A consumer that refused nothing counts 0 dead letters, rather than having no such series.
      expect(value(metadata, 'blindspot_dead_letters_total{queue="metadata",service="metadata-detector"}')).toBe(0);
      expect(value(reporter, 'blindspot_reports_to_police_total{service="reporter"}')).toBe(result.reports.total);
      expect(result.reports.total).toBeGreaterThan(0);
      for (const [route, n] of Object.entries(result.reports.byFirstRoute)) {
        if (n > 0) expect(value(reporter, `blindspot_reports_filed_total{route="${route}",service="reporter"}`), route).toBe(n);
      }
      // Queue depth per state, read from Redis at scrape time: the refused job waits in the dead-letter queue.
      expect(value(reporter, 'blindspot_queue_jobs{queue="dead-letter",state="waiting",service="reporter"}')).toBe(1);
      expect(value(generator, 'blindspot_queue_jobs{queue="scan",state="active",service="generator"}')).toBe(0);
      expect(value(generator, 'blindspot_process_resident_memory_bytes{service="generator"}')).toBeGreaterThan(10_000_000);

      // The Grafana dashboard and the Prometheus config speak of what the services export.
      const scraped = `${generator}\n${scanner}\n${metadata}\n${reporter}`;
      const exported = new Set([...scraped.matchAll(/^(blindspot_[a-z0-9_]+)[{ ]/gm)].map((m) => m[1] as string));
      const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'ops/grafana/dashboards/blindspot.json'), 'utf8'));
      const used = new Set(dashboardQueries(dashboard).flatMap((q) => metricNames(q.expr)));
      expect(used.size).toBeGreaterThan(6);
      for (const name of used) expect(exported.has(name), `${name} is on the Grafana dashboard but no service exports it`).toBe(true);
      const prometheus = readFileSync(join(REPO_ROOT, 'ops/prometheus/prometheus.yml'), 'utf8');
      expect(prometheus).toMatch(/names: \[generator, scanner, metadata-detector, reporter\]/);
      expect(prometheus).toMatch(/port: 9464/);

      for (const service of SERVICE_NAMES) {
        expect((await fetch(`${endpoints.get(service)}/healthz`)).status).toBe(200);
        expect((await fetch(`${endpoints.get(service)}/readyz`)).status).toBe(200);
        expect((await fetch(`${endpoints.get(service)}/nope`)).status).toBe(404);
      }
    } finally {
      await scan.close();
      redis.disconnect();
      await fleet.stop();
    }
  }, 240_000);
});
