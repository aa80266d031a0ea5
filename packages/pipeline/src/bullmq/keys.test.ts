import { describe, expect, it } from 'vitest';
import {
  MAX_PARTITIONS,
  NAMESPACES,
  QUEUES,
  REPORTER_STATE,
  RunKeys,
  deadLetterJobId,
  enteredField,
  inboxField,
  jobId,
  parseInboxField,
  parseJobId,
  partitionOf,
  partitionPrefix,
  partitionPrefixes,
  partitionsKey,
  policeKeyPattern,
  queueKeyPattern,
  runKeyPattern,
  runOfKey,
  runOfPoliceKey,
  stageKeyPattern,
} from './keys';

const PREFIX = '{blindspot}';

/** Redis MATCH semantics for the one wildcard the patterns use. */
const matches = (pattern: string, key: string) => new RegExp(`^${pattern.replace(/[{}]/g, '\\$&').replaceAll('*', '.*')}$`).test(key);

describe('key layout', () => {
  const keys = new RunKeys(PREFIX, 'r1abc');

  it('keeps the layout that runs under way and readers elsewhere rely on', () => {
    expect(keys.scenario).toBe('{blindspot}:run:r1abc:scenario');
    expect(keys.clientSecret).toBe('{blindspot}:secret:r1abc:client-secret');
    expect(keys.platformKey).toBe('{blindspot}:secret:r1abc:platform-key');
    expect(keys.ledger).toBe('{blindspot}:secret:r1abc:ledger');
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

  it("covers every key of a run with its cleanup patterns, and no other run's", () => {
    const all = [
      keys.scenario,
      keys.file,
      keys.options,
      keys.ledger,
      keys.platformKey,
      keys.clientSecret,
      keys.result,
      keys.error,
      keys.progress,
      keys.timeline,
      keys.generated,
      keys.deadLettered,
      ...Object.values(keys.stage('metadata')),
      ...Object.values(keys.stage('reporter')),
    ];
    for (const key of all)
      expect(
        keys.patterns.some((p) => matches(p, key)),
        key,
      ).toBe(true);
    // The police sink outlives the run; another run's keys are not this one's.
    expect(keys.patterns.some((p) => matches(p, keys.police))).toBe(false);
    for (const key of [new RunKeys(PREFIX, 'r1abcd').scenario, new RunKeys(PREFIX, 'r1abcd').clientSecret]) {
      expect(
        keys.patterns.some((p) => matches(p, key)),
        key,
      ).toBe(false);
    }
  });

  it('keeps queues, namespaces and stages apart, so ACL key patterns can tell them apart', () => {
    for (const q of Object.values(QUEUES)) expect(Object.values(NAMESPACES), q).not.toContain(q);
    expect(matches(stageKeyPattern(PREFIX, 'metadata'), keys.stage('metadata').inbox)).toBe(true);
    expect(matches(stageKeyPattern(PREFIX, 'metadata', 'next'), keys.stage('reporter').next)).toBe(false);
    expect(matches(queueKeyPattern(PREFIX, QUEUES.metadata), keys.stage('metadata').next)).toBe(false);
    expect(matches(queueKeyPattern(PREFIX, QUEUES.scan), `${PREFIX}:scan:wait`)).toBe(true);
  });

  it('finds a run from the keys its patterns match, and nothing from other keys', () => {
    expect(matches(runKeyPattern(PREFIX), keys.scenario)).toBe(true);
    expect(matches(runKeyPattern(PREFIX), keys.file)).toBe(false);
    expect(runOfKey(PREFIX, keys.scenario)).toBe('r1abc');
    expect(matches(runKeyPattern(PREFIX, 'clientSecret'), keys.clientSecret)).toBe(true);
    expect(runOfKey(PREFIX, keys.clientSecret, 'clientSecret')).toBe('r1abc');
    expect(matches(runKeyPattern(PREFIX, 'ledger'), keys.ledger)).toBe(true);
    expect(runOfKey(PREFIX, keys.scenario, 'clientSecret')).toBeNull();
    expect(runOfKey(PREFIX, keys.file)).toBeNull();
    expect(runOfKey('{other}', keys.scenario)).toBeNull();
    expect(matches(policeKeyPattern(PREFIX), keys.police)).toBe(true);
    expect(runOfPoliceKey(PREFIX, keys.police)).toBe('r1abc');
    expect(runOfPoliceKey(PREFIX, keys.scenario)).toBeNull();
  });

  it("keeps a cancelled run's marker out of the run's keys, which are deleted when it is set", () => {
    expect(keys.cancelled).toBe('{blindspot}:cancelled:r1abc');
    const inRun = (key: string) => keys.patterns.some((p) => matches(p, key));
    expect(inRun(keys.cancelled)).toBe(false);
    expect(inRun(keys.pickups)).toBe(true);
    expect(inRun(keys.stage('reporter').inbox)).toBe(true);
    expect(inRun(keys.clientSecret)).toBe(true);
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

describe('partitions of a deployment', () => {
  it('put partition 0 under the prefix itself and partition k under its own hash tag', () => {
    expect(partitionPrefix('{blindspot}', 0)).toBe('{blindspot}');
    expect(partitionPrefix('{blindspot}', 7)).toBe('{blindspot:7}');
    expect(partitionPrefixes('{x}', 3)).toEqual(['{x}', '{x:1}', '{x:2}']);
    expect(() => partitionPrefix('{x}', MAX_PARTITIONS)).toThrow(RangeError);
    expect(() => partitionPrefix('{x}', -1)).toThrow(RangeError);
    expect(partitionsKey('{x}')).toBe('{x}:partitions');
  });

  it('place a run by its id alone: stable, within range, one partition when there is one', () => {
    const runs = Array.from({ length: 2_000 }, (_, i) => `r${i.toString(36)}abc`);
    for (const run of runs) {
      expect(partitionOf(run, 1)).toBe(0);
      const p = partitionOf(run, 5);
      expect(p).toBe(partitionOf(run, 5));
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(5);
    }
    // Spread: each of 5 partitions gets a fair share of 2,000 runs.
    const counts = [0, 0, 0, 0, 0];
    for (const run of runs) counts[partitionOf(run, 5)] = (counts[partitionOf(run, 5)] as number) + 1;
    for (const c of counts) expect(c).toBeGreaterThan(300);
  });

  it("keep every key of a run in its partition's hash tag", () => {
    for (const run of ['r1', 'r2', 'r3', 'r4', 'r5']) {
      const keys = new RunKeys('{d}', run, 4);
      const tag = partitionPrefix('{d}', keys.partition);
      expect(keys.prefix).toBe(tag);
      expect(keys.deploymentPrefix).toBe('{d}');
      for (const key of [keys.scenario, keys.clientSecret, keys.ledger, keys.police, keys.cancelled, keys.stage('reporter').inbox, ...keys.patterns]) {
        expect(key.startsWith(`${tag}:`), key).toBe(true);
      }
    }
    expect(new RunKeys('{d}', 'r1').prefix).toBe('{d}');
  });
});
