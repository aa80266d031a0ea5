/**
 * A service or the dashboard told to listen where it cannot refuses to start: exit 2,
 * one line naming the variable to change, no stack trace.
 */
import { describe, expect, it, inject } from 'vitest';
import { runNode } from './support/cli';
import { uniquePrefix } from './support/redis';

function startWith(name: string, env: Record<string, string>) {
  return runNode(['services/start.ts', name], {
    env: { REDIS_URL: inject('redisUrl'), BLINDSPOT_PREFIX: uniquePrefix('start-up'), HTTP_PORT: '0', DASHBOARD_PORT: '0', ...env },
    timeoutMs: 60_000,
  });
}

describe('an address the endpoints cannot listen on', () => {
  // Malformed (refused with the environment), a name that does not resolve, an address of another machine.
  it.each(['not a host', 'http://x', '999.1.1.1', 'example.invalid', '192.0.2.1'])('HTTP_HOST=%j: exit 2, one line naming HTTP_HOST', async (host) => {
    const r = await startWith('scanner', { HTTP_HOST: host });
    expect(r.code, r.stderr).toBe(2);
    const problems = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l !== 'scanner: invalid environment:');
    expect(problems).toEqual([expect.stringMatching(/^(scanner: | {2})HTTP_HOST: /)]);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it.each(['not a host', 'example.invalid'])('DASHBOARD_HOST=%j: exit 2, naming DASHBOARD_HOST', async (host) => {
    const r = await startWith('dashboard', { DASHBOARD_HOST: host });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/DASHBOARD_HOST/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
