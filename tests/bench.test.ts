/**
 * The bench still runs and reports every figure (at a fraction of its size: --quick).
 * It checks that figures are there and sane, never how fast anything was.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runProcess } from './support/cli';

describe('pnpm bench --quick', () => {
  it('prints a JSON summary with every figure', async () => {
    const r = await runProcess(process.execPath, ['--import', 'tsx', 'packages/cli/src/bench.ts', '--quick', '--json'], { timeoutMs: 480_000 });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const s = JSON.parse(r.stdout) as {
      embedded: {
        messages: number;
        threads: number;
        messagesPerSecond: number;
        cpuMicrosPerMessage: number;
        oneThreadMessagesPerSecond: number;
        oneThreadCpuMicrosPerMessage: number;
        sameResultAsOneThread: boolean;
      };
      bullmq: {
        messages: number;
        messagesPerSecond: number;
        cpuMicrosPerMessage: Record<string, number | null>;
        totalCpuMicrosPerMessage: number;
        bareRelay: Record<
          'binary' | 'json',
          { messagesPerSecond: number; cpuMicrosPerMessage: { relay: number; redis: number }; totalCpuMicrosPerMessage: number }
        >;
        ratioToBareRelay: number;
        cpuRatioToBareRelay: number;
        twoGenerators: { messagesPerSecond: number; speedupOverOne: number; cpuMicrosPerMessage: Record<string, number | null>; sameResultAsOne: boolean };
      };
      cluster: {
        nodes: number;
        partitions: number;
        messages: number;
        messagesPerSecond: number;
        totalCpuMicrosPerMessage: number;
        sameResultAsOneServer: boolean;
      };
      encoding: {
        messages: number;
        json: { perSecond: number; bytesPerMessage: number };
        binary: { perSecond: number; bytesPerMessage: number };
        speedup: number;
      };
      sealing: { kernel: string; jsMicrosPerMessage: number; nativeMicrosPerMessage: number | null; sameBytes: boolean | null };
      matcher: {
        bank: number;
        indexQps: number;
        bruteForceQps: number;
        ratio: number;
        hits: number;
        queriesPerJob: number;
        kernel: string | null;
        native: { perJob: number; batch16k: number } | null;
        js: { perJob: number; batch16k: number };
        bytesPerEntry: { native: number | null; js: number; index: number };
        sameAnswers: boolean;
      }[];
      memory: Record<string, { messages: number; peakRssMb: Record<string, number>; redisPeakMb: number }>;
      population: {
        accounts: number;
        contactPairs: number;
        buildSeconds: number;
        baselineRssMb: number;
        peakRssMb: number;
        bytesPerAccount: number;
        estimatedMb: number;
      };
    };
    expect(s.embedded.messages).toBeGreaterThan(10_000);
    expect(s.embedded.messagesPerSecond).toBeGreaterThan(0);
    expect(s.embedded.oneThreadMessagesPerSecond).toBeGreaterThan(0);
    expect(s.embedded.sameResultAsOneThread).toBe(true);
    // Two generator processes shared the run (a CPU figure for each) and agreed with one.
    expect(s.bullmq.twoGenerators.messagesPerSecond).toBeGreaterThan(0);
    expect(s.bullmq.twoGenerators.sameResultAsOne).toBe(true);
    expect(s.bullmq.twoGenerators.cpuMicrosPerMessage['generator 2']).toBeGreaterThan(0);
    expect(s.embedded.threads).toBeGreaterThanOrEqual(1);
    // CPU time per message: something was measured (never how much).
    expect(s.embedded.cpuMicrosPerMessage).toBeGreaterThan(0);
    expect(s.embedded.oneThreadCpuMicrosPerMessage).toBeGreaterThan(0);
    expect(s.bullmq.messages).toBe(s.embedded.messages);
    expect(Object.keys(s.bullmq.cpuMicrosPerMessage).sort()).toEqual(['generator', 'metadata-detector', 'redis', 'reporter', 'scanner']);
    for (const [k, v] of Object.entries(s.bullmq.cpuMicrosPerMessage)) expect(v, k).toBeGreaterThan(0);
    const stages = Object.values(s.bullmq.cpuMicrosPerMessage).reduce<number>((n, v) => n + (v ?? 0), 0);
    expect(s.bullmq.totalCpuMicrosPerMessage).toBeCloseTo(stages, 0);
    for (const layout of ['binary', 'json'] as const) {
      const relay = s.bullmq.bareRelay[layout];
      expect(relay.messagesPerSecond, layout).toBeGreaterThan(0);
      expect(relay.cpuMicrosPerMessage.relay, layout).toBeGreaterThan(0);
      expect(relay.totalCpuMicrosPerMessage, layout).toBeCloseTo(relay.cpuMicrosPerMessage.relay + relay.cpuMicrosPerMessage.redis, 0);
    }
    expect(s.bullmq.ratioToBareRelay).toBeCloseTo(s.bullmq.messagesPerSecond / s.bullmq.bareRelay.binary.messagesPerSecond, 1);
    expect(s.cluster).toMatchObject({ nodes: 3, partitions: 3, sameResultAsOneServer: true });
    expect(s.cluster.messagesPerSecond).toBeGreaterThan(0);
    expect(s.encoding.messages).toBeGreaterThan(10_000);
    expect(s.encoding.binary.perSecond).toBeGreaterThan(0);
    expect(s.encoding.json.perSecond).toBeGreaterThan(0);
    // A size, not a speed: the binary layout is the smaller one.
    expect(s.encoding.binary.bytesPerMessage).toBeLessThan(s.encoding.json.bytesPerMessage);
    expect(s.sealing.jsMicrosPerMessage).toBeGreaterThan(0);
    if (s.sealing.kernel === 'native') {
      expect(s.sealing.nativeMicrosPerMessage).toBeGreaterThan(0);
      expect(s.sealing.sameBytes).toBe(true);
    } else {
      expect(s.sealing).toMatchObject({ kernel: 'js', nativeMicrosPerMessage: null, sameBytes: null });
    }
    expect(s.matcher.map((m) => m.bank)).toEqual([10_000, 20_000, 50_000]);
    // The native kernel ran wherever it was built (no silent fallback to the twin).
    const built = existsSync('packages/native/build') && process.env.BLINDSPOT_NATIVE !== '0';
    for (const m of s.matcher) {
      expect(m.indexQps).toBeGreaterThan(0);
      expect(m.bruteForceQps).toBeGreaterThan(0);
      expect(m.hits).toBeGreaterThan(0);
      expect(m.sameAnswers).toBe(true);
      expect(m.queriesPerJob).toBeGreaterThan(0);
      expect(m.js.perJob).toBeGreaterThan(0);
      expect(m.js.batch16k).toBeGreaterThan(0);
      expect(m.bytesPerEntry).toEqual({ native: built ? 256 : null, js: 256, index: 64 });
      expect(m.kernel !== null).toBe(built);
      expect(m.native !== null).toBe(built);
      if (m.native) expect(Math.min(m.native.perJob, m.native.batch16k)).toBeGreaterThan(0);
    }
    // e2ee.yaml's 20 contacts each, over 100,000 accounts, built in a process of its own.
    expect(s.population.accounts).toBe(100_000);
    expect(s.population.contactPairs).toBeGreaterThan(900_000);
    expect(s.population.buildSeconds).toBeGreaterThan(0);
    expect(s.population.peakRssMb).toBeGreaterThan(s.population.baselineRssMb);
    expect(s.population.bytesPerAccount).toBeGreaterThan(0);
    expect(s.population.estimatedMb).toBeGreaterThan(0);
    const points = Object.values(s.memory).filter((x) => typeof x === 'object' && 'peakRssMb' in x);
    expect(points).toHaveLength(2);
    for (const p of points) {
      expect(Object.keys(p.peakRssMb).sort()).toEqual(['generator', 'metadata-detector', 'reporter', 'scanner']);
      for (const mb of Object.values(p.peakRssMb)) expect(mb).toBeGreaterThan(10);
      expect(p.redisPeakMb).toBeGreaterThan(0);
    }
  }, 500_000);
});
