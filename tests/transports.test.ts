/**
 * Two transports, one result: the BullMQ run, with the four services as separate OS
 * processes started by the command, must produce exactly the embedded result document
 * apart from `timing`.
 */
import { describe, expect, inject, it } from 'vitest';
import { blindspot, scenarioCopy, withoutTiming } from './support/cli';
import { uniquePrefix } from './support/redis';

// The small headline pair at full size; the other small scenarios cut to 10 days (with
// the voucher threshold lowered to 10 so accounts still open, the rollout moved inside),
// the realistic rollout cut to 20,000 accounts and 20 days, and the two-platform world
// to 15,000 and 16 days, to keep CI short.
const TEN_DAYS = { 'durationDays: 30': 'durationDays: 10' };
const shortCss = () => scenarioCopy('scenarios/e2ee-client-side-scanning.yaml', { ...TEN_DAYS, 'threshold: 30                 # Apple 2021': 'threshold: 10' });
// The rollout cut to 10 days too: from the start of day 4, over 4 days.
const shortRollout = () => scenarioCopy('scenarios/e2ee-rollout.yaml', { ...TEN_DAYS, 'fromDay: 10 ': 'fromDay: 3 ', 'rampDays: 10 ': 'rampDays: 4 ' });

describe.each([
  [
    'scenarios/platform-rollout.yaml (20,000 accounts, 20 days, the rollout from day 9)',
    () =>
      scenarioCopy('scenarios/platform-rollout.yaml', {
        'adults: 64000': 'adults: 16000',
        'minors: 16000': 'minors: 4000',
        'durationDays: 110': 'durationDays: 20',
        'fromDay: 60 ': 'fromDay: 8 ',
        'rampDays: 25 ': 'rampDays: 6 ',
        'perMillionPerDay: 40 ': 'perMillionPerDay: 400 ',
        'burnInDays: 40 ': 'burnInDays: 4 ',
      }),
  ],
  [
    'scenarios/facebook-2024.yaml (two platforms; 15,000 accounts, 16 days, the rollout from day 7)',
    () =>
      scenarioCopy('scenarios/facebook-2024.yaml', {
        'adults: 64000': 'adults: 12000',
        'minors: 16000': 'minors: 3000',
        'durationDays: 100': 'durationDays: 16',
        'fromDay: 60 ': 'fromDay: 6 ',
        'rampDays: 29 ': 'rampDays: 4 ',
        'perMillionPerDay: 40 ': 'perMillionPerDay: 400 ',
        'burnInDays: 40 ': 'burnInDays: 3 ',
      }),
  ],
  ['scenarios/plaintext.yaml', () => 'scenarios/plaintext.yaml'],
  ['scenarios/e2ee.yaml', () => 'scenarios/e2ee.yaml'],
  ['scenarios/e2ee-metadata.yaml (10 days)', () => scenarioCopy('scenarios/e2ee-metadata.yaml', TEN_DAYS)],
  ['scenarios/e2ee-client-side-scanning.yaml (10 days, threshold 10)', shortCss],
  ['scenarios/e2ee-rollout.yaml (10 days, from day 4 over 4 days)', shortRollout],
])('%s', (_label, path) => {
  it('gives the same result over BullMQ as embedded', async () => {
    const url = inject('redisUrl');
    const file = path();
    const [embedded, bullmq] = await Promise.all([
      blindspot(['run', file, '--json']),
      blindspot(['run', file, '--json', '--redis', url, '--prefix', uniquePrefix('transports')]),
    ]);
    expect(embedded.stderr).not.toMatch(/Error|WARNING|\bat .*\.ts:\d+/);
    expect(embedded.code).toBe(0);
    expect(bullmq.code, bullmq.stderr.slice(-3000)).toBe(0);
    const a = JSON.parse(embedded.stdout) as Record<string, unknown> & { timing: { transport: string }; reports: { total: number }; warnings: string[] };
    const b = JSON.parse(bullmq.stdout) as typeof a;
    expect(a.timing.transport).toBe('embedded');
    expect(b.timing.transport).toBe('bullmq');
    // A run that reported nothing would agree trivially; make sure there is something to agree on.
    expect(a.reports.total).toBeGreaterThan(30);
    expect(a.warnings).toEqual([]);
    expect(withoutTiming(b)).toEqual(withoutTiming(a));
  });
});

describe('replicas', () => {
  it('several processes of every service (three generators sharing the run) give the same result', async () => {
    const url = inject('redisUrl');
    const file = shortCss();
    const [embedded, replicated] = await Promise.all([
      blindspot(['run', file, '--json', '--batch-size', '250']),
      blindspot([
        'run',
        file,
        '--json',
        '--redis',
        url,
        '--prefix',
        uniquePrefix('replicas'),
        '--batch-size',
        '250',
        '--replicas',
        'generator=3,scanner=3,metadata-detector=2,reporter=2',
      ]),
    ]);
    expect(embedded.code).toBe(0);
    expect(replicated.code, replicated.stderr.slice(-3000)).toBe(0);
    const a = JSON.parse(embedded.stdout) as Record<string, unknown> & { clientSideScanning: { accountsOpened: number } };
    // every route, vouchers included, has something to agree on
    expect(a.clientSideScanning.accountsOpened).toBeGreaterThan(0);
    expect(withoutTiming(JSON.parse(replicated.stdout) as Record<string, unknown>)).toEqual(withoutTiming(a));
  });
});
