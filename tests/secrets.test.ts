/**
 * The Redis password never reaches a log or a terminal. Against a private,
 * password-protected redis-server, every service, the dashboard and the command line
 * (`run --redis ... --external-services` and `load`) and the bench's relay are given a
 * wrong password, have the password changed under them while they run (a rotation: the
 * old one is still in their URL), and are given malformed URLs; the command line is also
 * given a URL with a `?password=` where it takes no URL; everything each wrote to stdout
 * and stderr is searched for the password, as typed and percent-encoded.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, blindspot, scenarioCopy, type Completed } from './support/cli';
import { startRedisServer, uniquePrefix, type RedisServer } from './support/redis';

const PROCESSES = ['generator', 'scanner', 'metadata-detector', 'reporter', 'dashboard'] as const;

/** A password with characters a URL must encode, around a token no other output can hold by chance. */
function password(label: string): { raw: string; token: string; url: (port: number) => string } {
  const token = `${label}${randomBytes(8).toString('hex')}`;
  const raw = `${token}:/?#+&`;
  return { raw, token, url: (port) => `redis://:${encodeURIComponent(raw)}@127.0.0.1:${port}` };
}

/** Every form in which a password could be printed. */
function forms(raw: string): string[] {
  return [raw, encodeURIComponent(raw), raw.slice(0, 24)];
}

function expectAbsent(output: string, raw: string, what: string): void {
  for (const form of forms(raw)) expect(output.includes(form), `${what} printed the password (${form}):\n${output.slice(-3000)}`).toBe(false);
}

interface Ran {
  code: number | null;
  output: string;
}

