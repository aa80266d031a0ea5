/**
 * Redis ACL users, least privilege, against a real Redis loaded with the users acl.ts
 * makes: a whole run over BullMQ with every service, the dashboard and the command line
 * connected as its own user gives the embedded result and makes Redis refuse nothing
 * (ACL LOG stays empty); then each user is refused what it must not touch, the run's
 * client secret above all (NOPERM), and every user's reach over every key of a run is
 * held to the table below, written out here rather than taken from acl.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACL_ROLES, QUEUES, RunKeys, aclUser, aclUsers, policeKeyPattern, runNamespacePattern, scanKeys, type AclRole } from '@blindspot/pipeline/bullmq';
import { blindspot, scenarioCopy, withoutTiming } from './support/cli';
import { startRedisServer, uniquePrefix, type RedisServer } from './support/redis';
import { Fleet } from './support/services';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** How Redis refuses a command inside a script: its own error, not NOPERM. */
const REFUSED_IN_SCRIPT = /^ERR The user executing the script can't (access at least one of the keys|run this command)/;

const prefix = uniquePrefix('acl');
const passwords = Object.fromEntries(['default', ...ACL_ROLES].map((u) => [u, randomBytes(12).toString('hex')])) as Record<AclRole | 'default', string>;
let server: RedisServer;
let admin: Redis;
/** Where the ACL file (with the test's passwords) is written. */
const dir = mkdtempSync(join(tmpdir(), 'blindspot-acl-'));
const clients: Redis[] = [];

const urlOf = (role: AclRole) => `redis://${aclUser(role)}:${passwords[role]}@127.0.0.1:${server.port}`;

