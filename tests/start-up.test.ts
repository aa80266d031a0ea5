/**
 * A service or the dashboard told to listen where it cannot refuses to start: exit 2,
 * one line naming the variable to change, no stack trace.
 */
import { describe, expect, it, inject } from 'vitest';
import { blindspot, runNode } from './support/cli';
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

describe('the job key', () => {
  it.each([
    ['missing', '', /^ {2}BLINDSPOT_JOB_KEY: is empty; .*openssl rand -hex 32/m],
    ['too short', 'abcdef0123', /^ {2}BLINDSPOT_JOB_KEY: must be at least 64 hex digits/m],
    ['not hex', `${'0'.repeat(62)}zz`, /^ {2}BLINDSPOT_JOB_KEY: must be hex digits only/m],
  ])('%s: every service refuses to start, exit 2, naming BLINDSPOT_JOB_KEY, never echoing it', async (_what, key, says) => {
    for (const name of ['generator', 'scanner', 'metadata-detector', 'reporter']) {
      const r = await startWith(name, { BLINDSPOT_JOB_KEY: key });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(says);
      if (key) expect(r.stderr).not.toContain(key);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it("run and load with --external-services need the services' key: exit 2 before anything starts, naming it", async () => {
    const url = inject('redisUrl');
    for (const verb of ['run', 'load']) {
      const missing = await blindspot([verb, 'scenarios/plaintext.yaml', '--redis', url, '--external-services'], { env: { BLINDSPOT_JOB_KEY: '' } });
      expect(missing.code, missing.stderr).toBe(2);
      expect(missing.stderr).toMatch(/BLINDSPOT_JOB_KEY: required with --external-services: the key the services were given; .*openssl rand -hex 32/);
      const bad = await blindspot([verb, 'scenarios/plaintext.yaml', '--redis', url], { env: { BLINDSPOT_JOB_KEY: 'abcdef0123' } });
      expect(bad.code, bad.stderr).toBe(2);
      expect(bad.stderr).toMatch(/BLINDSPOT_JOB_KEY must be at least 64 hex digits/);
      expect(bad.stderr).not.toContain('abcdef0123');
    }
  });
});
