import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  COMMITMENT_BYTES,
  FRANKING_KEY_BYTES,
  FRANKING_TAG_BYTES,
  FrankingError,
  commit,
  countersign,
  encodeFrankingMeta,
  frankingKeyFor,
  frankingKeysFor,
  newFrankingKey,
  newPlatformKey,
  verifyReport,
  type FrankingMeta,
  type FrankingReport,
} from './franking';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Sender commits, platform countersigns at delivery, recipient assembles the report. */
function deliver(platformKey: Uint8Array, plaintext: Uint8Array, meta: FrankingMeta, frankingKey = newFrankingKey()): FrankingReport {
  const commitment = commit(frankingKey, plaintext);
  const tag = countersign(platformKey, commitment, meta);
  return { plaintext, frankingKey, commitment, tag, ...meta };
}

const META: FrankingMeta = { messageId: 4711, sender: 12, recipient: 34, t: 1234.5 };

describe('franking primitives', () => {
  it('has 32-byte keys, commitments and tags', () => {
    expect(FRANKING_KEY_BYTES).toBe(32);
    expect(COMMITMENT_BYTES).toBe(32);
    expect(FRANKING_TAG_BYTES).toBe(32);
    expect(newFrankingKey().length).toBe(32);
    expect(newPlatformKey().length).toBe(32);
    const r = deliver(newPlatformKey(), text('hello'), META);
    expect(r.commitment.length).toBe(COMMITMENT_BYTES);
    expect(r.tag.length).toBe(FRANKING_TAG_BYTES);
  });

  it('commit is HMAC-SHA256(frankingKey, plaintext)', () => {
    const key = newFrankingKey();
    const expected = createHmac('sha256', key).update(text('hi')).digest();
    expect(Buffer.from(commit(key, text('hi'))).equals(expected)).toBe(true);
  });

  it('countersign is HMAC-SHA256(platformKey, commitment ‖ fixed-width meta)', () => {
    const pk = newPlatformKey();
    const c = commit(newFrankingKey(), text('x'));
    const meta = Buffer.alloc(32);
    meta.writeDoubleBE(META.messageId, 0);
    meta.writeDoubleBE(META.sender, 8);
    meta.writeDoubleBE(META.recipient, 16);
    meta.writeDoubleBE(META.t, 24);
    expect(Buffer.from(encodeFrankingMeta(META)).equals(meta)).toBe(true);
    const expected = createHmac('sha256', pk).update(c).update(meta).digest();
    expect(Buffer.from(countersign(pk, c, META)).equals(expected)).toBe(true);
  });

  it('refuses to commit or countersign malformed inputs', () => {
    expect(() => commit(new Uint8Array(31), text('x'))).toThrow(FrankingError);
    expect(() => countersign(newPlatformKey(), new Uint8Array(33), META)).toThrow(FrankingError);
  });

  it('meta encoding is unambiguous (fields do not trade places, -1 recipient is distinct)', () => {
    const enc = (m: FrankingMeta) => Buffer.from(encodeFrankingMeta(m)).toString('hex');
    const seen = new Set<string>([
      enc(META),
      enc({ ...META, sender: META.recipient, recipient: META.sender }),
      enc({ ...META, recipient: -1 }),
      enc({ ...META, messageId: 4712 }),
      enc({ ...META, t: 1234.25 }),
    ]);
    expect(seen.size).toBe(5);
    // -0 and 0 sign alike (JSON cannot tell them apart).
    expect(enc({ ...META, t: -0 })).toBe(enc({ ...META, t: 0 }));
  });
});