/** A connection as `role`'s user, that gives up rather than retrying. */
async function as(role: AclRole): Promise<Redis> {
  const redis = new Redis(urlOf(role), { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  redis.on('error', () => undefined);
  clients.push(redis);
  await redis.connect();
  return redis;
}

/** What ACL LOG holds, one line per refusal: who, what and on which key or command. */
async function refusals(): Promise<string[]> {
  const entries = (await admin.call('ACL', 'LOG')) as unknown[][];
  return entries.map((entry) => {
    const fields = new Map<string, unknown>();
    for (let i = 0; i < entry.length; i += 2) fields.set(String(entry[i]), entry[i + 1]);
    return `${fields.get('username')}: ${fields.get('reason')} ${fields.get('object')} (${fields.get('context')})`;
  });
}

beforeAll(async () => {
  const aclfile = join(dir, 'users.acl');
  writeFileSync(aclfile, `${aclUsers(prefix, passwords).join('\n')}\n`);
  server = await startRedisServer({ aclfile, password: passwords.default });
  admin = new Redis(server.url);
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  admin?.disconnect();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis ACL users', () => {
  it('run a whole scenario, every process as its own user, with the embedded result and no refusal', async () => {
    const fleet = new Fleet({ BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'info', HTTP_PORT: '0', DASHBOARD_PORT: '0', GENERATOR_HIGH_WATER: '4' });
    for (const role of ['generator', 'scanner', 'metadata-detector', 'reporter', 'dashboard'] as const) fleet.start(role, { REDIS_URL: urlOf(role) });
    try {
      let dashboard = '';
      for (const deadline = Date.now() + 60_000; !dashboard; await sleep(50)) {
        if (Date.now() > deadline) throw new Error(`the dashboard did not start:\n${fleet.logs()}`);
        dashboard = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"dashboard started"/.exec(fleet.log('dashboard'))?.[1] ?? '';
      }
      const file = scenarioCopy('scenarios/e2ee-client-side-scanning.yaml', {
        'durationDays: 30': 'durationDays: 5',
        'threshold: 30                 # Apple 2021': 'threshold: 10',
      });
      const over = blindspot(['run', file, '--json', '--redis', urlOf('cli'), '--prefix', prefix, '--external-services', '--batch-size', '500'], {
        timeoutMs: 400_000,
      });
      const embedded = blindspot(['run', file, '--json', '--batch-size', '500']);
      // The dashboard looks on while the run goes: its live view and Bull Board, every queue.
      let done = false;
      const pages: Record<string, number> = {};
      const looking = (async () => {
        while (!done) {
          for (const path of [
            '/api/live',
            '/queues/api/redis/stats',
            ...Object.values(QUEUES).map((q) => `/queues/api/queues?activeQueue=${q}&status=latest&page=1&jobsPerPage=10`),
          ]) {
            const res = await fetch(`${dashboard}${path}`);
            await res.arrayBuffer();
            pages[path] = res.status;
          }
          await sleep(250);
        }
      })();
      const [bullmq, reference] = await Promise.all([over, embedded]).finally(() => (done = true));
      await looking;
      expect(bullmq.code, `${bullmq.stderr.slice(-3000)}\n${fleet.logs().slice(-4000)}`).toBe(0);
      expect(reference.code, reference.stderr.slice(-2000)).toBe(0);
      const a = JSON.parse(reference.stdout) as Record<string, unknown> & { reports: { total: number }; clientSideScanning: { accountsOpened: number } };
      expect(a.reports.total).toBeGreaterThan(0);
      expect(a.clientSideScanning.accountsOpened).toBeGreaterThan(0);
      expect(withoutTiming(JSON.parse(bullmq.stdout) as Record<string, unknown>)).toEqual(withoutTiming(a));
      expect(Object.values(pages).length).toBeGreaterThan(0);
      const refusedDuring = await refusals();
      for (const [path, status] of Object.entries(pages))
        expect(status, `${path}: ${refusedDuring.join('; ')}\n${fleet.log('dashboard').slice(-3000)}`).toBe(200);
      // The command line's other use of the services: `load`, which also samples the queues and reads the latency figures.
      const load = await blindspot(
        [
          'load',
          scenarioCopy('scenarios/plaintext.yaml', { 'durationDays: 30': 'durationDays: 2' }),
          '--json',
          '--redis',
          urlOf('cli'),
          '--prefix',
          prefix,
          '--external-services',
        ],
        { timeoutMs: 300_000 },
      );
      expect(load.code, load.stderr.slice(-3000)).toBe(0);
      expect((JSON.parse(load.stdout) as { latencyMs: { batches: number } }).latencyMs.batches).toBeGreaterThan(0);
      expect(fleet.crashed()).toBeNull();
      expect(await refusals(), fleet.logs().slice(-4000)).toEqual([]);
      // The command line cleaned up as its own user: nothing of the run is left but its police sink.
      expect(await scanKeys(admin, runNamespacePattern(prefix, 'run'))).toEqual([]);
      expect(await scanKeys(admin, runNamespacePattern(prefix, 'secret'))).toEqual([]);
      expect((await scanKeys(admin, policeKeyPattern(prefix))).length).toBeGreaterThan(0);
    } finally {
      await fleet.stop();
    }
  }, 900_000);

  it('refuse the scanner, and everyone but the generator, a run’s client secret', async () => {
    const keys = new RunKeys(prefix, 'racl1');
    const generator = await as('generator');
    expect(await generator.set(keys.clientSecret, 'c2VjcmV0', 'EX', 600, 'NX')).toBe('OK');
    expect(await generator.set(keys.ledger, '{"messages":1}', 'EX', 600)).toBe('OK');
    expect(await generator.get(keys.clientSecret)).toBe('c2VjcmV0');
    const scanner = await as('scanner');
    await expect(scanner.get(keys.clientSecret)).rejects.toThrow(/^NOPERM/);
    // Nor through a script, whether it declares the key or not.
    await expect(scanner.eval("return redis.call('GET', KEYS[1])", 1, keys.clientSecret)).rejects.toThrow(/NOPERM/);
    await expect(scanner.eval(`return redis.call('GET', '${keys.clientSecret}')`, 0)).rejects.toThrow(REFUSED_IN_SCRIPT);
    await expect(scanner.get(keys.ledger)).rejects.toThrow(/^NOPERM/);
    for (const role of ['metadata-detector', 'reporter', 'dashboard', 'cli'] as const) {
      await expect((await as(role)).get(keys.clientSecret), role).rejects.toThrow(/^NOPERM/);
    }
    // The ledger: the reporter reads it, and the generator, which made it (its write is a script, which needs both).
    expect(await (await as('reporter')).get(keys.ledger)).toBe('{"messages":1}');
    expect(await generator.get(keys.ledger)).toBe('{"messages":1}');
    for (const role of ['metadata-detector', 'cli'] as const) await expect((await as(role)).get(keys.ledger), role).rejects.toThrow(/^NOPERM/);
    await expect((await as('dashboard')).get(keys.ledger)).rejects.toThrow(/^NOPERM/);
    // The command line deletes a run's secrets (cleaning up), without reading them.
    expect(await (await as('cli')).del(keys.clientSecret, keys.ledger)).toBe(2);
    // Redis logged each refusal: the empty log of the run above was not an empty log by accident.
    const log = await refusals();
    expect(log).toContainEqual(`scanner: key ${keys.clientSecret} (toplevel)`);
    expect(log).toContainEqual(`scanner: key ${keys.clientSecret} (lua)`);
    expect(log).toContainEqual(`dashboard: key ${keys.ledger} (toplevel)`);
    await admin.call('ACL', 'LOG', 'RESET');
  });

  it('keep the dashboard to reading the queues, scripts included', async () => {
    const dashboard = await as('dashboard');
    const scanJob = `${prefix}:${QUEUES.scan}:1`;
    const write = "return redis.call('HSET', KEYS[1], 'data', '{}')";
    const read = "return redis.call('HGET', KEYS[1], 'data')";
    for (const [who, redis] of [['dashboard', dashboard]] as const) {
      expect(await redis.eval(read, 1, scanJob), who).toBeNull();
      await expect(redis.eval(write, 1, scanJob), who).rejects.toThrow(REFUSED_IN_SCRIPT);
      await expect(redis.hset(scanJob, 'data', '{}'), who).rejects.toThrow(/^NOPERM/);
    }
    await expect(dashboard.set(new RunKeys(prefix, 'racl2').scenario, '{}')).rejects.toThrow(/^NOPERM/);
    // The scanner cannot feed the generator a run, or the metadata detector a batch.
    const scanner = await as('scanner');
    await expect(scanner.eval(write, 1, `${prefix}:${QUEUES.generate}:1`)).rejects.toThrow(/^NOPERM/);
    await expect(scanner.hset(`${prefix}:${QUEUES.metadata}:1`, 'data', '{}')).rejects.toThrow(/^NOPERM/);
    await admin.call('ACL', 'LOG', 'RESET');
  });

  it('give each user exactly the reach over a run’s keys that the table says', async () => {
    const keys = new RunKeys(prefix, 'racl3');
    const metadata = keys.stage('metadata');
    const reporter = keys.stage('reporter');
    const queue = (q: string) => `${prefix}:${q}:wait`;
    const G = 'generator';
    const S = 'scanner';
    const M = 'metadata-detector';
    const R = 'reporter';
    const D = 'dashboard';
    const C = 'cli';
    type Reach = Partial<Record<AclRole, 'R' | 'W' | 'RW'>>;
    // Who may GET (R) and SET (W) each key; no entry: neither.
    const table: [string, string, Reach][] = [
      ['scenario', keys.scenario, { [G]: 'R', [S]: 'R', [M]: 'R', [R]: 'R', [D]: 'R', [C]: 'W' }],
      ['file', keys.file, { [G]: 'R', [S]: 'R', [M]: 'R', [R]: 'R', [C]: 'W' }],
      ['options', keys.options, { [G]: 'R', [S]: 'R', [M]: 'R', [R]: 'R', [D]: 'R', [C]: 'W' }],
      ['definition authenticator', keys.definitionAuth, { [G]: 'R', [S]: 'R', [M]: 'R', [R]: 'R', [C]: 'W' }],
      ['client secret', keys.clientSecret, { [G]: 'RW', [C]: 'W' }],
      ['platform key', keys.platformKey, { [G]: 'RW', [R]: 'R', [C]: 'W' }],
      ['ledger', keys.ledger, { [G]: 'RW', [R]: 'R', [C]: 'W' }],
      ['ledger parts', keys.ledgerParts, { [G]: 'RW', [C]: 'W' }],
      ['result', keys.result, { [R]: 'RW', [D]: 'R', [C]: 'RW' }],
      ['error', keys.error, { [G]: 'RW', [S]: 'RW', [M]: 'RW', [R]: 'RW', [D]: 'R', [C]: 'RW' }],
      ['progress', keys.progress, { [G]: 'RW', [D]: 'R', [C]: 'RW' }],
      ['timeline', keys.timeline, { [G]: 'RW', [C]: 'RW' }],
      ['generated', keys.generated, { [G]: 'RW', [S]: 'R', [M]: 'R', [R]: 'R', [D]: 'R', [C]: 'W' }],
      ['pickups', keys.pickups, { [G]: 'RW', [C]: 'W' }],
      ['dead-lettered', keys.deadLettered, { [G]: 'RW', [S]: 'RW', [M]: 'RW', [R]: 'RW', [C]: 'W' }],
      ['cancelled marker', keys.cancelled, { [G]: 'RW', [S]: 'RW', [M]: 'RW', [R]: 'RW', [C]: 'W' }],
      ['police sink', keys.police, { [R]: 'RW', [D]: 'R' }],
      ['metadata next', metadata.next, { [G]: 'R', [S]: 'R', [M]: 'RW', [R]: 'R', [D]: 'R', [C]: 'W' }],
      ['metadata state', metadata.state, { [M]: 'RW', [C]: 'W' }],
      ['metadata inbox', metadata.inbox, { [G]: 'R', [S]: 'R', [M]: 'RW', [R]: 'R', [C]: 'W' }],
      ['reporter next', reporter.next, { [G]: 'R', [S]: 'R', [M]: 'R', [R]: 'RW', [D]: 'R', [C]: 'W' }],
      ['reporter inbox', reporter.inbox, { [G]: 'R', [S]: 'R', [M]: 'R', [R]: 'RW', [D]: 'R', [C]: 'W' }],
      ['reporter state', reporter.state, { [G]: 'R', [R]: 'RW', [C]: 'RW' }],
      ['reporter out', reporter.out, { [R]: 'RW', [C]: 'W' }],
      ['generate queue', queue(QUEUES.generate), { [G]: 'RW', [D]: 'R', [C]: 'RW' }],
      ['scan queue', queue(QUEUES.scan), { [G]: 'RW', [S]: 'RW', [D]: 'R', [C]: 'RW' }],
      ['metadata queue', queue(QUEUES.metadata), { [G]: 'RW', [M]: 'RW', [D]: 'R', [C]: 'RW' }],
      ['report queue', queue(QUEUES.report), { [G]: 'R', [S]: 'RW', [M]: 'RW', [R]: 'RW', [D]: 'R', [C]: 'RW' }],
      ['dead-letter queue', queue(QUEUES.deadLetter), { [G]: 'RW', [S]: 'RW', [M]: 'RW', [R]: 'RW', [D]: 'R' }],
      ['another deployment', new RunKeys('{elsewhere}', 'racl3').scenario, {}],
      ['outside any namespace', `${prefix}:anything`, {}],
    ];
    const reach = async (role: AclRole, key: string) => {
      const [get, set] = await Promise.all([admin.call('ACL', 'DRYRUN', role, 'GET', key), admin.call('ACL', 'DRYRUN', role, 'SET', key, 'v')]);
      return `${get === 'OK' ? 'R' : ''}${set === 'OK' ? 'W' : ''}`;
    };
    const found: Record<string, Record<string, string>> = {};
    const wanted: Record<string, Record<string, string>> = {};
    for (const [what, key, expected] of table) {
      found[what] = {};
      wanted[what] = {};
      for (const role of ACL_ROLES) {
        found[what][role] = await reach(role, key);
        wanted[what][role] = expected[role] ?? '';
      }
    }
    expect(found).toEqual(wanted);
  });
});
