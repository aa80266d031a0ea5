/**
 * The bench still runs and reports every figure (at a fraction of its size: --quick).
 * It checks that figures are there and sane, never how fast anything was.
 */
import { describe, expect, it } from 'vitest';
import { runProcess } from './support/cli';

describe('pnpm bench --quick', () => {
  it('prints a JSON summary with every figure', async () => {
    const r = await runProcess(process.execPath, ['--import', 'tsx', 'packages/cli/src/bench.ts', '--quick', '--json'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const s = JSON.parse(r.stdout) as {
      embedded: { messages: number; messagesPerSecond: number; oneThreadMessagesPerSecond: number; sameResultAsOneThread: boolean };
      bullmq: { messages: number; messagesPerSecond: number; bareRelayMessagesPerSecond: number; ratioToBareRelay: number };
      encoding: {
        messages: number;
        json: { perSecond: number; bytesPerMessage: number };
        binary: { perSecond: number; bytesPerMessage: number };
        speedup: number;
      };
      matcher: { bank: number; indexQps: number; bruteForceQps: number; ratio: number; hits: number }[];
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
    expect(s.bullmq.messages).toBe(s.embedded.messages);
    expect(s.bullmq.bareRelayMessagesPerSecond).toBeGreaterThan(0);
    expect(s.bullmq.ratioToBareRelay).toBeCloseTo(s.bullmq.messagesPerSecond / s.bullmq.bareRelayMessagesPerSecond, 1);
    expect(s.encoding.messages).toBeGreaterThan(10_000);
    expect(s.encoding.binary.perSecond).toBeGreaterThan(0);
    expect(s.encoding.json.perSecond).toBeGreaterThan(0);
    // A size, not a speed: the binary layout is the smaller one.
    expect(s.encoding.binary.bytesPerMessage).toBeLessThan(s.encoding.json.bytesPerMessage);
    expect(s.matcher.map((m) => m.bank)).toEqual([10_000, 20_000, 50_000]);
    for (const m of s.matcher) {
      expect(m.indexQps).toBeGreaterThan(0);
      expect(m.bruteForceQps).toBeGreaterThan(0);
      expect(m.hits).toBeGreaterThan(0);
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
  });
});
