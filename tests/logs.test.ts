/**
 * Logs never carry payload plaintext, key material or report evidence. A full run over
 * BullMQ at the most verbose level (trace), with user reports, franking and a
 * malformed job carrying real-looking bytes, then every line every service and the
 * command wrote is searched: for the run's platform key and client secret (base64 and
 * hex), for the malformed job's bytes, and for any long base64 or hex blob at all.
 * The logs must also be worth searching: every service logged the run's batches.
 */
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { encodeContent } from '@blindspot/core';
import { RunKeys, runKeyPattern, runOfKey, scanKeys } from '@blindspot/pipeline/bullmq';
import { blindspot, scenarioCopy } from './support/cli';
import { rawQueue, uniquePrefix } from './support/redis';
import { Fleet } from './support/services';
import { addSigned } from './support/job-key';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('log formats', () => {
  it('LOG_FORMAT=pretty gives readable lines for a developer; json gives one object per line', async () => {
    const pretty = new Fleet({ REDIS_URL: inject('redisUrl'), BLINDSPOT_PREFIX: uniquePrefix('pretty'), LOG_FORMAT: 'pretty', HTTP_PORT: '0' });
    const json = new Fleet({ REDIS_URL: inject('redisUrl'), BLINDSPOT_PREFIX: uniquePrefix('json'), LOG_FORMAT: 'json', HTTP_PORT: '0' });
    pretty.start('scanner');
    json.start('scanner');
    try {
      const deadline = Date.now() + 30_000;
      while (!pretty.log('scanner').includes('service started') || !json.log('scanner').includes('service started')) {
        if (Date.now() > deadline) throw new Error(`no start line:\n${pretty.logs()}\n${json.logs()}`);
        await sleep(50);
      }
      const prettyLine = pretty
        .log('scanner')
        .split('\n')
        .find((l) => l.includes('service started')) as string;
      expect(prettyLine).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[scanner\] service started/);
      const jsonLine = json
        .log('scanner')
        .split('\n')
        .find((l) => l.includes('service started')) as string;
      expect(JSON.parse(jsonLine)).toMatchObject({ service: 'scanner', msg: 'service started', level: 30 });
    } finally {
      await pretty.stop();
      await json.stop();
    }
  });
});

describe('logs of a full run at trace level', () => {
  it('hold no plaintext, no key material and no evidence', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('logs');
    const fleet = new Fleet({ REDIS_URL: url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'trace', GENERATOR_HIGH_WATER: '4' });
    fleet.startAll();
    const file = scenarioCopy('scenarios/e2ee.yaml', { 'durationDays: 30': 'durationDays: 6' });
    const pending = blindspot(
      ['run', file, '--json', '--redis', url, '--prefix', prefix, '--external-services', '--batch-size', '500', '--log-level', 'trace'],
      {
        timeoutMs: 300_000,
      },
    );
    const redis = new Redis(url, { maxRetriesPerRequest: null });
    const scan = rawQueue('scan', redis, prefix);
    const secrets: string[] = [];
    let run = '';
    try {
      // The run's secrets, read while they exist (the run's keys go once it is done).
      const deadline = Date.now() + 60_000;
      while (secrets.length < 2) {
        if (Date.now() > deadline) throw new Error(`no run secrets appeared:\n${fleet.logs().slice(-2000)}`);
        const [key] = await scanKeys(redis, runKeyPattern(prefix, 'clientSecret'), 1);
        const found = key === undefined ? null : runOfKey(prefix, key, 'clientSecret');
        if (found) {
          run = found;
          const keys = new RunKeys(prefix, run);
          const [clientSecret, platformKey] = await redis.mget(keys.clientSecret, keys.platformKey);
          if (clientSecret && platformKey) secrets.push(clientSecret, platformKey);
        }
        await sleep(20);
      }
      // A malformed job whose bytes are real content: refused, and its bytes never logged.
      const content = Buffer.from(encodeContent({ media: 'image', hash: new Uint8Array(32).fill(7), quality: 0.9, score: 0.8, look: 0.7 }));
      const poison = Buffer.concat([content, content, content]).toString('base64');
      await addSigned(scan, 'batch', { run, seq: 999_999, final: false, messages: poison }, `${run}.scan-in.999999`);

      const done = await pending;
      expect(done.code, done.stderr.slice(-2000)).toBe(0);
      const logs = `${fleet.logs()}\n${done.stderr}`;

      // Worth searching: each service logged batches of this run, and the refusal.
      for (const stage of ['generator', 'scanner', 'metadata', 'reporter']) {
        expect(logs.match(new RegExp(`"run":"${run}","stage":"${stage}","batch":\\d+`, 'g'))?.length ?? 0, stage).toBeGreaterThan(10);
      }
      expect(logs).toMatch(/malformed job dead-lettered/);

      const forbidden = [poison, ...secrets.flatMap((b64) => [b64, Buffer.from(b64, 'base64').toString('hex')])];
      for (const s of forbidden) expect(logs.includes(s), `found ${s.slice(0, 12)}… in the logs`).toBe(false);
      // No bytes at all: no run of base64 or hex long enough to be a key, a hash or content.
      expect(logs.match(/[A-Za-z0-9+/]{40,}={0,2}/g)).toBeNull();
      expect(logs.match(/[0-9a-fA-F]{32,}/g)).toBeNull();
    } finally {
      await scan.close();
      redis.disconnect();
      await fleet.stop();
    }
  }, 360_000);
});
