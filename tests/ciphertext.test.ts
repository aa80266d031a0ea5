/**
 * Encryption really blinds the scanner: under e2ee the scanner's jobs carry AES-GCM
 * ciphertext for every DM (not decodable content, nonce and tag included), and nothing
 * in a scanner or metadata job carries keys or ground truth. The generator runs as a
 * real service against a real Redis; the test reads the jobs it queued.
 */
import { createDecipheriv, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ContentError, decodeContent, decodeEnvelopes, parseScenario, type Message, type Scenario } from '@blindspot/core';
import { accountSlots } from '@blindspot/core/scenario';
import {
  RunKeys,
  decodeScanJob,
  deploymentKeyPattern,
  metadataJobSchema,
  parseJob,
  scanJobSchema,
  startService,
  type RunningService,
} from '@blindspot/pipeline/bullmq';
import { submitRun } from '@blindspot/pipeline/orchestrate';
import { JobAuthenticator } from '@blindspot/pipeline/authenticator';
import { jobKey } from './support/job-key';
import { bindGenerator } from '../services/generator/src/stage';
import { ENVELOPE_FIELDS } from '@blindspot/core/testing';
import { rawQueue, uniquePrefix } from './support/redis';

function load(file: string): Scenario {
  const parsed = parseScenario(readFileSync(file, 'utf8'), file);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return { ...parsed.scenario, durationDays: 2 };
}

/** Bytes of one envelope in the codec's layout: three float64s, three 32-bit fields, one flags byte. */
const ENVELOPE_BYTES = 37;

