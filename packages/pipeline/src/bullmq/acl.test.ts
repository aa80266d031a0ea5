import { describe, expect, it } from 'vitest';
import { ACL_ROLES, aclFile, aclRules, aclUsers, passwordVariable, roleAccess } from './acl';
import { RunKeys } from './keys';

const PREFIX = '{blindspot}';

/** Redis glob semantics for the one wildcard the patterns use. */
const matches = (pattern: string, key: string) => new RegExp(`^${pattern.replace(/[{}]/g, '\\$&').replaceAll('*', '.*')}$`).test(key);

describe('ACL users', () => {
  it('reach only keys of their own deployment', () => {
    for (const role of ACL_ROLES) {
      const access = roleAccess(PREFIX, role);
      for (const pattern of [...access.keys.map((k) => k.pattern), ...access.readOnly])
        expect(pattern.startsWith(`${PREFIX}:`), `${role}: ${pattern}`).toBe(true);
    }
  });

  it('let only the generator read a client secret, and only the generator (which made it) and the reporter the ledger', () => {
    const keys = new RunKeys(PREFIX, 'r1');
    const readers = (key: string) =>
      ACL_ROLES.filter((role) => {
        const access = roleAccess(PREFIX, role);
        return access.keys.some((k) => k.access !== 'W' && matches(k.pattern, key)) || access.readOnly.some((p) => matches(p, key));
      });
    expect(readers(keys.clientSecret)).toEqual(['generator']);
    expect(readers(keys.ledger)).toEqual(['generator', 'reporter']);
    expect(readers(keys.platformKey)).toEqual(['generator', 'reporter']);
  });

  it('grant every partition alike, each under its own hash tag, and the secrets of a run in any partition to the generator alone', () => {
    for (const role of ACL_ROLES) {
      const one = roleAccess(PREFIX, role).keys.filter((k) => !k.pattern.endsWith(':partitions'));
      const three = roleAccess(PREFIX, role, { partitions: 3 });
      for (const k of [1, 2]) {
        const tag = `{blindspot:${k}}`;
        const inPartition = three.keys.filter((g) => g.pattern.startsWith(`${tag}:`));
        expect(inPartition, `${role} in ${tag}`).toEqual(one.map((g) => ({ ...g, pattern: tag + g.pattern.slice(PREFIX.length) })));
      }
      expect(three.keys.filter((g) => g.pattern === `${PREFIX}:partitions`)).toHaveLength(1);
    }
    const run = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'].find((r) => new RunKeys(PREFIX, r, 3).partition === 2) as string;
    const keys = new RunKeys(PREFIX, run, 3);
    expect(keys.clientSecret.startsWith('{blindspot:2}:')).toBe(true);
    const readers = ACL_ROLES.filter((role) => {
      const access = roleAccess(PREFIX, role, { partitions: 3 });
      return access.keys.some((k) => k.access !== 'W' && matches(k.pattern, keys.clientSecret)) || access.readOnly.some((p) => matches(p, keys.clientSecret));
    });
    expect(readers).toEqual(['generator']);
  });

  it('print a file of users without passwords, with passwords only when given', () => {
    const lines = aclFile(PREFIX).trimEnd().split('\n');
    const users = lines.filter((l) => !l.startsWith('#'));
    expect(users).toEqual(aclUsers(PREFIX));
    expect(users.map((l) => l.split(' ')[1])).toEqual(['default', ...ACL_ROLES]);
    for (const line of users) expect(line, line).not.toMatch(/ [>#<]/);
    for (const user of ['default' as const, ...ACL_ROLES]) expect(aclFile(PREFIX)).toContain(passwordVariable(user));
    expect(aclUsers(PREFIX, { scanner: 'pw1' })[2]).toBe(`user scanner ${aclRules(PREFIX, 'scanner').join(' ')} >pw1`);
    expect(passwordVariable('metadata-detector')).toBe('REDIS_PASSWORD_METADATA_DETECTOR');
  });

  it('give the dashboard write on the queues, and only them, with queue actions on', () => {
    const off = roleAccess(PREFIX, 'dashboard');
    const on = roleAccess(PREFIX, 'dashboard', { dashboardQueueActions: true });
    expect(on.keys).toEqual(off.keys);
    expect(off.commands).not.toContain('+@all');
    expect(on.commands).toContain('+@all');
    // The queues; the runs, the police sinks and the record of the partitions stay read-only.
    const readOnly = (pattern: string) => pattern.includes(':run:') || pattern.includes(':police:') || pattern.endsWith(':partitions');
    for (const k of on.keys) expect(k.access, k.pattern).toBe(readOnly(k.pattern) ? 'R' : 'RW');
  });
});
