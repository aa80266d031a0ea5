/**
 * Two transports, one result: the BullMQ run, with the four services as separate OS
 * processes started by the command, must produce exactly the embedded result document
 * apart from `timing`.
 */
import { describe, expect, inject, it } from 'vitest';
import { blindspot, withoutTiming } from './support/cli';
import { uniquePrefix } from './support/redis';

describe.each(['scenarios/plaintext.yaml', 'scenarios/e2ee.yaml'])('%s', (file) => {
  it('gives the same result over BullMQ as embedded', async () => {
    const url = inject('redisUrl');
    const [embedded, bullmq] = await Promise.all([
      blindspot(['run', file, '--json']),
      blindspot(['run', file, '--json', '--redis', url, '--prefix', uniquePrefix('transports')]),
    ]);
    expect(embedded.stderr).toBe('');
    expect(embedded.code).toBe(0);
    expect(bullmq.code, bullmq.stderr.slice(-3000)).toBe(0);
    const a = JSON.parse(embedded.stdout) as Record<string, unknown> & { timing: { transport: string }; reports: { total: number }; warnings: string[] };
    const b = JSON.parse(bullmq.stdout) as typeof a;
    expect(a.timing.transport).toBe('embedded');
    expect(b.timing.transport).toBe('bullmq');
    // A run that reported nothing would agree trivially; make sure there is something to agree on.
    expect(a.reports.total).toBeGreaterThan(50);
    expect(a.warnings).toEqual([]);
    expect(withoutTiming(b)).toEqual(withoutTiming(a));
  });
});
