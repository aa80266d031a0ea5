import { describe, expect, it } from 'vitest';
import { validateScenario, type Scenario } from '../scenario';
import { ContentError, decodeContent, encodeContent } from '../content';
import type { Batch, Envelope, Message, UserReport } from '../types';
import { WorldGenerator, Clients, NONCE_BYTES, TAG_BYTES, Kind } from './index';

type Encryption = 'none' | 'e2ee';

function scenario(dm: Encryption, pub: Encryption = 'none', overrides: Record<string, unknown> = {}): Scenario {
  const r = validateScenario(
    {
      seed: 777,
      durationDays: 3,
      population: {
        adults: 150,
        minors: 50,
        offenders: {
          sharers: { count: 8, abusiveImagesPerDay: 4, publicPosterShare: 0.5 },
          groomers: { count: 3, newTargetsPerDay: 3, abusiveShare: 0.4 },
        },
      },
      traffic: { messagesPerUserPerDay: 5, contactsPerUser: 8 },
      surfaces: { directMessages: { encryption: dm }, publicPosts: { encryption: pub } },
      detection: { hashBank: { size: 200 }, userReports: { probability: 0.6, meanDelayHours: 2 } },
      ...overrides,
    },
    'test.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

interface Run {
  gen: WorldGenerator;
  batches: Batch[];
  messages: Message[];
  reports: UserReport[];
}

function generate(s: Scenario, batchSize = 50): Run {
  const gen = new WorldGenerator(s, { run: 'r1', batchSize });
  const batches = [...gen.batches()];
  return {
    gen,
    batches,
    messages: batches.flatMap((b) => b.messages),
    reports: batches.flatMap((b) => b.reports),
  };
}

function isContent(bytes: Uint8Array): boolean {
  try {
    decodeContent(bytes);
    return true;
  } catch (err) {
    if (err instanceof ContentError) return false;
    throw err;
  }
}

const ENVELOPE_KEYS = [
  'connected',
  'encrypted',
  'id',
  'media',
  'recipient',
  'recipientMinor',
  'sender',
  'senderMinor',
  'size',
  'surface',
  't',
].sort();

// Generated once and shared by the read-only tests below.
const plain = generate(scenario('none'));
const e2ee = generate(scenario('e2ee'));

describe('WorldGenerator: the stream', () => {
  it('produces a non-trivial world (the premise of the other tests)', () => {
    for (const run of [plain, e2ee]) {
      expect(run.messages.length).toBeGreaterThan(2000);
      expect(run.reports.length).toBeGreaterThan(5);
      expect(run.batches.length).toBeGreaterThan(10);
      expect(run.messages.some((m) => m.envelope.surface === 'public')).toBe(true);
      expect(run.messages.some((m) => m.envelope.media === 'image')).toBe(true);
      expect(run.gen.ledger.abusiveMessages.knownImage).toBeGreaterThan(0);
      expect(run.gen.ledger.abusiveMessages.grooming).toBeGreaterThan(0);
    }
  });

  it('is deterministic: the same scenario yields the same envelopes, payloads and reports', () => {
    for (const dm of ['none', 'e2ee'] as const) {
      const a = generate(scenario(dm));
      const b = generate(scenario(dm));
      expect(a.batches.length).toBe(b.batches.length);
      expect(a.messages.map((m) => m.envelope)).toEqual(b.messages.map((m) => m.envelope));
      a.messages.forEach((m, i) => {
        const other = b.messages[i] as Message;
        if (!m.envelope.encrypted) expect(m.payload).toEqual(other.payload);
        else expect(m.payload.length).toBe(other.payload.length);
      });
      expect(a.reports).toEqual(b.reports);
      expect(a.gen.ledger).toEqual(b.gen.ledger);
    }
  });

  it('changes with the seed', () => {
    const other = generate(scenario('none', 'none', { seed: 778 }));
    expect(other.messages.map((m) => m.envelope)).not.toEqual(plain.messages.map((m) => m.envelope));
  });

  it('numbers messages 0, 1, 2, ... and never goes back in time', () => {
    plain.messages.forEach((m, i) => expect(m.envelope.id).toBe(i));
    let last = -Infinity;
    for (const m of plain.messages) {
      expect(m.envelope.t).toBeGreaterThanOrEqual(last);
      last = m.envelope.t;
    }
    last = -Infinity;
    for (const r of plain.reports) {
      expect(r.t).toBeGreaterThanOrEqual(last);
      last = r.t;
    }
  });

  it('keeps batches in time order: every event of a batch is no later than any event of the next', () => {
    const spans = plain.batches
      .map((b) => [...b.messages.map((m) => m.envelope.t), ...b.reports.map((r) => r.t)])
      .filter((ts) => ts.length > 0)
      .map((ts) => ({ min: Math.min(...ts), max: Math.max(...ts) }));
    for (let i = 1; i < spans.length; i++) {
      expect(spans[i]!.min).toBeGreaterThanOrEqual(spans[i - 1]!.max);
    }
  });

  it('keeps every time inside the run', () => {
    const s = scenario('none');
    const runEnd = s.durationDays * 86400;
    for (const m of plain.messages) {
      expect(m.envelope.t).toBeGreaterThanOrEqual(0);
      expect(m.envelope.t).toBeLessThan(runEnd);
    }
    for (const r of plain.reports) expect(r.t).toBeLessThan(runEnd);
  });

  it('numbers batches 0..n-1, flags only the last as final, and keeps the run id', () => {
    for (const run of [plain, e2ee]) {
      run.batches.forEach((b, i) => {
        expect(b.seq).toBe(i);
        expect(b.final).toBe(i === run.batches.length - 1);
        expect(b.run).toBe('r1');
      });
    }
  });

  it.each([1, 2, 7, 50, 1000, 1_000_000])('never exceeds batchSize %i events, and the stream does not depend on it', (batchSize) => {
    const run = generate(scenario('none'), batchSize);
    for (const b of run.batches) {
      expect(b.messages.length + b.reports.length).toBeLessThanOrEqual(batchSize);
    }
    // Only the final batch may be empty.
    for (const b of run.batches.slice(0, -1)) expect(b.messages.length + b.reports.length).toBeGreaterThan(0);
    expect(run.messages.map((m) => m.envelope)).toEqual(plain.messages.map((m) => m.envelope));
    expect(run.messages.map((m) => m.payload)).toEqual(plain.messages.map((m) => m.payload));
    expect(run.reports).toEqual(plain.reports);
    expect(run.gen.ledger).toEqual(plain.gen.ledger);
  });

  it('refuses a batch size below 1', () => {
    expect(() => new WorldGenerator(scenario('none'), { run: 'r', batchSize: 0 })).toThrow(RangeError);
    expect(() => new WorldGenerator(scenario('none'), { run: 'r', batchSize: Number.NaN })).toThrow(RangeError);
  });

  it('ends with a final batch even when nothing happens', () => {
    const quiet = scenario('none', 'none', {
      traffic: { messagesPerUserPerDay: 0, contactsPerUser: 8 },
      population: { adults: 10, minors: 0 },
    });
    const run = generate(quiet, 10);
    expect(run.batches).toEqual([{ run: 'r1', seq: 0, final: true, messages: [], reports: [] }]);
  });
});

describe('WorldGenerator: envelopes hold only what the server knows', () => {
  it('has exactly the Envelope fields; messages, reports and batches have no extra fields', () => {
    for (const run of [plain, e2ee]) {
      for (const m of run.messages) {
        expect(Object.keys(m).sort()).toEqual(['envelope', 'payload']);
        expect(Object.keys(m.envelope).sort()).toEqual(ENVELOPE_KEYS);
      }
      for (const r of run.reports) {
        expect(Object.keys(r).sort()).toEqual(['content', 'messageId', 'reported', 'reporter', 'surface', 't']);
      }
      for (const b of run.batches) expect(Object.keys(b).sort()).toEqual(['final', 'messages', 'reports', 'run', 'seq']);
    }
  });

  it('describes sender and recipient as the population has them', () => {
    const pop = plain.gen.population;
    for (const { envelope: e } of plain.messages) {
      expect(e.senderMinor).toBe(pop.isMinor(e.sender));
      expect(e.sender).toBeGreaterThanOrEqual(0);
      expect(e.sender).toBeLessThan(pop.users);
      if (e.surface === 'public') {
        expect(e.recipient).toBe(-1);
        expect(e.recipientMinor).toBe(false);
        expect(e.connected).toBe(false);
      } else {
        expect(e.recipient).toBeGreaterThanOrEqual(0);
        expect(e.recipient).toBeLessThan(pop.users);
        expect(e.recipient).not.toBe(e.sender);
        expect(e.recipientMinor).toBe(pop.isMinor(e.recipient));
        expect(e.connected).toBe(pop.connected(e.sender, e.recipient));
      }
      expect(e.size).toBeGreaterThan(0);
      expect(Number.isInteger(e.size)).toBe(true);
    }
  });

  it('labels media truthfully: the payload decodes to the declared medium', () => {
    for (const { envelope, payload } of plain.messages) {
      expect(decodeContent(payload).media).toBe(envelope.media);
    }
  });

  it('draws offenders from the adults and records them in the ledger', () => {
    const { population, ledger } = plain.gen;
    expect(ledger.offenders.sharer).toEqual(population.sharers);
    expect(ledger.offenders.groomer).toEqual(population.groomers);
    expect(population.sharers).toHaveLength(8);
    expect(population.groomers).toHaveLength(3);
    for (const a of [...population.sharers, ...population.groomers]) {
      expect(a).toBeLessThan(population.adults);
    }
    expect(new Set([...population.sharers, ...population.groomers]).size).toBe(11);
  });
});

describe('WorldGenerator: user reports', () => {
  it('report an earlier message, by its recipient (an ordinary user), with its plaintext', () => {
    for (const run of [plain, e2ee]) {
      const pop = run.gen.population;
      for (const r of run.reports) {
        const m = run.messages[r.messageId] as Message;
        expect(m.envelope.id).toBe(r.messageId);
        expect(r.t).toBeGreaterThanOrEqual(m.envelope.t);
        expect(r.reported).toBe(m.envelope.sender);
        expect(r.surface).toBe(m.envelope.surface);
        if (m.envelope.surface === 'dm') expect(r.reporter).toBe(m.envelope.recipient);
        else expect(r.reporter).not.toBe(m.envelope.sender);
        expect(pop.kind[r.reporter]).toBe(Kind.Ordinary);
        expect(decodeContent(r.content).media).toBe(m.envelope.media);
        if (!m.envelope.encrypted) expect(r.content).toEqual(m.payload);
      }
    }
  });

  it('report each message at most once', () => {
    const ids = plain.reports.map((r) => r.messageId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('WorldGenerator: encryption', () => {
  it('encrypts every DM under e2ee and nothing else', () => {
    for (const { envelope } of e2ee.messages) {
      expect(envelope.encrypted).toBe(envelope.surface === 'dm');
    }
    for (const { envelope } of plain.messages) expect(envelope.encrypted).toBe(false);
    expect(e2ee.messages.some((m) => m.envelope.encrypted)).toBe(true);
  });

  it('encrypts public posts when that surface is e2ee', () => {
    const both = generate(scenario('e2ee', 'e2ee'));
    for (const { envelope, payload } of both.messages) {
      expect(envelope.encrypted).toBe(true);
      expect(isContent(payload)).toBe(false);
    }
  });

  it('encrypts the same world: the e2ee run is the plaintext run with DMs encrypted', () => {
    expect(e2ee.messages).toHaveLength(plain.messages.length);
    expect(e2ee.gen.population.sharers).toEqual(plain.gen.population.sharers);
    e2ee.messages.forEach((m, i) => {
      const p = plain.messages[i] as Message;
      const overhead = m.envelope.encrypted ? NONCE_BYTES + TAG_BYTES : 0;
      expect({ ...m.envelope, encrypted: false, size: m.envelope.size - overhead }).toEqual(p.envelope);
    });
    expect(e2ee.reports).toEqual(plain.reports);
    expect({ ...e2ee.gen.ledger, encrypted: 0, abusiveEncrypted: 0 }).toEqual({ ...plain.gen.ledger });
  });

  it('gives an encrypted DM a ciphertext payload: not content, not the plaintext, plaintext length + nonce + tag', () => {
    let checked = 0;
    e2ee.messages.forEach((m, i) => {
      if (!m.envelope.encrypted) return;
      const plaintext = (plain.messages[i] as Message).payload;
      expect(isContent(plaintext)).toBe(true);
      expect(isContent(m.payload)).toBe(false);
      expect(m.payload.length).toBe(plaintext.length + NONCE_BYTES + TAG_BYTES);
      // The plaintext bytes appear nowhere in the payload: not at the start, not after the nonce.
      expect(Buffer.from(m.payload).includes(Buffer.from(plaintext))).toBe(false);
      checked++;
    });
    expect(checked).toBeGreaterThan(1000);
  });

  it('leaves a readable message readable under e2ee (public posts are untouched)', () => {
    e2ee.messages.forEach((m, i) => {
      if (m.envelope.encrypted) return;
      expect(m.payload).toEqual((plain.messages[i] as Message).payload);
    });
  });

  it('never reuses a nonce within a conversation', () => {
    const seen = new Set<string>();
    let n = 0;
    for (const { envelope: e, payload } of e2ee.messages) {
      if (!e.encrypted) continue;
      const pair = e.recipient < 0 ? `p${e.sender}` : `${Math.min(e.sender, e.recipient)}-${Math.max(e.sender, e.recipient)}`;
      const nonce = Buffer.from(payload.subarray(0, NONCE_BYTES)).toString('hex');
      const key = `${pair}/${nonce}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      n++;
    }
    expect(n).toBeGreaterThan(1000);
    // Some conversations carry several messages, so the property is not vacuous.
    const pairs = new Set([...seen].map((k) => k.split('/')[0]));
    expect(pairs.size).toBeLessThan(n);
  });

  it('gives two identical plaintexts in one conversation different ciphertexts', () => {
    const clients = new Clients();
    const text = encodeContent({ media: 'text', look: 0.5 });
    const a = clients.encrypt(5, text);
    const b = clients.encrypt(5, text);
    const c = clients.encrypt(6, text);
    expect(a.length).toBe(text.length + NONCE_BYTES + TAG_BYTES);
    expect(Buffer.from(a.subarray(0, NONCE_BYTES)).equals(Buffer.from(b.subarray(0, NONCE_BYTES)))).toBe(false);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(Buffer.from(a.subarray(NONCE_BYTES)).equals(Buffer.from(c.subarray(NONCE_BYTES)))).toBe(false);
    expect(clients.keyCount).toBe(2);
  });

  it('holds a key per conversation only when something is encrypted', () => {
    expect(plain.gen.keyCount).toBe(0);
    const conversations = new Set(
      e2ee.messages
        .filter((m) => m.envelope.encrypted)
        .map((m) => `${Math.min(m.envelope.sender, m.envelope.recipient)}-${Math.max(m.envelope.sender, m.envelope.recipient)}`),
    );
    expect(e2ee.gen.keyCount).toBe(conversations.size);
  });
});

describe('WorldGenerator: the ledger', () => {
  it('counts exactly what was yielded', () => {
    for (const run of [plain, e2ee]) {
      const { ledger } = run.gen;
      expect(ledger.messages).toBe(run.messages.length);
      expect(ledger.encrypted).toBe(run.messages.filter((m) => m.envelope.encrypted).length);
      expect(ledger.userReports).toBe(run.reports.length);
      expect(ledger.abusiveEncrypted).toBeLessThanOrEqual(ledger.encrypted);
      expect(ledger.abusiveMessages.knownImage + ledger.abusiveMessages.grooming).toBeLessThanOrEqual(ledger.messages);
    }
    expect(plain.gen.ledger.encrypted).toBe(0);
    expect(plain.gen.ledger.abusiveEncrypted).toBe(0);
    expect(e2ee.gen.ledger.abusiveEncrypted).toBeGreaterThan(0);
  });

  it('attributes abuse only to messages offenders could have sent', () => {
    // Known images come from sharers (as images), grooming from groomers (as text).
    const sharers = new Set(plain.gen.population.sharers);
    const sharerImages = plain.messages.filter((m) => sharers.has(m.envelope.sender) && m.envelope.media === 'image').length;
    expect(plain.gen.ledger.abusiveMessages.knownImage).toBeLessThanOrEqual(sharerImages);
    const groomers = new Set(plain.gen.population.groomers);
    const groomerTexts = plain.messages.filter((m) => groomers.has(m.envelope.sender) && m.envelope.media === 'text').length;
    expect(plain.gen.ledger.abusiveMessages.grooming).toBeLessThanOrEqual(groomerTexts);
  });
});