describe('verifyReport', () => {
  const platformKey = newPlatformKey();

  it('accepts a genuine report, including public posts (recipient -1)', () => {
    expect(verifyReport(platformKey, deliver(platformKey, text('abusive message'), META))).toBe('valid');
    expect(verifyReport(platformKey, deliver(platformKey, text('post'), { ...META, recipient: -1 }))).toBe('valid');
    expect(verifyReport(platformKey, deliver(platformKey, new Uint8Array(0), META))).toBe('valid');
  });

  it('survives a JSON round trip of the meta', () => {
    const r = deliver(platformKey, text('m'), { messageId: 2 ** 40 + 3, sender: 0, recipient: -1, t: 0.1 + 0.2 });
    const meta = JSON.parse(JSON.stringify({ messageId: r.messageId, sender: r.sender, recipient: r.recipient, t: r.t })) as FrankingMeta;
    expect(verifyReport(platformKey, { ...r, ...meta })).toBe('valid');
  });

  it('flags altered plaintext as bad-commitment', () => {
    const r = deliver(platformKey, text('what was really sent'), META);
    expect(verifyReport(platformKey, { ...r, plaintext: text('what the reporter claims') })).toBe('bad-commitment');
    const flipped = r.plaintext.slice();
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(verifyReport(platformKey, { ...r, plaintext: flipped })).toBe('bad-commitment');
  });

  it('flags a wrong franking key as bad-commitment', () => {
    const r = deliver(platformKey, text('m'), META);
    expect(verifyReport(platformKey, { ...r, frankingKey: newFrankingKey() })).toBe('bad-commitment');
  });

  it('rejects a forged report with a self-made commitment and fabricated tag as bad-tag', () => {
    // The attacker frames user 12 for content 12 never sent: its own franking key and
    // commitment, and a tag under a key it made up.
    const frankingKey = newFrankingKey();
    const plaintext = text('content the target never sent');
    const commitment = commit(frankingKey, plaintext);
    const forgedTag = countersign(newPlatformKey(), commitment, META);
    expect(verifyReport(platformKey, { plaintext, frankingKey, commitment, tag: forgedTag, ...META })).toBe('bad-tag');
    // Or with random bytes for a tag.
    expect(verifyReport(platformKey, { plaintext, frankingKey, commitment, tag: new Uint8Array(randomBytes(32)), ...META })).toBe('bad-tag');
  });

  it('rejects a forged commitment carried under a real tag as bad-tag', () => {
    // A real tag for a real message, but the attacker swaps in its own commitment.
    const real = deliver(platformKey, text('harmless'), META);
    const frankingKey = newFrankingKey();
    const plaintext = text('framed content');
    expect(verifyReport(platformKey, { ...real, plaintext, frankingKey, commitment: commit(frankingKey, plaintext) })).toBe('bad-tag');
  });

  it('does not let a real tag transfer to other meta', () => {
    const r = deliver(platformKey, text('m'), META);
    expect(verifyReport(platformKey, { ...r, sender: 99 })).toBe('bad-tag');
    expect(verifyReport(platformKey, { ...r, recipient: 99 })).toBe('bad-tag');
    expect(verifyReport(platformKey, { ...r, recipient: -1 })).toBe('bad-tag');
    expect(verifyReport(platformKey, { ...r, messageId: r.messageId + 1 })).toBe('bad-tag');
    expect(verifyReport(platformKey, { ...r, t: r.t + 1 })).toBe('bad-tag');
    // Swapping sender and recipient (blaming the reporter's own message on the other side).
    expect(verifyReport(platformKey, { ...r, sender: r.recipient, recipient: r.sender })).toBe('bad-tag');
  });

  it('checks the tag before the commitment', () => {
    const r = deliver(platformKey, text('m'), META);
    expect(verifyReport(platformKey, { ...r, sender: 1, plaintext: text('other') })).toBe('bad-tag');
  });

  it('does not accept one platform key’s tags under another', () => {
    const otherKey = newPlatformKey();
    const r = deliver(platformKey, text('m'), META);
    expect(verifyReport(otherKey, r)).toBe('bad-tag');
    expect(verifyReport(platformKey, deliver(otherKey, text('m'), META))).toBe('bad-tag');
  });

  it('returns failures, never throws, on wrong-length or missing inputs', () => {
    const r = deliver(platformKey, text('m'), META);
    const cases: [Partial<FrankingReport>, string][] = [
      [{ tag: new Uint8Array(0) }, 'bad-tag'],
      [{ tag: r.tag.subarray(0, 31) }, 'bad-tag'],
      [{ tag: new Uint8Array(64) }, 'bad-tag'],
      [{ commitment: new Uint8Array(0) }, 'bad-tag'],
      [{ commitment: r.commitment.subarray(0, 16) }, 'bad-tag'],
      [{ commitment: new Uint8Array(33) }, 'bad-tag'],
      [{ frankingKey: new Uint8Array(0) }, 'bad-commitment'],
      [{ frankingKey: r.frankingKey.subarray(0, 31) }, 'bad-commitment'],
      [{ frankingKey: new Uint8Array(33) }, 'bad-commitment'],
    ];
    for (const [patch, verdict] of cases) {
      expect(() => verifyReport(platformKey, { ...r, ...patch })).not.toThrow();
      expect(verifyReport(platformKey, { ...r, ...patch })).toBe(verdict);
    }
    // Garbage where bytes or numbers belong (a report is user input).
    const garbage = { ...r, tag: undefined, commitment: 'x' } as unknown as FrankingReport;
    expect(verifyReport(platformKey, garbage)).toBe('bad-tag');
    expect(verifyReport(platformKey, { ...r, plaintext: null } as unknown as FrankingReport)).toBe('bad-commitment');
    expect(verifyReport(platformKey, { ...r, messageId: 4711n } as unknown as FrankingReport)).toBe('bad-tag');
    expect(verifyReport(platformKey, { ...r, sender: '12' } as unknown as FrankingReport)).toBe('bad-tag');
  });
});

