/**
 * Redis Cluster: a deployment split into partitions, each its own hash tag and so its
 * own slot, spread over a real 3-node cluster (redis-server --cluster-enabled yes). The
 * command line and the services are pointed at a node that does not own partition 0's
 * slot, and find the rest of the cluster through it; the result is the embedded one.
 * And a process whose number of partitions differs from the deployment's is refused.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { partitionOf, partitionPrefix, policeKeyPattern } from '@blindspot/pipeline/bullmq';
import { blindspot, withoutTiming } from './support/cli';
import { startRedisCluster, uniquePrefix, type RedisCluster } from './support/redis';
import { Fleet } from './support/services';
import { sleep } from './support/runs';

const PARTITIONS = 3;

describe('a deployment in partitions over a 3-node Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs the default e2ee scenario pointed at a node that does not own partition 0, and gets the embedded result', async () => {
    const prefix = uniquePrefix('cluster');
    const owner = await cluster.ownerOf(prefix);
    const elsewhere = cluster.nodes.find((n) => n !== owner);
    if (!elsewhere) throw new Error('no node besides the owner');
    // The premise: a plain connection to this node cannot even write partition 0's keys.
    const plain = new Redis(elsewhere.url, { maxRetriesPerRequest: 1 });
    await expect(plain.set(`${prefix}:probe`, '1')).rejects.toThrow(/MOVED/);
    plain.disconnect();

    const [embedded, clustered] = await Promise.all([
      blindspot(['run', 'scenarios/e2ee.yaml', '--json']),
      blindspot(
        ['run', 'scenarios/e2ee.yaml', '--json', '--redis', elsewhere.url, '--prefix', prefix, '--partitions', String(PARTITIONS), '--timeout', '600'],
        {
          timeoutMs: 660_000,
        },
      ),
    ]);
    expect(embedded.code, embedded.stderr.slice(-2000)).toBe(0);
    expect(clustered.code, clustered.stderr.slice(-3000)).toBe(0);
    const a = JSON.parse(embedded.stdout) as Record<string, unknown> & { reports: { total: number } };
    const b = JSON.parse(clustered.stdout) as typeof a;
    expect(a.reports.total).toBeGreaterThan(30);
    expect(withoutTiming(b)).toEqual(withoutTiming(a));

    // The run lived in its partition: its police sink (which outlives the run's other
    // keys) is under that partition's hash tag, on the node owning its slot, with one
    // entry per report.
    const sinks: string[] = [];
    for (const node of cluster.nodes) {
      const r = new Redis(node.url, { maxRetriesPerRequest: 1 });
      for (let k = 0; k < PARTITIONS; k++) sinks.push(...(await r.keys(policeKeyPattern(partitionPrefix(prefix, k)))));
      r.disconnect();
    }
    expect(sinks).toHaveLength(1);
    const sink = sinks[0] as string;
    const run = sink.slice(sink.lastIndexOf(':') + 1);
    expect(sink.startsWith(`${partitionPrefix(prefix, partitionOf(run, PARTITIONS))}:`)).toBe(true);
    const holder = new Redis((await cluster.ownerOf(sink)).url, { maxRetriesPerRequest: 1 });
    expect(await holder.xlen(sink)).toBe(a.reports.total);
    holder.disconnect();
  }, 700_000);
});

describe('partitions agreed by every process', () => {
  it('refuses a command line, and a service, whose number of partitions differs from the deployment’s, naming both numbers', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('partitions');
    const fleet = new Fleet({ REDIS_URL: url, BLINDSPOT_PREFIX: prefix, BLINDSPOT_PARTITIONS: String(PARTITIONS), LOG_LEVEL: 'info', HTTP_PORT: '0' });
    try {
      fleet.start('scanner');
      await fleet.ready();
      const run = await blindspot(
        ['run', 'scenarios/plaintext.yaml', '--json', '--redis', url, '--prefix', prefix, '--external-services', '--partitions', '2', '--timeout', '30'],
        { timeoutMs: 60_000 },
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/2 partitions asked for .* has 3/);
      expect(run.stdout).toBe('');

      // A service started with another number exits with 2, naming it.
      fleet.start('reporter', { BLINDSPOT_PARTITIONS: '5' });
      const deadline = Date.now() + 60_000;
      while (fleet.crashed() === null && Date.now() < deadline) await sleep(100);
      expect(fleet.crashed()).toBe('reporter exited (2)');
      expect(fleet.log('reporter')).toMatch(/5 partitions asked for .* has 3/);
    } finally {
      await fleet.stop();
    }
  }, 120_000);
});
