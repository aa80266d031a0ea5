import { describe, expect, it } from 'vitest';
import type { Scenario } from '../scenario';
import { ENVELOPE_FIELDS, testScenario } from '../testing';
import { ContentError, decodeContent, encodeContent, contentLength } from '../content';
import { matchBank } from '../hash';
import { commit, frankingOf, newPlatformKey, verifyReport } from '../franking';
import { VoucherServer, decodeVoucher } from '../css';
import { envelopeBatchOf, scanBatchOf } from '../split';
import { DAY, HOUR, type Batch, type Block, type Envelope, type Message, type UserReport } from '../types';
import { eventId, SHARD_HOUR_EVENTS, SHARDS, Shard, shardHourOf, shardOf } from '../shards';
import { WorldShard, worldCommon } from './generator';
import { buildPopulation } from './population';
import type { Unsealed } from './clients';
import { WorldGenerator, Clients, Sealer, NONCE_BYTES, TAG_BYTES, CLIENT_SECRET_BYTES, Kind, newClientSecret } from './index';
import { rollouts, rolloutPlaces, switchTime } from './rollout';

type Encryption = 'none' | 'e2ee';
type Json = Record<string, unknown>;

function scenario(dm: Encryption, pub: Encryption = 'none', overrides: Json = {}): Scenario {
  const base: Json = {
    seed: 777,
    durationDays: 3,
    population: {
      adults: 150,
      minors: 50,
      accountAgeDays: 60,
      offenders: {
        sharers: { count: 8, abusiveImagesPerDay: 4, publicActivityShare: 0.5 },
        producers: { count: 3, abusiveImagesPerDay: 3, publicActivityShare: 0.5 },
        groomers: { count: 3, newTargetsPerDay: 3, escalation: { startShare: 0.2, endShare: 0.5 }, imageShare: 0.3 },
      },
      lookalikes: { mentors: { count: 2, minorsEach: 10 } },
    },
    traffic: { messagesPerUserPerDay: 5, contactsPerUser: 8, blocksPerUserPerMonth: 1 },
    surfaces: { directMessages: { encryption: dm }, publicPosts: { encryption: pub }, profilePhotos: { encryption: pub } },
    detection: { hashBank: { size: 200 }, userReports: { probability: 0.6, meanDelayHours: 2, forgedPerDay: 5, blockProbability: 0.3 } },
  };
  return testScenario(base, overrides);
}

/** One platform key and client secret for every run, so runs can be compared byte for byte. */
const platformKey = newPlatformKey();
const clientSecret = newClientSecret();

interface Run {
  gen: WorldGenerator;
  batches: Batch[];
  messages: Message[];
  reports: UserReport[];
  blocks: Block[];
}

