import { describe, expect, it } from 'vitest';
import { AUTH_FIELD, ForgedJobError, JobAuthenticator, jobKeyProblem, newJobKey } from './authenticator';
import { QUEUES } from './keys';

const key = newJobKey();
const auth = new JobAuthenticator(key);
const other = new JobAuthenticator(newJobKey());

/** What BullMQ does to job data: JSON there and back. */
const stored = <T>(data: T): unknown => JSON.parse(JSON.stringify(data));

describe('the job authenticator', () => {
  const data = { run: 'r1abc', seq: 7, final: false, messages: 'AAAA', reports: [{ t: 0.1 + 0.2, n: -0, big: 2 ** 53 - 1 }] };

  it('accepts a job as signed, after JSON there and back, and returns its data without the authenticator', () => {
    const id = auth.jobId('r1abc.scan-in.7');
    expect(auth.verify(QUEUES.scan, id, stored(auth.sign(QUEUES.scan, id, data)))).toEqual(stored(data));
  });

  it('gives a plain id the same authenticated id every time, and another under another key', () => {
    expect(auth.jobId('r1abc.scan-in.7')).toBe(auth.jobId('r1abc.scan-in.7'));
    expect(auth.jobId('r1abc.scan-in.7')).toMatch(/^r1abc\.scan-in\.7\.[0-9a-f]{24}$/);
    expect(auth.jobId('r1abc.scan-in.7')).not.toBe(other.jobId('r1abc.scan-in.7'));
    expect(auth.jobId('r1abc.scan-in.7')).not.toBe(auth.jobId('r1abc.scan-in.8'));
  });

  it('refuses a job with no authenticator, one signed under another key, and one altered, moved or renamed', () => {
    const id = auth.jobId('r1abc.scan-in.7');
    const signed = stored(auth.sign(QUEUES.scan, id, data)) as Record<string, unknown>;
    const refused = (queue: (typeof QUEUES)[keyof typeof QUEUES], jobId: string | undefined, d: unknown) => () => auth.verify(queue, jobId, d);
    expect(refused(QUEUES.scan, id, stored(data))).toThrow(new ForgedJobError('forged job: it carries no authenticator'));
    expect(refused(QUEUES.scan, id, stored(other.sign(QUEUES.scan, id, data)))).toThrow(/does not match/);
    expect(refused(QUEUES.scan, id, { ...signed, seq: 8 })).toThrow(/does not match/);
    expect(refused(QUEUES.scan, id, { ...signed, extra: 1 })).toThrow(/does not match/);
    expect(refused(QUEUES.metadata, id, signed)).toThrow(/does not match/);
    expect(refused(QUEUES.scan, auth.jobId('r1abc.scan-in.8'), signed)).toThrow(/does not match/);
    expect(refused(QUEUES.scan, undefined, signed)).toThrow(/does not match/);
    expect(refused(QUEUES.scan, id, { ...signed, [AUTH_FIELD]: 42 })).toThrow(/no authenticator/);
    for (const d of [null, 'x', 7, [signed]]) expect(refused(QUEUES.scan, id, d)).toThrow(/not an object/);
  });

  it('authenticates a run definition part by part', () => {
    const a = auth.runDefinition('r1', '{"name":"x"}', 'a.yaml', '{"batchSize":5}');
    expect(auth.verifyRunDefinition('r1', '{"name":"x"}', 'a.yaml', '{"batchSize":5}', a)).toBe(true);
    expect(auth.verifyRunDefinition('r1', '{"name":"y"}', 'a.yaml', '{"batchSize":5}', a)).toBe(false);
    expect(auth.verifyRunDefinition('r2', '{"name":"x"}', 'a.yaml', '{"batchSize":5}', a)).toBe(false);
    // Moving a character from one part to the next changes the authenticator.
    expect(auth.verifyRunDefinition('r1', '{"name":"x"}a', '.yaml', '{"batchSize":5}', a)).toBe(false);
    expect(auth.verifyRunDefinition('r1', '{"name":"x"}', 'a.yaml', '{"batchSize":5}', null)).toBe(false);
    expect(other.verifyRunDefinition('r1', '{"name":"x"}', 'a.yaml', '{"batchSize":5}', a)).toBe(false);
  });

  it('takes only a key of 64 hex digits or more, and never quotes one it refuses', () => {
    expect(jobKeyProblem(newJobKey())).toBeNull();
    expect(jobKeyProblem('ab'.repeat(40))).toBeNull();
    for (const bad of ['', 'ab'.repeat(31), `${'ab'.repeat(32)}g0`, `${'ab'.repeat(32)}a`]) {
      expect(jobKeyProblem(bad)).toMatch(/openssl rand -hex 32/);
      expect(() => new JobAuthenticator(bad)).toThrow(/^BLINDSPOT_JOB_KEY (must be|is empty)/);
    }
    expect(jobKeyProblem('ab'.repeat(31))).not.toContain('abab');
  });
});

describe('a result document', () => {
  const doc = { scenario: { name: 'x', seed: 7 }, reports: { total: 3, rate: 0.1 + 0.2 } };

  it('is accepted as the reporter signed it, and returned without its authenticator', () => {
    expect(auth.verifyResult('r1', auth.signResult('r1', doc))).toEqual(doc);
  });

  it('is refused if written without the key, for another run, changed, or not JSON', () => {
    expect(() => auth.verifyResult('r1', JSON.stringify(doc))).toThrow(/not authenticated by the job key/);
    expect(() => auth.verifyResult('r1', other.signResult('r1', doc))).toThrow(/not authenticated/);
    expect(() => auth.verifyResult('r2', auth.signResult('r1', doc))).toThrow(/not authenticated/);
    const changed = JSON.parse(auth.signResult('r1', doc)) as { reports: { total: number } };
    changed.reports.total = 300;
    expect(() => auth.verifyResult('r1', JSON.stringify(changed))).toThrow(/not authenticated/);
    expect(() => auth.verifyResult('r1', '{"no')).toThrow(/not JSON/);
    expect(() => auth.verifyResult('r1', 'null')).toThrow(/not authenticated/);
  });
});