describe('frankingKeyFor', () => {
  const secret = new Uint8Array(randomBytes(32));

  it('is deterministic', () => {
    expect(Buffer.from(frankingKeyFor(secret, 7)).equals(frankingKeyFor(secret, 7))).toBe(true);
    expect(frankingKeyFor(secret, 7).length).toBe(FRANKING_KEY_BYTES);
  });

  it('differs per message id and per client secret', () => {
    const keys = new Set<string>();
    for (let id = 0; id < 200; id++) keys.add(Buffer.from(frankingKeyFor(secret, id)).toString('hex'));
    keys.add(Buffer.from(frankingKeyFor(secret, 2 ** 40)).toString('hex'));
    keys.add(Buffer.from(frankingKeyFor(secret, Number.MAX_SAFE_INTEGER)).toString('hex'));
    expect(keys.size).toBe(202);
    const other = new Uint8Array(randomBytes(32));
    expect(Buffer.from(frankingKeyFor(other, 7)).equals(frankingKeyFor(secret, 7))).toBe(false);
  });

  it('is the AES-256-CTR keystream under the secret at counter block 2·id, and works as a franking key', () => {
    const iv = Buffer.alloc(16);
    iv.writeBigUInt64BE(42n * 2n, 8);
    const expected = createCipheriv('aes-256-ctr', secret, iv).update(Buffer.alloc(32));
    expect(Buffer.from(frankingKeyFor(secret, 42)).equals(expected)).toBe(true);
    const platformKey = newPlatformKey();
    const meta = { ...META, messageId: 42 };
    expect(verifyReport(platformKey, deliver(platformKey, text('m'), meta, frankingKeyFor(secret, 42)))).toBe('valid');
  });

  it('gives a batch of keys in one call, each the same as alone', () => {
    for (const [first, count] of [
      [0, 1],
      [5, 300],
      [2 ** 33, 17],
    ] as const) {
      const keys = frankingKeysFor(secret, first, count);
      expect(keys).toHaveLength(count * FRANKING_KEY_BYTES);
      for (let i = 0; i < count; i++) expect(keys.subarray(i * 32, i * 32 + 32)).toEqual(frankingKeyFor(secret, first + i));
    }
    expect(frankingKeysFor(secret, 3, 0)).toHaveLength(0);
  });

  it('refuses ids that are not non-negative integers and secrets of the wrong length', () => {
    for (const id of [-1, 0.5, Number.NaN, 2 ** 53]) expect(() => frankingKeyFor(secret, id)).toThrow(RangeError);
    expect(() => frankingKeyFor(new Uint8Array(16), 1)).toThrow(RangeError);
  });
});

describe('HMAC', () => {
  it('matches node:crypto createHmac for platform keys of every length, short and longer than a block', () => {
    const c = commit(newFrankingKey(), text('x'));
    for (let length = 0; length <= 130; length++) {
      const key = new Uint8Array(randomBytes(length));
      const meta = encodeFrankingMeta(META);
      const expected = createHmac('sha256', key).update(c).update(meta).digest();
      expect(Buffer.from(countersign(key, c, META)).equals(expected), `key of ${length} bytes`).toBe(true);
    }
  });

  it('commits to plaintexts of every length as createHmac does', () => {
    const key = newFrankingKey();
    for (let length = 0; length <= 200; length += 7) {
      const plain = new Uint8Array(randomBytes(length));
      expect(Buffer.from(commit(key, plain)).equals(createHmac('sha256', key).update(plain).digest())).toBe(true);
    }
  });
});