function generate(s: Scenario, batchSize = 50, secret: Uint8Array = clientSecret): Run {
  const gen = new WorldGenerator(s, { run: 'r1', batchSize, platformKey, clientSecret: secret });
  const batches = [...gen.batches()];
  return {
    gen,
    batches,
    messages: batches.flatMap((b) => b.messages),
    reports: batches.flatMap((b) => b.reports),
    blocks: batches.flatMap((b) => b.blocks),
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

const isGenuine = (r: UserReport) => verifyReport(platformKey, frankingOf(r)) === 'valid';

type EventKind = 'message' | 'report' | 'block';

/** Every event of a run in stream order, as (id, t, kind) and the account it is about (the sender, the account reported or blocked). */
function stream(run: Run): Array<{ id: number; t: number; kind: EventKind; about: number }> {
  return [
    ...run.messages.map((m) => ({ id: m.envelope.id, t: m.envelope.t, kind: 'message' as const, about: m.envelope.sender })),
    ...run.reports.map((r) => ({ id: r.id, t: r.t, kind: 'report' as const, about: r.reported })),
    ...run.blocks.map((b) => ({ id: b.id, t: b.t, kind: 'block' as const, about: b.blocked })),
  ].sort((a, b) => a.id - b.id);
}

const REPORT_KEYS = ['commitment', 'content', 'frankingKey', 'id', 'messageId', 'recipient', 'reported', 'reporter', 'sentAt', 'surface', 't', 'tag'].sort();

// Generated once and shared by the read-only tests below.
const plain = generate(scenario('none'));
const e2ee = generate(scenario('e2ee'));
const byId = (run: Run) => new Map(run.messages.map((m) => [m.envelope.id, m]));
const plainById = byId(plain);

describe('WorldGenerator: the stream', () => {
  it('produces a non-trivial world (the premise of the other tests)', () => {
    for (const run of [plain, e2ee]) {
      const { ledger } = run.gen;
      expect(run.messages.length).toBeGreaterThan(2000);
      expect(run.reports.filter(isGenuine).length).toBeGreaterThan(5);
      expect(ledger.forgedReports).toBeGreaterThan(3);
      expect(run.blocks.length).toBeGreaterThan(5);
      expect(run.batches.length).toBeGreaterThan(10);
      for (const surface of ['dm', 'public', 'profile'] as const) expect(run.messages.some((m) => m.envelope.surface === surface)).toBe(true);
      for (const media of ['image', 'text'] as const) expect(run.messages.some((m) => m.envelope.media === media)).toBe(true);
      expect(ledger.abusiveMessages.knownImage).toBeGreaterThan(20);
      expect(ledger.abusiveMessages.newImage).toBeGreaterThan(5);
      expect(ledger.abusiveMessages.grooming).toBeGreaterThan(5);
      const mentors = new Set(run.gen.population.mentors);
      expect(run.messages.some((m) => mentors.has(m.envelope.sender))).toBe(true);
    }
  });

  it('is deterministic: the same scenario and client secret yield the same batches, byte for byte', () => {
    for (const dm of ['none', 'e2ee'] as const) {
      const a = generate(scenario(dm));
      const b = generate(scenario(dm));
      expect(a.batches).toEqual(b.batches);
      expect(a.gen.ledger).toEqual(b.gen.ledger);
    }
  });

  it('does not let the client secret change the world, only the keys', () => {
    const other = generate(scenario('e2ee'), 50, newClientSecret());
    expect(other.messages.map((m) => m.envelope)).toEqual(e2ee.messages.map((m) => m.envelope));
    expect(other.blocks).toEqual(e2ee.blocks);
    expect(other.gen.ledger).toEqual(e2ee.gen.ledger);
    const strip = (r: UserReport) => ({ ...r, frankingKey: null, commitment: null, tag: null });
    const genuineIds = new Set(e2ee.reports.filter(isGenuine).map((r) => r.id));
    expect(other.reports.filter((r) => genuineIds.has(r.id)).map(strip)).toEqual(e2ee.reports.filter((r) => genuineIds.has(r.id)).map(strip));
    // Different conversation and franking keys: different ciphertexts and commitments.
    const i = e2ee.messages.findIndex((m) => m.envelope.encrypted);
    expect(Buffer.from(other.messages[i]!.payload).equals(Buffer.from(e2ee.messages[i]!.payload))).toBe(false);
    expect(Buffer.from(other.messages[i]!.commitment!).equals(Buffer.from(e2ee.messages[i]!.commitment!))).toBe(false);
  });

  it('changes with the seed', () => {
    const other = generate(scenario('none', 'none', { seed: 778 }));
    expect(other.messages.map((m) => m.envelope)).not.toEqual(plain.messages.map((m) => m.envelope));
  });

  it('gives every event (message, report, block) the id of its place: its shard-hour, then 0, 1, 2, ... within it', () => {
    const events = stream(plain);
    expect(new Set(events.map((e) => e.kind))).toEqual(new Set(['message', 'report', 'block']));
    const next = new Map<number, number>();
    for (const e of events) {
      const place = Math.floor(e.t / HOUR) * SHARDS + shardOf(e.about);
      expect(shardHourOf(e.id)).toBe(place);
      const index = next.get(place) ?? 0;
      expect(e.id).toBe(eventId(Math.floor(e.t / HOUR), shardOf(e.about), index));
      next.set(place, index + 1);
    }
    // Batch after batch, ids only increase, and each batch's lists are in stream order.
    let last = -1;
    for (const b of plain.batches) {
      const ids = [...b.messages.map((m) => m.envelope.id), ...b.reports.map((r) => r.id), ...b.blocks.map((x) => x.id)];
      if (ids.length === 0) continue;
      expect(Math.min(...ids)).toBeGreaterThan(last);
      last = Math.max(...ids);
      for (const list of [b.messages.map((m) => m.envelope.id), b.reports.map((r) => r.id), b.blocks.map((x) => x.id)]) {
        expect(list).toEqual([...list].sort((x, y) => x - y));
      }
    }
    expect(next.size).toBeGreaterThan(SHARDS);
  });

  it('refuses a shard-hour of more than 2^30 events rather than give two events one id', () => {
    expect(eventId(3, 5, SHARD_HOUR_EVENTS - 1)).toBe((3 * SHARDS + 5) * SHARD_HOUR_EVENTS + SHARD_HOUR_EVENTS - 1);
    expect(() => eventId(3, 5, SHARD_HOUR_EVENTS)).toThrow(/more than 2\^30 events/);
    // The longest run allowed stays exact.
    expect(Number.isSafeInteger(eventId(3_650 * 24 - 1, SHARDS - 1, SHARD_HOUR_EVENTS - 1))).toBe(true);
  });

  it('goes hour by hour: in stream order no event is in an earlier hour than the one before', () => {
    for (const run of [plain, e2ee]) {
      const hours = stream(run).map((e) => Math.floor(e.t / HOUR));
      expect(hours.filter((h, i) => i > 0 && h < hours[i - 1]!)).toEqual([]);
    }
    // Hence no batch holds an event of an hour the next batch has passed.
    const spans = plain.batches
      .map((b) => [...b.messages.map((m) => m.envelope.t), ...b.reports.map((r) => r.t), ...b.blocks.map((x) => x.t)])
      .filter((ts) => ts.length > 0)
      .map((ts) => ({ min: Math.floor(Math.min(...ts) / HOUR), max: Math.floor(Math.max(...ts) / HOUR) }));
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.min).toBeGreaterThanOrEqual(spans[i - 1]!.max);
  });

  it('within an hour, goes shard by shard, each in time order: messages first at equal times, then reports, then blocks', () => {
    for (const run of [plain, e2ee]) {
      const events = stream(run).map((e) => ({ ...e, hour: Math.floor(e.t / HOUR), shard: shardOf(e.about) }));
      const rank = { message: 0, report: 1, block: 2 } as const;
      const out: string[] = [];
      for (let i = 1; i < events.length; i++) {
        const [a, b] = [events[i - 1]!, events[i]!];
        if (a.hour !== b.hour) continue;
        if (b.shard < a.shard) out.push(`${b.id}: shard ${b.shard} after ${a.shard}`);
        else if (b.shard === a.shard && (b.t < a.t || (b.t === a.t && rank[b.kind] < rank[a.kind]))) out.push(`${b.id}: back in time`);
      }
      expect(out).toEqual([]);
      // Not vacuous: several shards in one hour, so times do go back from one shard to the next.
      expect(events.some((e, i) => i > 0 && e.t < events[i - 1]!.t)).toBe(true);
    }
  });

  it('plays each shard on its own: a shard played alone, with nothing of the others, sends what it sends in the whole world', () => {
    const s = scenario('e2ee');
    const population = buildPopulation(s);
    const key = (m: Unsealed | Message) => `${m.envelope.t}/${m.envelope.sender}/${m.envelope.recipient}/${m.envelope.surface}/${m.envelope.size}`;
    for (const index of [0, 17, SHARDS - 1]) {
      const alone = new WorldShard(worldCommon(s, population, clientSecret), new Shard(index, population.users));
      const got: string[] = [];
      const scheduled: string[] = [];
      for (let h = 0; h < s.durationDays * 24; h++) {
        for (const event of alone.step({ index: h, start: h * HOUR, day: Math.floor(h / 24) })) {
          if (event.type === 'message') got.push(key(event.message));
          else scheduled.push(`${event.scheduled.type}@${event.scheduled.t}`);
        }
      }
      const mine = e2ee.messages.filter((m) => shardOf(m.envelope.sender) === index).map(key);
      expect(got.length).toBeGreaterThan(20);
      expect(got).toEqual(mine);
      const theirs = [
        ...e2ee.reports
          .filter((r) => shardOf(r.reported) === index)
          .map((r) => ({ id: r.id, x: `${r.tag.length === 32 && r.messageId >= 0 && isGenuine(r) ? 'report' : 'forged'}@${r.t}` })),
        ...e2ee.blocks.filter((b) => shardOf(b.blocked) === index).map((b) => ({ id: b.id, x: `block@${b.t}` })),
      ]
        .sort((a, b) => a.id - b.id)
        .map((e) => e.x);
      expect(scheduled).toEqual(theirs);
    }
  });

  it("never goes back in time for any one account: every account's events (what it sends, reports and blocks about it) come in time order", () => {
    for (const run of [plain, e2ee]) {
      const last = new Map<number, number>();
      const back: number[] = [];
      for (const e of stream(run)) {
        if (e.t < (last.get(e.about) ?? -Infinity)) back.push(e.id);
        last.set(e.about, e.t);
      }
      expect(back).toEqual([]);
      expect(last.size).toBeGreaterThan(100);
    }
  });

  it('keeps every time inside the run', () => {
    const runEnd = 3 * DAY;
    for (const e of stream(plain)) {
      expect(e.t).toBeGreaterThanOrEqual(0);
      expect(e.t).toBeLessThan(runEnd);
    }
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
    const size = (b: Batch) => b.messages.length + b.reports.length + b.blocks.length;
    for (const b of run.batches) expect(size(b)).toBeLessThanOrEqual(batchSize);
    // Only the final batch may be empty, and the others are full.
    for (const b of run.batches.slice(0, -1)) expect(size(b)).toBe(batchSize);
    expect(run.messages).toEqual(plain.messages);
    expect(run.reports).toEqual(plain.reports);
    expect(run.blocks).toEqual(plain.blocks);
    expect(run.gen.ledger).toEqual(plain.gen.ledger);
  });

  it('refuses a batch size below 1', () => {
    for (const batchSize of [0, -1, Number.NaN]) {
      expect(() => new WorldGenerator(scenario('none'), { run: 'r', batchSize, platformKey, clientSecret })).toThrow(RangeError);
    }
  });

  it('ends with a final batch even when nothing happens', () => {
    const quiet = testScenario({
      seed: 1,
      durationDays: 2,
      population: { adults: 10, minors: 0 },
      traffic: { messagesPerUserPerDay: 0, contactsPerUser: 3, profilePhotoChangesPerMonth: 0, blocksPerUserPerMonth: 0 },
      detection: { userReports: { forgedPerDay: 0 } },
    });
    const run = generate(quiet, 10);
    expect(run.batches).toEqual([{ run: 'r1', seq: 0, final: true, messages: [], reports: [], blocks: [] }]);
    expect(run.gen.ledger.messages).toBe(0);
  });
});

describe('WorldGenerator: envelopes hold only what the server knows', () => {
  it('has exactly the documented fields; messages, reports, blocks and batches have no extra fields', () => {
    for (const run of [plain, e2ee]) {
      for (const m of run.messages) {
        expect(Object.keys(m).sort()).toEqual(['commitment', 'envelope', 'payload', 'voucher']);
        expect(Object.keys(m.envelope).sort()).toEqual(ENVELOPE_FIELDS);
      }
      for (const r of run.reports) expect(Object.keys(r).sort()).toEqual(REPORT_KEYS);
      for (const b of run.blocks) expect(Object.keys(b).sort()).toEqual(['blocked', 'blocker', 'id', 't']);
      for (const b of run.batches) expect(Object.keys(b).sort()).toEqual(['blocks', 'final', 'messages', 'reports', 'run', 'seq']);
    }
  });

  it('splits each batch for the stages: messages for the scanner; envelopes, reports and blocks for the metadata detector', () => {
    for (const b of e2ee.batches) {
      const scan = scanBatchOf(b);
      expect(Object.keys(scan).sort()).toEqual(['final', 'messages', 'run', 'seq']);
      expect(scan).toEqual({ run: b.run, seq: b.seq, final: b.final, messages: b.messages });
      const env = envelopeBatchOf(b);
      expect(Object.keys(env).sort()).toEqual(['blocks', 'envelopes', 'final', 'reports', 'run', 'seq']);
      expect(env).toEqual({ run: b.run, seq: b.seq, final: b.final, envelopes: b.messages.map((m) => m.envelope), reports: b.reports, blocks: b.blocks });
    }
  });

  it('describes sender and recipient as the population has them', () => {
    const pop = plain.gen.population;
    for (const { envelope: e } of plain.messages) {
      expect(e.senderMinor).toBe(pop.isMinor(e.sender));
      expect(e.sender).toBeGreaterThanOrEqual(0);
      expect(e.sender).toBeLessThan(pop.users);
      if (e.surface !== 'dm') {
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
      expect(e.senderAccountAgeDays).toBe(Math.round(((e.t - (pop.createdAt[e.sender] as number)) / DAY) * 100) / 100);
      expect(e.senderAccountAgeDays).toBeGreaterThanOrEqual(0);
    }
  });

  it('opens and closes accounts during the run, and no account sends while it is not open', () => {
    const pop = plain.gen.population;
    const created = Array.from(pop.createdAt).filter((t) => t >= 0 && Number.isFinite(t));
    expect(created.length).toBeGreaterThan(5);
    for (const t of created) expect(t).toBeLessThan(3 * DAY);
    expect(Array.from(pop.closedAt).filter((t) => t < 3 * DAY).length).toBeGreaterThan(5);
    const young = plain.messages.filter((m) => m.envelope.senderAccountAgeDays < 3);
    expect(young.length).toBeGreaterThan(0);
    for (const { envelope: e } of plain.messages) expect(pop.exists(e.sender, e.t)).toBe(true);
  });

  it('never addresses a message to an account that is not open', () => {
    const pop = plain.gen.population;
    const early = plain.messages.filter((m) => m.envelope.recipient >= 0 && !pop.exists(m.envelope.recipient, m.envelope.t));
    expect(early.map((m) => m.envelope.id)).toEqual([]);
  });

  it('labels media truthfully: the payload decodes to the declared medium', () => {
    for (const { envelope, payload } of plain.messages) expect(decodeContent(payload).media).toBe(envelope.media);
  });

  it('draws offenders and mentors from the adults, disjoint, and records them in the ledger', () => {
    const { population, ledger } = plain.gen;
    // The ledger's offenders are the accounts the run opened (not those kept past its end for closings that never came).
    const opened = (list: readonly number[]) => list.filter((a) => population.created(a) !== Number.POSITIVE_INFINITY);
    const [sharers, producers, groomers] = [opened(population.sharers), opened(population.producers), opened(population.groomers)];
    expect(ledger.offenders).toEqual({ sharer: sharers, producer: producers, groomer: groomers });
    expect(ledger.mentors).toEqual(population.mentors);
    expect([sharers.length, producers.length, groomers.length, population.mentors.length]).toEqual([8, 3, 3, 2]);
    const all = [...sharers, ...producers, ...groomers, ...population.mentors];
    expect(new Set(all).size).toBe(16);
    for (const a of all) expect(a).toBeLessThan(population.adults);
    for (const a of population.sharers) expect(population.kind[a]).toBe(Kind.Sharer);
    for (const a of population.mentors) {
      expect(population.kind[a]).toBe(Kind.Mentor);
      expect(population.isOffender(a)).toBe(false);
    }
  });
});

describe('WorldGenerator: franking', () => {
  it("commits to every message's plaintext with a per-message key the client derives; the key travels inside the payload", () => {
    const clients = new Clients(clientSecret);
    for (const m of plain.messages.slice(0, 300)) {
      const length = contentLength(m.payload);
      const content = m.payload.subarray(0, length);
      const key = clients.frankingKey(m.envelope.id);
      expect(m.payload.length).toBe(length + 32);
      expect(Buffer.from(m.payload.subarray(length)).equals(Buffer.from(key))).toBe(true);
      expect(Buffer.from(m.commitment!).equals(Buffer.from(commit(key, content)))).toBe(true);
    }
    // Under e2ee the commitment is in the clear beside the ciphertext, and is the same.
    for (const [i, m] of e2ee.messages.slice(0, 300).entries()) expect(m.commitment).toEqual(plain.messages[i]!.commitment);
  });

  it('sends no commitment and no franking key without franking', () => {
    const run = generate(scenario('none', 'none', { detection: { userReports: { franking: false } } }));
    for (const m of run.messages) {
      expect(m.commitment).toBeNull();
      expect(m.payload.length).toBe(contentLength(m.payload));
    }
    for (const r of run.reports) {
      expect(r.frankingKey.length + r.commitment.length + r.tag.length).toBe(0);
    }
    expect(run.reports.length).toBeGreaterThan(5);
  });
});

describe('WorldGenerator: user reports', () => {
  it('genuine reports name an earlier message, by its recipient or a viewer who is no offender, with its plaintext', () => {
    for (const run of [plain, e2ee]) {
      const pop = run.gen.population;
      const messages = byId(run);
      const genuine = run.reports.filter(isGenuine);
      expect(genuine.length).toBe(run.gen.ledger.userReports);
      for (const r of genuine) {
        const m = messages.get(r.messageId) as Message;
        const p = plainById.get(r.messageId) as Message;
        expect(r.t).toBeGreaterThanOrEqual(m.envelope.t);
        expect(r.reported).toBe(m.envelope.sender);
        expect(r.recipient).toBe(m.envelope.recipient);
        expect(r.sentAt).toBe(m.envelope.t);
        expect(r.surface).toBe(m.envelope.surface);
        if (m.envelope.surface === 'dm') expect(r.reporter).toBe(m.envelope.recipient);
        else expect(r.reporter).not.toBe(m.envelope.sender);
        expect(pop.isOffender(r.reporter)).toBe(false);
        // The plaintext, without the franking key, whatever the encryption.
        expect(r.content).toEqual(p.payload.subarray(0, contentLength(p.payload)));
        expect(
          run.gen.ledger.abusiveIds.knownImage.includes(r.messageId) ||
            run.gen.ledger.abusiveIds.newImage.includes(r.messageId) ||
            run.gen.ledger.abusiveIds.grooming.includes(r.messageId),
        ).toBe(true);
      }
    }
  });

  it('reports each message at most once', () => {
    const ids = plain.reports.filter(isGenuine).map((r) => r.messageId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('forged reports name innocent accounts and do not verify', () => {
    const pop = plain.gen.population;
    const forged = plain.reports.filter((r) => !isGenuine(r));
    expect(forged.length).toBe(plain.gen.ledger.forgedReports);
    for (const r of forged) {
      expect(pop.isOffender(r.reported)).toBe(false);
      expect(pop.isOffender(r.reporter)).toBe(false);
      expect(r.reporter).not.toBe(r.reported);
      expect(isContent(r.content)).toBe(true);
    }
  });

  it("forged reports name an id their shard issued before them, spread over the shard's past", () => {
    const ids = new Set(stream(plain).map((e) => e.id));
    const forged = plain.reports.filter((r) => !isGenuine(r));
    expect(forged.length).toBeGreaterThan(5);
    for (const r of forged) {
      expect(ids.has(r.messageId)).toBe(true);
      expect(r.messageId).toBeLessThan(r.id);
      expect(shardHourOf(r.messageId) % SHARDS).toBe(shardOf(r.reported));
    }
    // Not always the latest: some name an event of an earlier hour.
    expect(forged.some((r) => shardHourOf(r.messageId) < shardHourOf(r.id))).toBe(true);
  });

  // Switching the report route off means the platform does not act on reports; users
  // still make them (and they still count as a behavioural signal).
  it('makes the same reports when the platform does not act on them', () => {
    const run = generate(scenario('none', 'none', { detection: { userReports: { enabled: false } } }));
    expect(run.reports.length).toBeGreaterThan(0);
    expect(run.reports.map((r) => [r.id, r.messageId, r.reporter, r.reported, r.t])).toEqual(
      plain.reports.map((r) => [r.id, r.messageId, r.reporter, r.reported, r.t]),
    );
    expect(run.gen.ledger.userReports + run.gen.ledger.forgedReports).toBe(plain.gen.ledger.userReports + plain.gen.ledger.forgedReports);
  });

  // The world (who sends what to whom, and when) is the scenario's; detection settings
  // must not change it, or switching a route off would change every other route too.
  it.each([
    { hashMatching: { enabled: false } },
    { imageClassifier: { enabled: false }, textClassifier: { enabled: false } },
    { metadata: { enabled: false } },
    { clientSideScanning: { enabled: true, threshold: 3 } },
    { userReports: { enabled: false } },
    { userReports: { franking: false } },
  ])('does not change the simulated world when detection is set to %j', (detection) => {
    const run = generate(scenario('none', 'none', { detection }));
    // Compared as (count, first differing envelope) to keep a failure readable.
    const ours = run.messages.map((m) => JSON.stringify({ ...m.envelope, id: 0, size: 0 }));
    const theirs = plain.messages.map((m) => JSON.stringify({ ...m.envelope, id: 0, size: 0 }));
    const first = ours.findIndex((e, i) => e !== theirs[i]);
    expect({ messages: ours.length, firstDifference: first < 0 ? null : ours[first] }).toEqual({ messages: theirs.length, firstDifference: null });
    expect(run.gen.ledger.abusiveMessages).toEqual(plain.gen.ledger.abusiveMessages);
    expect(run.blocks.map((b) => [b.t, b.blocker, b.blocked])).toEqual(plain.blocks.map((b) => [b.t, b.blocker, b.blocked]));
  });

  // Reactions draw from their own stream: users reporting and blocking more often changes
  // the reports and blocks, never the messages (a sweep over these compares like with like).
  it('does not change the messages when users report and block more often', () => {
    const run = generate(
      scenario('none', 'none', {
        detection: { hashBank: { size: 200 }, userReports: { probability: 0.95, meanDelayHours: 1, forgedPerDay: 5, blockProbability: 0.9 } },
      }),
    );
    const ours = run.messages.map((m) => JSON.stringify({ ...m.envelope, id: 0, size: 0 }));
    const theirs = plain.messages.map((m) => JSON.stringify({ ...m.envelope, id: 0, size: 0 }));
    expect(ours).toEqual(theirs);
    expect(run.gen.ledger.userReports).toBeGreaterThan(plain.gen.ledger.userReports);
    expect(run.blocks.length).toBeGreaterThan(plain.blocks.length);
  });
});

describe('WorldGenerator: blocks', () => {
  it('blocks come from non-offenders, never of themselves, and the ledger counts them', () => {
    const pop = plain.gen.population;
    expect(plain.gen.ledger.blocks).toBe(plain.blocks.length);
    for (const b of plain.blocks) {
      expect(pop.isOffender(b.blocker)).toBe(false);
      expect(b.blocker).not.toBe(b.blocked);
    }
    // Minors block offenders who sent them abuse.
    const abused = plain.blocks.filter((b) => pop.isMinor(b.blocker) && pop.isOffender(b.blocked));
    expect(abused.length).toBeGreaterThan(0);
  });
});

describe('WorldGenerator: encryption', () => {
  it('encrypts every DM under e2ee and nothing else', () => {
    for (const { envelope } of e2ee.messages) expect(envelope.encrypted).toBe(envelope.surface === 'dm');
    for (const { envelope } of plain.messages) expect(envelope.encrypted).toBe(false);
    expect(e2ee.messages.some((m) => m.envelope.encrypted)).toBe(true);
  });

  it('encrypts public posts and profile photos when those surfaces are e2ee', () => {
    const all = generate(scenario('e2ee', 'e2ee'));
    for (const { envelope, payload } of all.messages) {
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
    expect(e2ee.blocks).toEqual(plain.blocks);
    const dms = plain.messages.filter((m) => m.envelope.surface === 'dm');
    expect({ ...e2ee.gen.ledger, encrypted: 0, encryptedPerDay: [], abusiveEncrypted: 0, privacy: null }).toEqual({ ...plain.gen.ledger, privacy: null });
    expect(e2ee.gen.ledger.encrypted).toBe(dms.length);
  });

  it('gives an encrypted DM a ciphertext payload: not content, not the plaintext, plaintext ‖ franking key + nonce + tag long', () => {
    let checked = 0;
    e2ee.messages.forEach((m, i) => {
      if (!m.envelope.encrypted) return;
      const plaintext = (plain.messages[i] as Message).payload;
      expect(isContent(plaintext)).toBe(true);
      expect(isContent(m.payload)).toBe(false);
      expect(m.payload.length).toBe(plaintext.length + NONCE_BYTES + TAG_BYTES);
      // Neither the content nor the franking key appears in the payload.
      const content = plaintext.subarray(0, contentLength(plaintext));
      expect(Buffer.from(m.payload).includes(Buffer.from(content))).toBe(false);
      expect(Buffer.from(m.payload).includes(Buffer.from(plaintext.subarray(content.length)))).toBe(false);
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
    const all = generate(scenario('e2ee', 'e2ee'));
    const seen = new Set<string>();
    let n = 0;
    for (const { envelope: e, payload } of all.messages) {
      const pair = e.recipient < 0 ? `${e.surface}:${e.sender}` : `${Math.min(e.sender, e.recipient)}-${Math.max(e.sender, e.recipient)}`;
      const key = `${pair}/${Buffer.from(payload.subarray(0, NONCE_BYTES)).toString('hex')}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      n++;
    }
    expect(n).toBeGreaterThan(1000);
    // Some conversations carry several messages, so the property is not vacuous.
    const pairs = new Set([...seen].map((k) => k.split('/')[0]));
    expect(pairs.size).toBeLessThan(n / 2);
    // One key per conversation.
    expect(all.gen.keyCount).toBe(pairs.size);
  });

  /** A client sending `plain` in `conversation`: its next nonce there, then sealed (without franking) as the generator does. */
  const DM: Envelope = {
    id: 0,
    t: 0,
    surface: 'dm',
    sender: 1,
    recipient: 2,
    media: 'text',
    size: 0,
    encrypted: true,
    senderMinor: false,
    recipientMinor: false,
    connected: true,
    senderAccountAgeDays: 0,
  };
  function encrypt(clients: Clients, sealer: Sealer, conversation: number, plain: Uint8Array): Uint8Array {
    return sealer.seal({ envelope: DM, plain, conversation, nonce: clients.nextNonce(conversation, DM.sender, DM.recipient), voucher: null }).payload;
  }

  it('gives two identical plaintexts in one conversation different ciphertexts', () => {
    const secret = newClientSecret();
    const clients = new Clients(secret);
    const sealer = new Sealer(secret, false);
    const text = encodeContent({ media: 'text', score: 0.5, look: 0.5 });
    const a = encrypt(clients, sealer, 5, text);
    const b = encrypt(clients, sealer, 5, text);
    const c = encrypt(clients, sealer, 6, text);
    expect(a.length).toBe(text.length + NONCE_BYTES + TAG_BYTES);
    expect(Buffer.from(a.subarray(0, NONCE_BYTES)).equals(Buffer.from(b.subarray(0, NONCE_BYTES)))).toBe(false);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(Buffer.from(a.subarray(NONCE_BYTES)).equals(Buffer.from(c.subarray(NONCE_BYTES)))).toBe(false);
    expect(clients.keyCount).toBe(2);
  });

  it('gives a conversation the same key however many other conversations a sealer has sealed since', () => {
    const secret = newClientSecret();
    const text = encodeContent({ media: 'text', score: 0.3, look: 0.1 });
    const busy = new Sealer(secret, false);
    const seal = (sealer: Sealer, conversation: number) =>
      Buffer.from(sealer.seal({ envelope: DM, plain: text, conversation, nonce: 1, voucher: null }).payload);
    const first = seal(busy, 77);
    // Far more conversations than the sealer keeps keys for, public ones (negative ids) too.
    for (let c = 0; c < 20_000; c++) seal(busy, c % 2 === 0 ? c * 1_000_003 : -4 * c - 1);
    expect(seal(busy, 77).equals(first)).toBe(true);
    expect(seal(new Sealer(secret, false), 77).equals(first)).toBe(true);
    expect(seal(busy, 78).equals(first)).toBe(false);
  });

  it('derives every key from the client secret: the same secret gives the same ciphertexts, another secret others', () => {
    const secret = newClientSecret();
    const text = encodeContent({ media: 'text', score: 0.1, look: 0.2 });
    const other = newClientSecret();
    const a = new Clients(secret);
    const b = new Clients(secret);
    const c = new Clients(other);
    expect(encrypt(a, new Sealer(secret, false), 9, text)).toEqual(encrypt(b, new Sealer(secret, false), 9, text));
    expect(Buffer.from(encrypt(a, new Sealer(secret, false), 9, text)).equals(Buffer.from(encrypt(c, new Sealer(other, false), 9, text)))).toBe(false);
    expect(a.frankingKey(3)).toEqual(b.frankingKey(3));
    expect(a.frankingKey(3)).not.toEqual(a.frankingKey(4));
    expect(a.frankingKey(3)).not.toEqual(c.frankingKey(3));
    expect(() => new Clients(new Uint8Array(CLIENT_SECRET_BYTES - 1))).toThrow(RangeError);
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

describe('WorldGenerator: encryption rolled out', () => {
  // DMs and public surfaces from day 1, reaching every account by day 2 (of 3).
  const rollout = { encryption: 'e2ee', fromDay: 1, rampDays: 1 };
  const rolled = scenario('e2ee', 'e2ee', { surfaces: { directMessages: rollout, publicPosts: rollout, profilePhotos: rollout } });
  const run = generate(rolled);
  const place = rolloutPlaces(rolled.seed);
  const r = rollouts(rolled).dm!;
  const switched = (account: number, t: number) => t >= switchTime(r, place, account);

  it('encrypts a DM once both its accounts have switched, a post or photo once its sender has', () => {
    let during = { encrypted: 0, readable: 0 };
    for (const { envelope: e, payload } of run.messages) {
      const expected = switched(e.sender, e.t) && (e.recipient < 0 || switched(e.recipient, e.t));
      expect(e.encrypted).toBe(expected);
      expect(isContent(payload)).toBe(!expected);
      if (e.t < DAY) expect(e.encrypted).toBe(false);
      if (e.t >= 2 * DAY) expect(e.encrypted).toBe(true);
      if (e.t >= DAY && e.t < 2 * DAY) during = e.encrypted ? { ...during, encrypted: during.encrypted + 1 } : { ...during, readable: during.readable + 1 };
    }
    // The ramp is gradual: both kinds of message during it.
    expect(during.encrypted).toBeGreaterThan(100);
    expect(during.readable).toBeGreaterThan(100);
  });

  it('plays the same world: only encryption differs from the plaintext run', () => {
    expect(run.messages.map((m) => ({ ...m.envelope, encrypted: false, size: 0 }))).toEqual(plain.messages.map((m) => ({ ...m.envelope, size: 0 })));
    expect(run.reports).toEqual(plain.reports);
    expect(run.blocks).toEqual(plain.blocks);
  });

  it('counts messages and encrypted messages per day in the ledger: none encrypted before the rollout, every one after it', () => {
    const l = run.gen.ledger;
    const perDay = [0, 1, 2].map((d) => run.messages.filter((m) => Math.floor(m.envelope.t / DAY) === d));
    expect(l.messagesPerDay).toEqual(perDay.map((ms) => ms.length));
    expect(l.encryptedPerDay).toEqual([0, perDay[1]!.filter((m) => m.envelope.encrypted).length, perDay[2]!.length]);
    expect(l.encryptedPerDay.reduce((a, b) => a + b, 0)).toBe(l.encrypted);
  });

  it('never reuses a nonce within a conversation that sent plaintext first, and keeps one key per conversation', () => {
    const seen = new Set<string>();
    const opened = new Set<string>();
    let upgraded = 0;
    const readableFirst = new Set<string>();
    for (const { envelope: e, payload } of run.messages) {
      const pair = e.recipient < 0 ? `${e.surface}:${e.sender}` : `${Math.min(e.sender, e.recipient)}-${Math.max(e.sender, e.recipient)}`;
      if (!e.encrypted) {
        readableFirst.add(pair);
        continue;
      }
      if (!opened.has(pair) && readableFirst.has(pair)) upgraded++;
      opened.add(pair);
      const key = `${pair}/${Buffer.from(payload.subarray(0, NONCE_BYTES)).toString('hex')}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
    // Many conversations sent readable messages before their encrypted ones.
    expect(upgraded).toBeGreaterThan(50);
    expect(run.gen.keyCount).toBe(opened.size);
  });

  it('gives every account its switch time as a pure function of (seed, account), spread over the ramp', () => {
    const times = Array.from({ length: 20_000 }, (_, a) => switchTime(r, place, a));
    // The same from fresh places of the same seed (another shard or thread), another with another seed.
    expect(Array.from({ length: 20_000 }, (_, a) => switchTime(rollouts(rolled).dm!, rolloutPlaces(rolled.seed), a))).toEqual(times);
    const other = rolloutPlaces(rolled.seed + 1);
    expect(times.filter((t, a) => t === switchTime(r, other, a)).length).toBeLessThan(10);
    for (const t of times) {
      expect(t).toBeGreaterThanOrEqual(DAY);
      expect(t).toBeLessThan(2 * DAY);
    }
    // Uniform over the ramp: each tenth holds about a tenth (2,000 ± 4.5 sd of 42).
    const tenths = new Array<number>(10).fill(0);
    for (const t of times) tenths[Math.floor(((t - DAY) / DAY) * 10)]!++;
    for (const n of tenths) expect(Math.abs(n - 2_000)).toBeLessThan(190);
    // No ramp: every account at fromDay.
    expect(switchTime({ from: 5 * DAY, ramp: 0 }, place, 123)).toBe(5 * DAY);
  });
});

describe('WorldGenerator: client-side scanning', () => {
  const css = generate(scenario('none', 'none', { detection: { clientSideScanning: { enabled: true, threshold: 3 } } }));
  const server = new VoucherServer(css.gen.bank.bank);

  it('attaches a voucher to every image on a scanned surface (DMs by default) and to nothing else', () => {
    let n = 0;
    for (const m of css.messages) {
      const expected = m.envelope.media === 'image' && m.envelope.surface === 'dm';
      expect(m.voucher !== null).toBe(expected);
      if (expected) n++;
    }
    expect(n).toBeGreaterThan(100);
    for (const m of plain.messages) expect(m.voucher).toBeNull();
  });

  it('makes a voucher the server can open exactly when the client matched the image against the bank', () => {
    const hm = css.gen.bank;
    const x = new Map<number, bigint>();
    let opened = 0;
    for (const m of css.messages) {
      if (!m.voucher) continue;
      const content = decodeContent(m.payload);
      if (content.media !== 'image') throw new Error('vouchers go with images');
      const matches = content.quality >= 50 && matchBank(hm.bank, content.hash, 31) !== null;
      const share = server.open(decodeVoucher(m.voucher));
      expect(share !== null).toBe(matches);
      if (share) {
        opened++;
        // Shares of an account are x = 1, 2, 3, ...
        const next = (x.get(m.envelope.sender) ?? 0n) + 1n;
        expect(share.x).toBe(next);
        x.set(m.envelope.sender, next);
      }
    }
    expect(opened).toBeGreaterThan(10);
    // Vouchers are all the same size, matching or not (for the same content length).
    const sizes = new Set(css.messages.filter((m) => m.voucher).map((m) => m.voucher!.length));
    expect(sizes.size).toBe(1);
  });

  it('scans before encryption: the same vouchers open under e2ee, and the world is unchanged', () => {
    const enc = generate(scenario('e2ee', 'none', { detection: { clientSideScanning: { enabled: true, threshold: 3 } } }));
    expect(enc.messages.map((m) => ({ ...m.envelope, encrypted: false, size: 0 }))).toEqual(css.messages.map((m) => ({ ...m.envelope, size: 0 })));
    const openable = (run: Run) => run.messages.filter((m) => m.voucher && server.open(decodeVoucher(m.voucher))).map((m) => m.envelope.id);
    expect(openable(enc)).toEqual(openable(css));
    expect(css.messages.map((m) => m.envelope)).toEqual(plain.messages.map((m) => m.envelope));
  });

  it('scans the surfaces it is told to', () => {
    const run = generate(scenario('none', 'none', { detection: { clientSideScanning: { enabled: true, surfaces: ['profile'] } } }));
    const withVoucher = run.messages.filter((m) => m.voucher);
    expect(withVoucher.length).toBeGreaterThan(0);
    for (const m of withVoucher) expect(m.envelope.surface).toBe('profile');
  });
});

describe('WorldGenerator: offender and look-alike behaviour', () => {
  it('escalates grooming: the abusive share rises linearly from startShare to endShare over a conversation', () => {
    // Only groomers talk (no ordinary traffic): 0% abusive on a conversation's first day,
    // 50% on its second, 100% on its last.
    const s = scenario('none', 'none', {
      population: {
        adults: 40,
        minors: 300,
        accountAgeDays: 36_500,
        offenders: {
          sharers: { count: 0 },
          producers: { count: 0 },
          groomers: {
            count: 10,
            newTargetsPerDay: 4,
            messagesPerTargetPerDay: 12,
            conversationDays: 3,
            escalation: { startShare: 0, endShare: 1 },
            imageShare: 0,
            accountLifetimeDays: 36_500,
            returnShare: 0,
          },
        },
        lookalikes: { mentors: { count: 0 } },
      },
      traffic: { messagesPerUserPerDay: 0, profilePhotoChangesPerMonth: 0, blocksPerUserPerMonth: 0 },
      detection: { userReports: { forgedPerDay: 0 } },
    });
    const run = generate(s, 1000);
    const abusive = new Set(run.gen.ledger.abusiveIds.grooming);
    const firstDay = new Map<string, number>();
    const byDay = [0, 1, 2].map(() => ({ n: 0, abusive: 0 }));
    for (const { envelope: e } of run.messages) {
      const key = `${e.sender}-${e.recipient}`;
      const day = Math.floor(e.t / DAY);
      if (!firstDay.has(key)) firstDay.set(key, day);
      const k = byDay[day - (firstDay.get(key) as number)];
      if (!k) continue;
      k.n++;
      if (abusive.has(e.id)) k.abusive++;
    }
    for (const k of byDay) expect(k.n).toBeGreaterThan(100);
    // A conversation's first message may fall on its second day, and a groomer may pick a
    // minor twice: allow a few percent either way.
    expect(byDay[0]!.abusive / byDay[0]!.n).toBeLessThan(0.05);
    expect(Math.abs(byDay[1]!.abusive / byDay[1]!.n - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / byDay[1]!.n) + 0.05);
    expect(byDay[2]!.abusive / byDay[2]!.n).toBeGreaterThan(0.95);
    expect(run.gen.ledger.abusiveMessages.grooming).toBe(abusive.size);
  });

  it('mentors message the minors of their class, contacts or not, and send nothing abusive', () => {
    const { population: pop, ledger } = plain.gen;
    expect(pop.mentors).toHaveLength(2);
    for (const mentor of pop.mentors) {
      const cls = pop.classOf(mentor);
      expect(cls).toHaveLength(10);
      for (const minor of cls) expect(pop.isMinor(minor)).toBe(true);
    }
    // Besides their ordinary traffic (which may reach anyone), mentors DM their class.
    const toClass = plain.messages.filter((m) => pop.classOf(m.envelope.sender).includes(m.envelope.recipient));
    // messagesPerDay 4 × 2 mentors × 3 days = 24 expected.
    expect(toClass.length).toBeGreaterThan(10);
    for (const { envelope: e } of toClass) expect(e).toMatchObject({ surface: 'dm', senderMinor: false, recipientMinor: true });
    // Some of the class are contacts, some are not: the look-alike pattern of an innocent adult.
    expect(toClass.some((m) => m.envelope.connected)).toBe(true);
    expect(toClass.some((m) => !m.envelope.connected)).toBe(true);
    const abusive = new Set([...ledger.abusiveIds.knownImage, ...ledger.abusiveIds.newImage, ...ledger.abusiveIds.grooming]);
    for (const m of plain.messages) if (pop.mentors.includes(m.envelope.sender)) expect(abusive.has(m.envelope.id)).toBe(false);
  });
});

describe('WorldGenerator: the ledger', () => {
  it('counts exactly what was yielded', () => {
    for (const run of [plain, e2ee]) {
      const { ledger } = run.gen;
      expect(ledger.messages).toBe(run.messages.length);
      expect(ledger.encrypted).toBe(run.messages.filter((m) => m.envelope.encrypted).length);
      expect(ledger.userReports + ledger.forgedReports).toBe(run.reports.length);
      expect(ledger.blocks).toBe(run.blocks.length);
      for (const kind of ['knownImage', 'newImage', 'grooming'] as const) {
        expect(ledger.abusiveIds[kind]).toHaveLength(ledger.abusiveMessages[kind]);
      }
      const abusive = [...ledger.abusiveIds.knownImage, ...ledger.abusiveIds.newImage, ...ledger.abusiveIds.grooming];
      expect(new Set(abusive).size).toBe(abusive.length);
      const messages = byId(run);
      expect(ledger.abusiveEncrypted).toBe(abusive.filter((id) => messages.get(id)?.envelope.encrypted).length);
    }
    expect(plain.gen.ledger.abusiveEncrypted).toBe(0);
    expect(e2ee.gen.ledger.abusiveEncrypted).toBeGreaterThan(0);
  });

  it('attributes each kind of abuse to the archetype that sends it', () => {
    const { population: pop, ledger, bank } = plain.gen;
    const sharers = new Set(pop.sharers);
    const producers = new Set(pop.producers);
    const groomers = new Set(pop.groomers);
    let matched = 0;
    for (const id of ledger.abusiveIds.knownImage) {
      const m = plainById.get(id) as Message;
      expect(sharers.has(m.envelope.sender)).toBe(true);
      expect(m.envelope.media).toBe('image');
      const c = decodeContent(m.payload);
      if (c.media === 'image' && matchBank(bank.bank, c.hash, 31)) matched++;
    }
    // Known images are lightly edited bank items: most match (5% are edited beyond the distance).
    expect(matched / ledger.abusiveIds.knownImage.length).toBeGreaterThan(0.8);
    for (const id of ledger.abusiveIds.newImage) {
      const m = plainById.get(id) as Message;
      expect(producers.has(m.envelope.sender)).toBe(true);
      const c = decodeContent(m.payload);
      // New imagery is in no bank.
      if (c.media === 'image') expect(matchBank(bank.bank, c.hash, 31)).toBeNull();
    }
    for (const id of ledger.abusiveIds.grooming) {
      const m = plainById.get(id) as Message;
      expect(groomers.has(m.envelope.sender)).toBe(true);
      expect(m.envelope).toMatchObject({ surface: 'dm', recipientMinor: true, connected: false });
    }
    // Grooming comes as text and, with imageShare 0.3, sometimes as images.
    const media = new Set(ledger.abusiveIds.grooming.map((id) => plainById.get(id)!.envelope.media));
    expect(media).toEqual(new Set(['text', 'image']));
    // Mentors send nothing abusive.
    const mentors = new Set(pop.mentors);
    const abusive = new Set([...ledger.abusiveIds.knownImage, ...ledger.abusiveIds.newImage, ...ledger.abusiveIds.grooming]);
    for (const m of plain.messages) if (mentors.has(m.envelope.sender)) expect(abusive.has(m.envelope.id)).toBe(false);
  });

  it("records each offender's first abusive message", () => {
    const { ledger } = plain.gen;
    const first = new Map<number, number>();
    for (const id of [...ledger.abusiveIds.knownImage, ...ledger.abusiveIds.newImage, ...ledger.abusiveIds.grooming].sort((a, b) => a - b)) {
      const e = plainById.get(id)!.envelope;
      if (!first.has(e.sender)) first.set(e.sender, e.t);
    }
    expect(new Map(ledger.firstAbuse)).toEqual(first);
    expect(ledger.firstAbuse.length).toBe(first.size);
  });

  it('measures privacy exposure: readable DMs of innocent accounts', () => {
    for (const run of [plain, e2ee]) {
      const pop = run.gen.population;
      const readable = run.messages.filter((m) => m.envelope.surface === 'dm' && !m.envelope.encrypted && !pop.isOffender(m.envelope.sender));
      const innocent = Array.from({ length: pop.users }, (_, a) => a).filter((a) => !pop.isOffender(a) && Number.isFinite(pop.createdAt[a] as number));
      expect(run.gen.ledger.privacy).toEqual({
        readableInnocentMessages: readable.length,
        innocentUsersExposed: new Set(readable.map((m) => m.envelope.sender)).size,
        innocentUsers: innocent.length,
      });
    }
    expect(e2ee.gen.ledger.privacy.readableInnocentMessages).toBe(0);
    expect(plain.gen.ledger.privacy.innocentUsersExposed).toBeGreaterThan(100);
  });
});