/** A service or the dashboard for `ms`, then SIGKILL; or until it exits by itself, or is stopped. */
function start(name: string, env: Record<string, string>, ms: number): { done: Promise<Ran>; stop(): void; output(): string } {
  let stop: () => void = () => undefined;
  let output = '';
  const done = new Promise<Ran>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/start.ts', name], {
      cwd: REPO_ROOT,
      env: { ...process.env, HTTP_PORT: '0', DASHBOARD_PORT: '0', LOG_LEVEL: 'debug', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    stop = () => void child.kill('SIGKILL');
    const timer = setTimeout(stop, ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
  return { done, stop: () => stop(), output: () => output };
}

const runFor = (name: string, env: Record<string, string>, ms: number): Promise<Ran> => start(name, env, ms).done;

const all = (r: Completed) => `${r.stdout}\n${r.stderr}`;

let server: RedisServer;
const right = password('right');
let scenario: string;

beforeAll(async () => {
  // Set after start: the helper would put the password in its URL unencoded.
  server = await startRedisServer();
  const admin = new Redis(server.url);
  await admin.config('SET', 'requirepass', right.raw);
  admin.disconnect();
  scenario = scenarioCopy('scenarios/plaintext.yaml', { 'durationDays: 30': 'durationDays: 30' });
});
afterAll(async () => {
  await server?.stop();
});

describe('a wrong Redis password', () => {
  it('every service and the dashboard keep retrying and say why, naming the server, never the password', async () => {
    const wrong = password('wrong');
    const prefix = uniquePrefix('secrets-auth');
    const started = PROCESSES.map((name) => start(name, { REDIS_URL: wrong.url(server.port), BLINDSPOT_PREFIX: prefix }, 60_000));
    // Until each has retried twice (or the bound kills it).
    const deadline = Date.now() + 50_000;
    while (started.some((p) => (p.output().match(/redis unreachable; retrying/g) ?? []).length < 2) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const p of started) p.stop();
    const runs = await Promise.all(started.map((p) => p.done));
    PROCESSES.forEach((name, i) => {
      const { output } = runs[i] as Ran;
      expectAbsent(output, wrong.raw, name);
      expect(output, name).toMatch(/WRONGPASS/);
      expect(output, name).toContain(`"redis":"redis://:***@127.0.0.1:${server.port}`);
      expect(output, name).toMatch(/redis unreachable; retrying/);
    });
  }, 60_000);

  it('the command line (run --external-services and load) exits 1, naming the server, never the password', async () => {
    const wrong = password('wrong');
    const prefix = uniquePrefix('secrets-cli');
    const url = wrong.url(server.port);
    const [run, load] = await Promise.all([
      blindspot(['run', scenario, '--redis', url, '--external-services', '--prefix', prefix, '--timeout', '5']),
      blindspot(['load', scenario, '--redis', url, '--external-services', '--prefix', prefix, '--timeout', '5']),
    ]);
    for (const [what, r] of [
      ['run', run],
      ['load', load],
    ] as const) {
      expectAbsent(all(r), wrong.raw, what);
      expect(r.code, all(r)).toBe(1);
      expect(r.stderr, what).toContain(`redis://:***@127.0.0.1:${server.port}`);
      expect(r.stderr, what).toMatch(/WRONGPASS/);
    }
  }, 90_000);
});

describe("the bench's relay", () => {
  it('given a wrong password, says WRONGPASS for its queue and worker, never the password', async () => {
    const wrong = password('wrong');
    let output = '';
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'packages/cli/src/bench-relay.ts', wrong.url(server.port), uniquePrefix('secrets-relay'), 'r1', 'r2'],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise((resolve) => child.on('close', resolve));
    // Until both its worker and the queue it forwards to have met the refusal (or the bound).
    const deadline = Date.now() + 40_000;
    while ((output.match(/WRONGPASS/g) ?? []).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGKILL');
    await exited;
    expectAbsent(output, wrong.raw, 'bench relay');
    expect(output).toMatch(/worker on queue r1: WRONGPASS/);
    expect(output).toMatch(/queue r2: WRONGPASS/);
    expect(output).not.toMatch(/command:|args:/);
  }, 60_000);
});

describe('a password in a query parameter of a URL typed where it does not belong', () => {
  it('is never quoted back by the command line', async () => {
    const typed = password('query');
    const url = `redis://127.0.0.1:1/?password=${encodeURIComponent(typed.raw)}`;
    const runs = await Promise.all([
      blindspot(['run', scenario, '--prefix', url]),
      blindspot(['run', scenario, '--timeout', url]),
      blindspot(['validate', url]),
      blindspot(['validate', `scenarios/x.yaml?db=0&password=${typed.token}`]),
    ]);
    for (const r of runs) {
      expectAbsent(all(r), typed.raw, 'blindspot');
      expect(all(r)).not.toContain(typed.token);
      expect(r.code, all(r)).toBe(2);
      expect(r.stderr).toMatch(/password=\*\*\*/);
    }
  }, 90_000);
});

describe('a password rotated while everything runs', () => {
  it('the old password, still in every URL, is never printed by the services, the dashboard or the command line', async () => {
    const prefix = uniquePrefix('secrets-rotation');
    const old = right;
    const url = old.url(server.port);
    const admin = new Redis(url);
    admin.on('error', () => undefined);
    const services = PROCESSES.map((name) => start(name, { REDIS_URL: url, BLINDSPOT_PREFIX: prefix }, 200_000));
    // Bounded well inside the test's own limit, so a command that hangs is named, with what it printed.
    const bound = { timeoutMs: 150_000 };
    const run = blindspot(['run', scenario, '--redis', url, '--external-services', '--prefix', prefix, '--timeout', '12'], bound);
    const load = blindspot(['load', scenario, '--redis', url, '--external-services', '--prefix', prefix, '--timeout', '12'], bound);
    const next = password('next');
    try {
      // Both runs submitted (their scenarios stored), so every process has connected with the old password.
      const deadline = Date.now() + 120_000;
      while ((await admin.keys(`${prefix}:run:*:scenario`)).length < 2) {
        if (Date.now() > deadline) throw new Error('the runs were never submitted');
        await new Promise((r) => setTimeout(r, 100));
      }
      await admin.config('SET', 'requirepass', next.raw);
      // Connections already authenticated stay so; drop them, so every process reconnects with the old one.
      await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      const [ran, loaded] = await Promise.all([run, load]);
      // The services have been retrying with the old password for a while by now.
      for (const service of services) service.stop();
      const served = await Promise.all(services.map((service) => service.done));
      for (const [what, r] of [
        ['run', ran],
        ['load', loaded],
      ] as const) {
        expectAbsent(all(r), old.raw, what);
        expect(r.code, all(r)).toBe(1);
      }
      PROCESSES.forEach((name, i) => {
        const { output } = served[i] as Ran;
        expectAbsent(output, old.raw, name);
        expect(output, name).toMatch(/WRONGPASS/);
      });
    } finally {
      await admin.config('SET', 'requirepass', old.raw).catch(() => undefined);
      admin.disconnect();
    }
  }, 240_000);
});

describe('a password rotated while the command line waits for a result', () => {
  it('gives up within --timeout: a connection that reconnected with the old password is never ready again, and its polls are bounded', async () => {
    const prefix = uniquePrefix('secrets-waiting');
    const old = right;
    const url = old.url(server.port);
    const admin = new Redis(url);
    admin.on('error', () => undefined);
    // No services: the run is submitted, then waited for, polled every few milliseconds.
    const started = Date.now();
    const run = blindspot(['run', scenario, '--redis', url, '--external-services', '--prefix', prefix, '--timeout', '8'], { timeoutMs: 90_000 });
    const next = password('next');
    try {
      const deadline = Date.now() + 60_000;
      // Submitted: its generation job is queued (the last thing submitting does); then a moment, so it is polling.
      while ((await admin.llen(`${prefix}:generate:wait`)) < 1) {
        if (Date.now() > deadline) throw new Error('the run was never submitted');
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1_500));
      await admin.config('SET', 'requirepass', next.raw);
      await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      const ran = await run;
      expect(ran.code, all(ran)).toBe(1);
      expect(ran.stderr).toMatch(/no answer from Redis|produced no result|lost Redis/);
      expectAbsent(all(ran), old.raw, 'run');
      expect(Date.now() - started).toBeLessThan(80_000);
    } finally {
      await admin.config('SET', 'requirepass', old.raw).catch(() => undefined);
      admin.disconnect();
    }
  }, 120_000);
});

describe('a malformed REDIS_URL', () => {
  const bad = password('bad');
  const urls = (port: number) => ({
    'a raw @ in the password': `redis://:${bad.token}@x@127.0.0.1:${port}`,
    'a stray %': `redis://:${bad.token}%zz@127.0.0.1:${port}`,
    'a # in the password': `redis://:${bad.token}#x@127.0.0.1:${port}`,
  });

  it('is refused at start-up by every service and the dashboard: exit 2, naming REDIS_URL, never echoing it', async () => {
    const cases = Object.entries(urls(server.port)).flatMap(([what, url]) => PROCESSES.map((name) => ({ what, name, url })));
    // Five at a time: fifteen processes starting at once on a small machine take longer than the bound.
    const results: Ran[] = [];
    for (let i = 0; i < cases.length; i += PROCESSES.length) {
      results.push(...(await Promise.all(cases.slice(i, i + PROCESSES.length).map(({ name, url }) => runFor(name, { REDIS_URL: url }, 30_000)))));
    }
    cases.forEach(({ what, name }, i) => {
      const { code, output } = results[i] as Ran;
      expectAbsent(output, bad.token, `${name} (${what})`);
      expect(code, `${name} (${what}): ${output}`).toBe(2);
      expect(output, name).toMatch(/REDIS_URL: /);
      expect(output, name).not.toMatch(/\n\s+at /);
    });
  }, 240_000);

  it('is refused by run and load as --redis: exit 2, naming --redis, never echoing it', async () => {
    const cases = Object.entries(urls(server.port)).flatMap(([what, url]) => (['run', 'load'] as const).map((verb) => ({ what, verb, url })));
    const results = await Promise.all(cases.map(({ verb, url }) => blindspot([verb, scenario, '--redis', url, '--external-services'])));
    cases.forEach(({ what, verb }, i) => {
      const r = results[i] as Completed;
      expectAbsent(all(r), bad.token, `${verb} (${what})`);
      expect(r.code, all(r)).toBe(2);
      expect(r.stderr).toMatch(/^--redis /);
    });
  }, 240_000);
});