async function generateOnly(file: string) {
  const url = inject('redisUrl');
  const prefix = uniquePrefix('cipher');
  const service: RunningService = await startService(
    'generator',
    { REDIS_URL: url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'silent', GENERATOR_HIGH_WATER: '100000', BLINDSPOT_JOB_KEY: jobKey() },
    bindGenerator,
  );
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  try {
    const run = await submitRun(redis, load(file), { prefix, file, batchSize: 500, auth: new JobAuthenticator(jobKey()) });
    const keys = new RunKeys(prefix, run);
    const deadline = Date.now() + 60_000;
    while (!(await redis.get(keys.ledger))) {
      if (Date.now() > deadline) throw new Error('generator produced no ledger within 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const [clientSecret, platformKey] = await redis.mget(keys.clientSecret, keys.platformKey);
    if (!clientSecret || !platformKey) throw new Error('the run has no secrets stored');
    const scan = rawQueue('scan', redis, prefix);
    const metadata = rawQueue('metadata', redis, prefix);
    // Every job is authenticated; what follows reads its data without the authenticator.
    const auth = new JobAuthenticator(jobKey());
    const scanJobs = (await scan.getJobs(['waiting', 'prioritized', 'delayed'], 0, 1000)).map(
      (j) => auth.verify('scan', j.id, j.data) as Record<string, unknown>,
    );
    const metadataJobs = (await metadata.getJobs(['waiting'], 0, 1000)).map((j) => auth.verify('metadata', j.id, j.data) as Record<string, unknown>);
    await scan.close();
    await metadata.close();
    return { scanJobs, metadataJobs, clientSecret: Buffer.from(clientSecret, 'base64'), platformKey: Buffer.from(platformKey, 'base64') };
  } finally {
    await service.close();
    const keys = await redis.keys(deploymentKeyPattern(prefix));
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}

describe('what reaches the scanner', () => {
  let e2ee: Awaited<ReturnType<typeof generateOnly>>;
  let plain: Awaited<ReturnType<typeof generateOnly>>;
  beforeAll(async () => {
    e2ee = await generateOnly('scenarios/e2ee.yaml');
    plain = await generateOnly('scenarios/plaintext.yaml');
  });

  const messagesOf = (jobs: Record<string, unknown>[]): Message[] => jobs.flatMap((j) => decodeScanJob(parseJob(scanJobSchema, j, 'scan')).messages);

  it('under e2ee, every DM payload is ciphertext; public posts stay readable', () => {
    const messages = messagesOf(e2ee.scanJobs);
    expect(messages.length).toBeGreaterThan(10_000);
    let dms = 0;
    const nonces = new Set<string>();
    for (const { envelope: e, payload: bytes } of messages) {
      if (e.surface === 'dm') {
        dms++;
        expect(e.encrypted).toBe(true);
        expect(() => decodeContent(bytes)).toThrow(ContentError);
        // nonce (12) + ciphertext (content: 38 bytes for an image, 5 for text, then the
        // 32-byte franking key) + GCM tag (16)
        expect(bytes.length).toBe(12 + (e.media === 'image' ? 38 : 5) + 32 + 16);
        nonces.add(`${Math.min(e.sender, e.recipient)}-${Math.max(e.sender, e.recipient)}-${Buffer.from(bytes.subarray(0, 12)).toString('hex')}`);
      } else {
        expect(e.encrypted).toBe(false);
        expect(decodeContent(bytes).media).toBe(e.media);
      }
    }
    expect(dms).toBeGreaterThan(messages.length / 2);
    // one nonce per message within each conversation
    expect(nonces.size).toBe(dms);
  });

  it('without encryption, the same DMs are readable content', () => {
    const dms = messagesOf(plain.scanJobs).filter((m) => m.envelope.surface === 'dm');
    expect(dms.length).toBeGreaterThan(10_000);
    for (const { envelope: e, payload } of dms) {
      expect(e.encrypted).toBe(false);
      expect(decodeContent(payload).media).toBe(e.media);
    }
  });

  it('scanner jobs carry envelopes and payloads only: no keys, no ground truth', () => {
    for (const job of [...e2ee.scanJobs, ...plain.scanJobs]) {
      expect(Object.keys(job).sort()).toEqual(['final', 'messages', 'run', 'seq']);
      // The decoder refuses trailing bytes, so the messages below are all the job holds.
      for (const m of messagesOf([job])) {
        expect(Object.keys(m).sort()).toEqual(['commitment', 'envelope', 'payload', 'voucher']);
        // the franking commitment is 32 bytes; no voucher without client-side scanning
        expect(m.commitment).toHaveLength(32);
        expect(m.voucher).toBeNull();
        expect(Object.keys(m.envelope).sort()).toEqual(ENVELOPE_FIELDS);
      }
    }
  });

  it('no scanner or metadata job carries key material, in any encoding', () => {
    // Conversations are keyed by account slot: the 4,000 open accounts and those that join during the run.
    const users = accountSlots(load('scenarios/e2ee.yaml')).users;
    const derive = (key: Buffer, label: string) => createHmac('sha256', key).update(label).digest();
    const conversations = derive(e2ee.clientSecret, 'conversations');
    const secrets: Buffer[] = [
      e2ee.clientSecret,
      e2ee.platformKey,
      derive(e2ee.clientSecret, 'franking'),
      conversations,
      derive(e2ee.clientSecret, 'client-side-scanning'),
    ];
    // Conversation keys of the first DM conversations (the pair's id, as the clients key them).
    const pairs = new Set<number>();
    for (const { envelope: e } of messagesOf(e2ee.scanJobs)) {
      if (e.surface !== 'dm' || pairs.size >= 200) continue;
      pairs.add(e.sender < e.recipient ? e.sender * users + e.recipient : e.recipient * users + e.sender);
    }
    for (const pair of pairs) secrets.push(derive(conversations, String(pair)));
    expect(secrets.length).toBeGreaterThan(150);
    // The search is only worth something if these are the real keys: one opens its DM.
    const dm = messagesOf(e2ee.scanJobs).find((m) => m.envelope.surface === 'dm') as Message;
    const { sender, recipient } = dm.envelope;
    const key = derive(conversations, String(sender < recipient ? sender * users + recipient : recipient * users + sender));
    const p = Buffer.from(dm.payload);
    const decipher = createDecipheriv('aes-256-gcm', key, p.subarray(0, 12));
    decipher.setAuthTag(p.subarray(p.length - 16));
    const plain = Buffer.concat([decipher.update(p.subarray(12, p.length - 16)), decipher.final()]);
    expect(decodeContent(new Uint8Array(plain.subarray(0, plain.length - 32))).media).toBe(dm.envelope.media);
    // Everything the jobs hold: their JSON, and every base64 field decoded.
    const haystacks: Buffer[] = [];
    for (const job of [...e2ee.scanJobs, ...e2ee.metadataJobs]) {
      const json = JSON.stringify(job);
      haystacks.push(Buffer.from(json));
      for (const m of json.matchAll(/"([A-Za-z0-9+/]{16,}={0,2})"/g)) haystacks.push(Buffer.from(m[1] as string, 'base64'));
    }
    for (const secret of secrets) {
      const forms = [secret, Buffer.from(secret.toString('base64')), Buffer.from(secret.toString('hex'))];
      for (const hay of haystacks) for (const form of forms) expect(hay.indexOf(form)).toBe(-1);
    }
  });

  it('metadata jobs carry envelopes and user reports, never payloads', () => {
    expect(e2ee.metadataJobs.length).toBeGreaterThan(0);
    for (const job of e2ee.metadataJobs) {
      expect(Object.keys(job).sort()).toEqual(['blocks', 'envelopes', 'final', 'reports', 'run', 'seq']);
      const bytes = Buffer.from(parseJob(metadataJobSchema, job, 'metadata').envelopes, 'base64');
      const envelopes = decodeEnvelopes(bytes);
      expect(envelopes.length).toBeGreaterThan(0);
      // header and fixed-size envelopes, not a byte more: there is no room for a payload
      expect(bytes.length).toBe(8 + envelopes.length * ENVELOPE_BYTES);
      for (const e of envelopes) expect(Object.keys(e).sort()).toEqual(ENVELOPE_FIELDS);
    }
  });
});
