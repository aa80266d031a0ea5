import { describe, expect, it } from 'vitest';
import {
  REPORTER_STATE,
  RunKeys,
  deadLetterJobId,
  enteredField,
  inboxField,
  jobId,
  parseInboxField,
  parseJobId,
  policeKeyPattern,
  runKeyPattern,
  runOfKey,
  runOfPoliceKey,
} from './keys';

const PREFIX = '{blindspot}';

/** Redis MATCH semantics for the one wildcard the patterns use. */
const matches = (pattern: string, key: string) => new RegExp(`^${pattern.replace(/[{}]/g, '\\$&').replaceAll('*', '.*')}$`).test(key);

describe('key layout', () => {
  const keys = new RunKeys(PREFIX, 'r1abc');

  it('keeps the layout that runs under way and readers elsewhere rely on', () => {
    expect(keys.scenario).toBe('{blindspot}:run:r1abc:scenario');
    expect(keys.clientSecret).toBe('{blindspot}:run:r1abc:client-secret');
    expect(keys.deadLettered).toBe('{blindspot}:run:r1abc:dead-lettered');
    expect(keys.police).toBe('{blindspot}:police:r1abc');
    expect(keys.stage('reporter')).toEqual({
      next: '{blindspot}:run:r1abc:reporter:next',
      inbox: '{blindspot}:run:r1abc:reporter:inbox',
      state: '{blindspot}:run:r1abc:reporter:state',
      out: '{blindspot}:run:r1abc:reporter:out',
      emitted: '{blindspot}:run:r1abc:reporter:emitted',
    });
    expect(jobId('r1abc', 'scan-in', 7)).toBe('r1abc.scan-in.7');
    expect(deadLetterJobId('scan', '12')).toBe('scan.12');
  });

  it('finds a run from the keys its patterns match, and nothing from other keys', () => {
    expect(matches(runKeyPattern(PREFIX), keys.scenario)).toBe(true);
    expect(matches(runKeyPattern(PREFIX), keys.file)).toBe(false);
    expect(runOfKey(PREFIX, keys.scenario)).toBe('r1abc');
    expect(matches(runKeyPattern(PREFIX, 'clientSecret'), keys.clientSecret)).toBe(true);
    expect(runOfKey(PREFIX, keys.clientSecret, 'clientSecret')).toBe('r1abc');
    expect(runOfKey(PREFIX, keys.file)).toBeNull();
    expect(runOfKey('{other}', keys.scenario)).toBeNull();
    expect(matches(policeKeyPattern(PREFIX), keys.police)).toBe(true);
    expect(runOfPoliceKey(PREFIX, keys.police)).toBe('r1abc');
    expect(runOfPoliceKey(PREFIX, keys.scenario)).toBeNull();
  });

  it("keeps a cancelled run's marker out of the run's keys, which are deleted when it is set", () => {
    expect(keys.cancelled).toBe('{blindspot}:cancelled:r1abc');
    expect(matches(keys.pattern, keys.cancelled)).toBe(false);
    expect(matches(keys.pattern, keys.pickups)).toBe(true);
    expect(matches(keys.pattern, keys.stage('reporter').inbox)).toBe(true);
  });

  it('reads back the batch a job id names, on the queue that batch travels on only', () => {
    expect(parseJobId('scan', jobId('r1abc', 'scan-in', 7))).toEqual({ run: 'r1abc', hop: 'scan-in', seq: 7 });
    // As added: with the authenticator's tag.
    expect(parseJobId('scan', `${jobId('r1abc', 'scan-in', 7)}.${'a0'.repeat(12)}`)).toEqual({ run: 'r1abc', hop: 'scan-in', seq: 7 });
    expect(parseJobId('scan', `${jobId('r1abc', 'scan-in', 7)}.${'a0'.repeat(11)}`)).toBeNull();
    expect(parseJobId('metadata', jobId('r1abc', 'metadata-in', 0))).toEqual({ run: 'r1abc', hop: 'metadata-in', seq: 0 });
    expect(parseJobId('report', jobId('r1abc', 'scan', 12))).toEqual({ run: 'r1abc', hop: 'scan', seq: 12 });
    expect(parseJobId('report', jobId('r1abc', 'metadata', 12))).toEqual({ run: 'r1abc', hop: 'metadata', seq: 12 });
    expect(parseJobId('metadata', jobId('r1abc', 'scan-in', 7))).toBeNull();
    expect(parseJobId('generate', 'r1abc')).toBeNull();
    expect(parseJobId('scan', '42')).toBeNull();
    expect(parseJobId('scan', 'r1abc.scan-in.seven')).toBeNull();
    expect(parseJobId('scan', 'r1abc.scan-in.-1')).toBeNull();
    expect(parseJobId('scan', undefined)).toBeNull();
  });

  it('parses back the fields it writes', () => {
    expect(inboxField(12, 'scan')).toBe('12:scan');
    expect(parseInboxField(inboxField(12, 'scan'))).toEqual({ seq: 12, source: 'scan' });
    expect(parseInboxField('scan')).toBeNull();
    expect(enteredField(3)).toBe('in:3');
    expect(REPORTER_STATE.appliedSeq(REPORTER_STATE.applied(41))).toBe(41);
    expect(REPORTER_STATE.appliedSeq(REPORTER_STATE.detected(41))).toBeNull();
    expect(REPORTER_STATE.appliedSeq(REPORTER_STATE.state)).toBeNull();
  });
});
