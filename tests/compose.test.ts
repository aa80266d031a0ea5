/**
 * The compose file, run without a container engine: each service's command, with the
 * environment compose gives it, is started as a local process against a private Redis
 * started by compose's own Redis command, with its ACL users (the image's ENTRYPOINT is
 * prepended, as the container would). The one-shot comparison must finish and equal the
 * embedded comparison, with every service connected as its own user and Redis refusing
 * none of them anything, and every long-running service must stop cleanly on SIGTERM
 * within compose's 10-second grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ACL_ROLES, aclFile, aclUser, passwordVariable } from '@blindspot/pipeline/bullmq';
import { REPO_ROOT, blindspot, runProcess, withoutTiming } from './support/cli';
import { startRedisServer, type RedisServer } from './support/redis';

interface ComposeService {
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  restart?: string;
}

const composeText = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');

/** Compose's variable interpolation (${VAR}, ${VAR:?error}, ${VAR:-default}, $$), for the variables given. */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(
    /\$\$|\$\{([A-Z_][A-Z0-9_]*)(?:(:\?|:-)([^}]*))?\}/g,
    (whole, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (whole === '$$') return '$';
      const value = vars[name as string];
      if (value !== undefined && value !== '') return value;
      if (op === ':-') return arg ?? '';
      throw new Error(`docker-compose.yml needs ${name}: ${arg ?? 'not set'}`);
    },
  );
}

/** Passwords only this test uses, as an operator would set REDIS_PASSWORD and each user's. */
const PASSWORDS = Object.fromEntries(['default' as const, ...ACL_ROLES].map((user) => [passwordVariable(user), randomBytes(12).toString('hex')]));
/** The job key, as an operator would set BLINDSPOT_JOB_KEY. */
const JOB_KEY = randomBytes(32).toString('hex');
const compose = parse(interpolate(composeText, { ...PASSWORDS, BLINDSPOT_JOB_KEY: JOB_KEY }), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const entrypoint = (() => {
  const line = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('ENTRYPOINT'))
    .pop();
  if (!line) throw new Error('Dockerfile has no ENTRYPOINT');
  return JSON.parse(line.slice('ENTRYPOINT'.length)) as string[];
})();

/** The URL a compose service reaches Redis by, as `user`. */
const composeRedis = (user: (typeof ACL_ROLES)[number]) => `redis://${aclUser(user)}:${PASSWORDS[passwordVariable(user)]}@redis:6379`;
const COMPOSE_HOST = '@redis:6379';

/** A URL naming compose's Redis, pointed at `address` (host:port) instead. */
const local = (value: string, address: string) => (value.startsWith('redis://') ? value.replace(COMPOSE_HOST, `@${address}`) : value);

function localise(values: string[], address: string, outDir: string): string[] {
  return values.map((v, i) => (values[i - 1] === '--out' ? outDir : local(v, address)));
}

const running: ChildProcess[] = [];
const servers: RedisServer[] = [];
afterAll(async () => {
  for (const c of running) c.kill('SIGKILL');
  await Promise.all(servers.map((s) => s.stop()));
});

