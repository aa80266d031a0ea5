/**
 * `blindspot load`, the CI load simulation: it reports throughput, latency, queue depth
 * and Redis peak memory, passes when its gates hold and exits 1 when one is missed; the
 * GitHub Actions workflow that runs it is valid and runs it against a Redis service.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, inject, it } from 'vitest';
import { REPO_ROOT, blindspot, scenarioCopy } from './support/cli';
import { uniquePrefix } from './support/redis';

const short = () => scenarioCopy('scenarios/e2ee.yaml', { 'durationDays: 30': 'durationDays: 2' });

/** `blindspot load` of the short scenario against the tests' Redis, under a prefix of its own, with `options`. */
const load = (...options: string[]) => blindspot(['load', short(), '--redis', inject('redisUrl'), '--prefix', uniquePrefix('load'), ...options]);

describe('blindspot load', () => {
  it('reports its figures and passes gates that hold', async () => {
    const r = await load('--replicas', 'scanner=2', '--max-redis-mb', '2048', '--json');
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      messages: number;
      messagesPerSecond: number;
      latencyMs: { p50: number; p99: number; batches: number };
      stages: Record<string, { maxDepth: number }>;
      redisPeakMb: number;
      gates: { passed: boolean; failures: string[] };
    };
    expect(doc.messages).toBeGreaterThan(10_000);
    expect(doc.messagesPerSecond).toBeGreaterThan(0);
    expect(doc.latencyMs.batches).toBeGreaterThan(10);
    expect(doc.latencyMs.p99).toBeGreaterThanOrEqual(doc.latencyMs.p50);
    expect(Object.keys(doc.stages).sort()).toEqual(['metadata', 'report', 'scan']);
    expect(doc.redisPeakMb).toBeGreaterThan(0);
    expect(doc.gates).toEqual({ minMessagesPerSecond: null, maxRedisMb: 2048, passed: true, failures: [] });
  });

  it('exits 1 naming the gate it missed', async () => {
    const r = await load('--min-messages-per-second', '1000000000', '--max-redis-mb', '0.001');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/gates\s+FAILED/);
    expect(r.stdout).toMatch(/throughput [\d]+ messages\/s is below the gate of 1000000000/);
    expect(r.stdout).toMatch(/Redis peak memory [\d.]+ MB is above the gate of 0\.001 MB/);
    expect(r.stderr).toMatch(/load: a gate was missed/);
  });

  it('refuses to run without Redis', async () => {
    const r = await blindspot(['load', 'scenarios/e2ee.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/load runs over BullMQ: give --redis <url>/);
  });
});

describe('the load workflow', () => {
  it('is valid YAML that runs blindspot load against a Redis service container', () => {
    const wf = parse(readFileSync(join(REPO_ROOT, '.github/workflows/load.yml'), 'utf8')) as {
      on: unknown;
      jobs: Record<string, { services: Record<string, { image: string; ports: string[] }>; steps: { run?: string; uses?: string }[] }>;
    };
    const job = wf.jobs.load;
    expect(job).toBeDefined();
    expect(job?.services.redis?.image).toMatch(/^redis:/);
    expect(job?.services.redis?.ports).toContain('6379:6379');
    const runs = (job?.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(runs).toMatch(/pnpm blindspot load scenarios\/\S+\.yaml\s+--redis redis:\/\/127\.0\.0\.1:6379/);
    expect(runs).toMatch(/--min-messages-per-second \d+/);
    expect(runs).toMatch(/--max-redis-mb \d+/);
  });
});
