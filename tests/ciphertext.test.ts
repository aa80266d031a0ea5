/**
 * Encryption really blinds the scanner: under e2ee the scanner's jobs carry AES-GCM
 * ciphertext for every DM (not decodable content, nonce and tag included), and nothing
 * in a scanner or metadata job carries keys or ground truth. The generator runs as a
 * real service against a real Redis; the test reads the jobs it queued.
 */
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ContentError, decodeContent, parseScenario, type Scenario } from '@blindspot/core';
import { RunKeys, startService, type RunningService } from '@blindspot/pipeline/bullmq';
import { submitRun } from '@blindspot/pipeline/orchestrate';
import { bindGenerator } from '../services/generator/src/stage';
import { uniquePrefix } from './support/redis';

const ENVELOPE_KEYS = ['connected', 'encrypted', 'id', 'media', 'recipient', 'recipientMinor', 'sender', 'senderAccountAgeDays', 'senderMinor', 'size', 'surface', 't'];

function load(file: string): Scenario {
  const parsed = parseScenario(readFileSync(file, 'utf8'), file);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return { ...parsed.scenario, durationDays: 2 };
}

interface ScanJobData {
  run: string;
  seq: number;
  final: boolean;
  messages: { e: Record<string, unknown> & { surface: string; encrypted: boolean; media: string }; p: string; c: string | null; v: string | null }[];
}

async function generateOnly(file: string) {
  const url = inject('redisUrl');
  const prefix = uniquePrefix('cipher');
  const service: RunningService = await startService(
    'generator',
    { REDIS_URL: url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'silent', GENERATOR_HIGH_WATER: '100000' },
    bindGenerator,
  );
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  try {
    const run = await submitRun(redis, load(file), { prefix, file, batchSize: 500 });
    const keys = new RunKeys(prefix, run);
    const deadline = Date.now() + 60_000;
    while (!(await redis.get(keys.ledger))) {
      if (Date.now() > deadline) throw new Error('generator produced no ledger within 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const scan = new Queue('scan', { connection: redis, prefix });
    const metadata = new Queue('metadata', { connection: redis, prefix });
    const scanJobs = (await scan.getJobs(['waiting', 'prioritized', 'delayed'], 0, 1000)).map((j) => j.data as ScanJobData);
    const metadataJobs = (await metadata.getJobs(['waiting'], 0, 1000)).map((j) => j.data as Record<string, unknown>);
    await scan.close();
    await metadata.close();
    return { scanJobs, metadataJobs };
  } finally {
    await service.close();
    const keys = await redis.keys(`${prefix}*`);
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

  it('under e2ee, every DM payload is ciphertext; public posts stay readable', () => {
    const messages = e2ee.scanJobs.flatMap((j) => j.messages);
    expect(messages.length).toBeGreaterThan(10_000);
    let dms = 0;
    const nonces = new Set<string>();
    for (const { e, p } of messages) {
      const bytes = new Uint8Array(Buffer.from(p, 'base64'));
      if (e.surface === 'dm') {
        dms++;
        expect(e.encrypted).toBe(true);
        expect(() => decodeContent(bytes)).toThrow(ContentError);
        // nonce (12) + ciphertext (content: 38 bytes for an image, 5 for text, then the
        // 32-byte franking key) + GCM tag (16)
        expect(bytes.length).toBe(12 + (e.media === 'image' ? 38 : 5) + 32 + 16);
        nonces.add(`${Math.min(e.sender as number, e.recipient as number)}-${Math.max(e.sender as number, e.recipient as number)}-${Buffer.from(bytes.subarray(0, 12)).toString('hex')}`);
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
    const dms = plain.scanJobs.flatMap((j) => j.messages).filter((m) => m.e.surface === 'dm');
    expect(dms.length).toBeGreaterThan(10_000);
    for (const { e, p } of dms) {
      expect(e.encrypted).toBe(false);
      expect(decodeContent(new Uint8Array(Buffer.from(p, 'base64'))).media).toBe(e.media);
    }
  });

  it('scanner jobs carry envelopes and payloads only: no keys, no ground truth', () => {
    for (const job of [...e2ee.scanJobs, ...plain.scanJobs]) {
      expect(Object.keys(job).sort()).toEqual(['final', 'messages', 'run', 'seq']);
      for (const m of job.messages) {
        expect(Object.keys(m).sort()).toEqual(['c', 'e', 'p', 'v']);
        // the franking commitment is 32 bytes; no voucher without client-side scanning
        expect(Buffer.from(m.c ?? '', 'base64')).toHaveLength(32);
        expect(m.v).toBeNull();
        expect(Object.keys(m.e).sort()).toEqual(ENVELOPE_KEYS);
      }
    }
  });

  it('metadata jobs carry envelopes and user reports, never payloads', () => {
    expect(e2ee.metadataJobs.length).toBeGreaterThan(0);
    for (const job of e2ee.metadataJobs) {
      expect(Object.keys(job).sort()).toEqual(['blocks', 'envelopes', 'final', 'reports', 'run', 'seq']);
      for (const e of job.envelopes as Record<string, unknown>[]) expect(Object.keys(e).sort()).toEqual(ENVELOPE_KEYS);
    }
  });
});