describe('docker-compose.yml, run as local processes', () => {
  const built = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
  const longRunning = built.filter(([, s]) => s.restart !== 'no');
  const oneShot = built.filter(([, s]) => s.restart === 'no');

  it("requires every Redis user's password and the job key from the environment, has no default for any, and gives each service its own user", () => {
    expect(() => interpolate(composeText, PASSWORDS)).toThrow(/needs BLINDSPOT_JOB_KEY: set BLINDSPOT_JOB_KEY to 64 hex digits/);
    for (const variable of Object.keys(PASSWORDS)) {
      const { [variable]: _left, ...others } = PASSWORDS;
      expect(() => interpolate(composeText, { ...others, BLINDSPOT_JOB_KEY: JOB_KEY }), variable).toThrow(
        new RegExp(`needs ${variable}: set ${variable} \\(letters and digits`),
      );
    }
    const redis = compose.services.redis as ComposeService & { command: string[]; volumes: string[] };
    expect(redis.command.slice(0, 2)).toEqual(['sh', '/etc/blindspot/redis/start.sh']);
    expect(redis.volumes).toContain('./ops/redis:/etc/blindspot/redis:ro');
    expect(redis.environment).toEqual(PASSWORDS);
    expect((redis as { ports?: unknown }).ports).toBeUndefined();
    for (const [name, s] of longRunning) expect(s.environment?.REDIS_URL, name).toBe(composeRedis(name as (typeof ACL_ROLES)[number]));
    const [, compare] = oneShot[0] as [string, ComposeService];
    expect(compare.environment?.REDIS_URL).toBeUndefined();
    expect(compare.command).toContain(composeRedis('cli'));
  });

  it('loads the ACL users made from the key layout for its prefix', () => {
    const prefixes = [...new Set(built.map(([, s]) => s.environment?.BLINDSPOT_PREFIX ?? ''))];
    expect(prefixes).toEqual(['{blindspot}']);
    const prefix = prefixes[0] as string;
    expect(readFileSync(join(REPO_ROOT, 'ops/redis/users.acl'), 'utf8'), `make it again: pnpm blindspot acl --prefix '${prefix}' > ops/redis/users.acl`).toBe(
      aclFile(prefix),
    );
  });

  it('has the four services and a one-shot comparison', () => {
    expect(longRunning.map(([n]) => n).sort()).toEqual(['dashboard', 'generator', 'metadata-detector', 'reporter', 'scanner']);
    // Each long-running service: a health check, a restart policy, limits, and a grace period.
    for (const [name, s] of longRunning) {
      const full = s as ComposeService & { healthcheck?: { test?: string[] }; cpus?: number; mem_limit?: string; stop_grace_period?: string };
      expect(full.healthcheck?.test?.join(' '), name).toMatch(/\/(readyz|healthz)/);
      expect(full.restart, name).toBe('unless-stopped');
      expect(full.cpus, name).toBeGreaterThan(0);
      expect(full.mem_limit, name).toMatch(/^\d+[mg]$/);
      expect(full.stop_grace_period, name).toBe('10s');
    }
    // Only the dashboard (and, in the observability profile, Prometheus and Grafana) is
    // published, and only on the host's loopback.
    const published: Record<string, string[]> = { dashboard: ['127.0.0.1:8080:8080'], prometheus: ['127.0.0.1:9090:9090'], grafana: ['127.0.0.1:3000:3000'] };
    for (const [name, s] of Object.entries(compose.services)) {
      expect((s as { ports?: string[] }).ports ?? [], name).toEqual(published[name] ?? []);
    }
    for (const name of ['prometheus', 'grafana']) expect((compose.services[name] as { profiles?: string[] }).profiles).toEqual(['observability']);
    expect(oneShot.map(([n]) => n)).toEqual(['compare']);
    const redis = compose.services.redis as ComposeService & { command: string[] };
    expect(redis.command.join(' ')).toMatch(/--appendonly yes/);
    expect(redis.command.join(' ')).toMatch(/--maxmemory-policy noeviction/);
  });

  it('gives Prometheus its configuration, and Grafana the dashboard and a data source that is that Prometheus', () => {
    const mounts = (name: string) =>
      Object.fromEntries(((compose.services[name] as { volumes: string[] }).volumes ?? []).map((v) => v.split(':').slice(0, 2) as [string, string]));
    const prometheus = compose.services.prometheus as ComposeService & { ports: string[] };
    const config = mounts('prometheus')['./ops/prometheus/prometheus.yml'];
    expect(prometheus.command).toContain(`--config.file=${config}`);

    const grafana = compose.services.grafana as ComposeService & { environment: Record<string, string> };
    expect(mounts('grafana')['./ops/grafana/provisioning']).toBe('/etc/grafana/provisioning');
    const dashboards = mounts('grafana')['./ops/grafana/dashboards'] as string;
    const provider = parse(readFileSync(join(REPO_ROOT, 'ops/grafana/provisioning/dashboards/blindspot.yml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    expect(provider.providers.map((p) => p.options.path)).toEqual([dashboards]);
    const home = grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH as string;
    expect(home.startsWith(`${dashboards}/`), home).toBe(true);
    const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'ops/grafana/dashboards', home.slice(dashboards.length + 1)), 'utf8')) as unknown;

    const { datasources } = parse(readFileSync(join(REPO_ROOT, 'ops/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
      datasources: { uid: string; type: string; url: string }[];
    };
    expect(datasources).toHaveLength(1);
    const [source] = datasources as [{ uid: string; type: string; url: string }];
    // The port Prometheus listens on in its container: the right-hand side of its published port.
    expect(source).toMatchObject({ type: 'prometheus', url: `http://prometheus:${prometheus.ports[0]?.split(':').pop()}` });
    const used: unknown[] = [];
    const walk = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        if (key === 'datasource') used.push(value);
        walk(value);
      }
    };
    walk(dashboard);
    expect(used.length).toBeGreaterThan(0);
    for (const ref of used) expect(ref).toEqual({ type: 'prometheus', uid: source.uid });
  });

  it('runs the comparison with the embedded result and stops cleanly', async () => {
    // Compose's Redis, started by its own command with its users (on a port and in a folder of this test's).
    const redis = compose.services.redis as ComposeService & { command: string[] };
    const [shell, script, ...redisArgs] = redis.command as [string, string, ...string[]];
    const server = await startRedisServer({
      password: PASSWORDS.REDIS_PASSWORD,
      via: { command: [shell, script.replace('/etc/blindspot/redis/', 'ops/redis/'), ...redisArgs], env: redis.environment ?? {} },
    });
    servers.push(server);
    const address = `127.0.0.1:${server.port}`;
    const outDir = mkdtempSync(join(tmpdir(), 'blindspot-compose-'));
    // As compose gives them (its prefix too: this Redis is the test's own), except what a
    // container has to itself: its ports and address.
    const envOf = (s: ComposeService) => ({
      ...Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, local(v, address)])),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      DASHBOARD_HOST: '127.0.0.1',
      DASHBOARD_PORT: '0',
      RESULTS_DIR: outDir,
      BLINDSPOT_OUT: outDir,
    });
    const exits = new Map<string, Promise<{ code: number | null; at: number }>>();
    const logs = new Map<string, string>();
    for (const [name, service] of longRunning) {
      const [cmd, ...args] = [...entrypoint, ...(service.command ?? [])];
      const child = spawn(cmd === 'node' ? process.execPath : (cmd as string), localise(args, address, outDir), {
        cwd: REPO_ROOT,
        env: { ...process.env, ...envOf(service) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running.push(child);
      logs.set(name, '');
      const append = (d: Buffer) => logs.set(name, (logs.get(name) ?? '') + d.toString());
      child.stdout.on('data', append);
      child.stderr.on('data', append);
      exits.set(name, new Promise((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() }))));
    }

    const [name, compare] = oneShot[0] as [string, ComposeService];
    const [cmd, ...args] = [...entrypoint, ...(compare.command ?? [])];
    expect(cmd).toBe('node');
    const [oneshot, embedded] = await Promise.all([
      runProcess(process.execPath, localise(args, address, outDir), { env: envOf(compare), timeoutMs: 720_000 }),
      blindspot(['compare', 'scenarios/plaintext.yaml', 'scenarios/e2ee.yaml', '--json'], { timeoutMs: 720_000 }),
    ]);
    expect(oneshot.code, `${name}: ${oneshot.stderr.slice(-3000)}`).toBe(0);
    expect(embedded.code).toBe(0);

    const written = JSON.parse(readFileSync(join(outDir, 'latest', 'comparison.json'), 'utf8')) as { a: Record<string, unknown>; b: Record<string, unknown> };
    const reference = JSON.parse(embedded.stdout) as typeof written;
    expect(written.a.timing).toMatchObject({ transport: 'bullmq' });
    expect(withoutTiming(written.a)).toEqual(withoutTiming(reference.a));
    expect(withoutTiming(written.b)).toEqual(withoutTiming(reference.b));
    // Every process as its own user, and Redis refused none of them anything.
    const admin = new Redis(server.url);
    try {
      expect(await admin.call('ACL', 'LOG')).toEqual([]);
      expect(((await admin.call('ACL', 'USERS')) as string[]).sort()).toEqual(['default', ...ACL_ROLES].sort());
    } finally {
      admin.disconnect();
    }

    // Graceful shutdown: SIGTERM, and every service exits 0 well inside 10 s.
    const signalled = Date.now();
    for (const child of running) child.kill('SIGTERM');
    for (const [service, exit] of exits) {
      const { code, at } = await exit;
      expect(code, `${service} exit code; log:\n${(logs.get(service) ?? '').slice(-2000)}`).toBe(0);
      expect(at - signalled).toBeLessThan(10_000);
    }
    // Two full 30-day runs on a shared, loaded machine: minutes, so a generous bound.
  }, 900_000);
});
