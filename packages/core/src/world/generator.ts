/**
 * The generator: plays the platform's users and their clients. It walks simulated time
 * hour by hour, produces messages (ordinary traffic, profile photos, what each offender
 * archetype and each innocent look-alike does), franks and encrypts them, attaches
 * client-side-scanning vouchers where enabled, schedules the reports and blocks
 * recipients make, and cuts the time-ordered stream into batches. It also plays the
 * platform's delivery relay, which countersigns franking commitments with the platform
 * key. Ground truth goes to the ledger only.
 *
 * Every event (message, report, block) takes the next id from one counter in stream
 * order, so ids order the stream and a batch boundary can fall anywhere.
 *
 * Deterministic: the same scenario, seed and client secret yield the same batches.
 */
import type { Scenario, SurfaceKey } from '../scenario';
import type { Batch, Block, Content, Envelope, SurfaceName, UserReport } from '../types';
import { DAY, HOUR } from '../types';
import { Random } from '../random';
import { bankEntry, perturb, platformBank, popularImages, randomHash, type BankMatch, type HashBank, type PlatformBank } from '../hash';
import { bankMatcher } from '../hash-index';
import { encodeContent, quantize } from '../content';
import { commit, countersign } from '../franking';
import { encodeVoucher } from '../css';
import { buildPopulation, Kind, type Population } from './population';
import { Clients, Sealer, sealedOverhead, type Unsealed } from './clients';
import { emptyLedger, type AbuseType, type Ledger } from './ledger';

export interface GenerateOptions {
  run: string;
  /** Events (messages + reports + blocks) per batch; results do not depend on it. */
  batchSize: number;
  /** The platform's franking key (the delivery relay countersigns with it). */
  platformKey: Uint8Array;
  /** The clients' secret: conversation keys, franking keys and scanning secrets derive from it. */
  clientSecret: Uint8Array;
}

interface Pending {
  envelope: Envelope;
  content: Content;
  abusive: AbuseType | null;
}

/** A message once its id is assigned, as the recipient's client keeps it (for reporting). */
interface Delivered {
  envelope: Envelope;
  plain: Uint8Array;
  frankingKey: Uint8Array;
  commitment: Uint8Array;
  tag: Uint8Array;
}

/** A report or block scheduled for later; ids are assigned when it enters the stream. */
type Scheduled =
  | { type: 'report'; t: number; reporter: number; message: Delivered }
  | { type: 'forged'; t: number; report: Omit<UserReport, 'id'> }
  | { type: 'block'; t: number; blocker: number; blocked: number };

/** A batch whose messages are not yet sealed. */
export type UnsealedBatch = Omit<Batch, 'messages'> & { messages: Unsealed[] };

interface GroomingTarget {
  minor: number;
  firstDay: number;
  lastDay: number;
}

type StreamEvent = { type: 'message'; message: Unsealed } | { type: 'report'; report: UserReport } | { type: 'block'; block: Block };

const IMAGE_SIZE_MEAN = 180_000;
const TEXT_SIZE_MEAN = 60;
const EMPTY: Uint8Array = new Uint8Array(0);

export class WorldGenerator {
  readonly population: Population;
  readonly bank: PlatformBank;
  readonly popular: HashBank;
  readonly ledger: Ledger = emptyLedger();
  private readonly clients: Clients;
  private readonly rng: Random;
  /**
   * Recipients' reactions (reports, blocks) draw from their own stream, so changing how
   * often users report or block leaves the traffic itself untouched (common random
   * numbers: a sweep over those settings compares like with like).
   */
  private readonly reactions: Random;
  private readonly targets = new Map<number, GroomingTarget[]>();
  private scheduled: Scheduled[] = [];
  private nextId = 0;
  private readonly firstAbuseSeen = new Set<number>();
  private readonly innocentReadable: Uint8Array;
  private readonly surfaceEncrypted: Record<SurfaceName, boolean>;
  private readonly cssSurfaces: Set<SurfaceKey>;
  /** The clients' own matcher for client-side scanning (same answers as the server's). */
  private readonly clientMatch: (hash: Uint8Array, maxDistance: number) => BankMatch | null;

  constructor(
    private readonly scenario: Scenario,
    private readonly options: GenerateOptions,
  ) {
    if (!(options.batchSize >= 1)) throw new RangeError('batchSize must be at least 1');
    this.population = buildPopulation(scenario);
    const hb = scenario.detection.hashBank;
    this.popular = popularImages(scenario.seed, scenario.traffic.popularImages);
    this.bank = platformBank(scenario.seed, hb.size, hb.wronglyListedShare, this.popular);
    this.rng = Random.derive(scenario.seed, 'traffic');
    this.reactions = Random.derive(scenario.seed, 'reactions');
    this.clients = new Clients(options.clientSecret);
    this.innocentReadable = new Uint8Array(this.population.users);
    const p = this.population;
    this.ledger.offenders.sharer = [...p.sharers];
    this.ledger.offenders.producer = [...p.producers];
    this.ledger.offenders.groomer = [...p.groomers];
    this.ledger.mentors = [...p.mentors];
    const s = scenario.surfaces;
    this.surfaceEncrypted = {
      dm: s.directMessages.encryption === 'e2ee',
      public: s.publicPosts.encryption === 'e2ee',
      profile: s.profilePhotos.encryption === 'e2ee',
    };
    const css = scenario.detection.clientSideScanning;
    this.cssSurfaces = new Set(css.enabled ? css.surfaces : []);
    this.clientMatch = css.enabled ? bankMatcher(this.bank.bank) : () => null;
  }

  /** Number of conversation keys the clients hold (for tests and diagnostics). */
  get keyCount(): number {
    return this.clients.keyCount;
  }

  /**
   * Yields the run's batches in simulated-time order, every message sealed (franked and,
   * where the surface is end-to-end encrypted, encrypted). The last one has
   * `final: true`; by the time it is yielded the ledger is complete.
   */
  *batches(): Generator<Batch> {
    const sealer = this.sealer();
    for (const batch of this.unsealedBatches()) yield { ...batch, messages: sealer.sealAll(batch.messages) };
  }

  /** A Sealer for this run's messages: the same keys, so the same bytes, in whatever thread it runs. */
  sealer(): Sealer {
    return new Sealer(this.options.clientSecret, this.scenario.detection.userReports.franking);
  }

  /**
   * The batches of `batches()` before sealing: the world's whole sequential work (the
   * draws, ids, nonces, vouchers, ledger), leaving each message's franking and
   * encryption to a Sealer, which may run on other threads.
   */
  *unsealedBatches(): Generator<UnsealedBatch> {
    const hours = this.scenario.durationDays * 24;
    const run = this.options.run;
    let seq = 0;
    let batch: UnsealedBatch = { run, seq, final: false, messages: [], reports: [], blocks: [] };
    let size = 0;
    for (let hour = 0; hour < hours; hour++) {
      for (const event of this.generateHour(hour)) {
        if (event.type === 'message') batch.messages.push(event.message);
        else if (event.type === 'report') batch.reports.push(event.report);
        else batch.blocks.push(event.block);
        if (++size >= this.options.batchSize) {
          yield batch;
          batch = { run, seq: ++seq, final: false, messages: [], reports: [], blocks: [] };
          size = 0;
        }
      }
    }
    const p = this.population;
    let senders = 0;
    let readable = 0;
    for (let a = 0; a < p.users; a++) {
      if (p.isOffender(a)) continue;
      if (this.innocentReadable[a]) readable++;
    }
    for (let a = 0; a < p.users; a++) if (!p.isOffender(a)) senders++;
    this.ledger.privacy.innocentUsersExposed = readable;
    this.ledger.privacy.innocentUsers = senders;
    batch.final = true;
    yield batch;
  }

  private generateHour(hour: number): StreamEvent[] {
    const start = hour * HOUR;
    const pending: Pending[] = [];
    this.ordinaryTraffic(start, pending);
    this.profilePhotos(start, pending);
    this.imageOffenders(start, pending);
    this.groomers(hour, start, pending);
    this.mentors(start, pending);
    this.innocentBlocks(start);
    this.forgedReports(start);

    // Messages in time order (stable: ties keep draw order), merged with the reports and
    // blocks due this hour, including those the hour's own messages provoke: at equal
    // times messages first, then reports, then blocks. Ids follow the merged order.
    pending.sort((a, b) => a.envelope.t - b.envelope.t);
    const hourEnd = start + HOUR;
    const events: StreamEvent[] = [];
    const dueBefore = (t: number) => {
      while (this.scheduled.length > 0 && (this.scheduled[0] as Scheduled).t < t) events.push(this.emitScheduled(this.scheduled.shift() as Scheduled));
    };
    for (const item of pending) {
      dueBefore(item.envelope.t);
      events.push({ type: 'message', message: this.finish(item) });
    }
    dueBefore(hourEnd);
    return events;
  }

  /** Keeps scheduled reports and blocks in stream order: by time, reports before blocks, then first scheduled first. */
  private schedule(s: Scheduled): void {
    const rank = (x: Scheduled) => (x.type === 'block' ? 2 : 1);
    const list = this.scheduled;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = list[mid] as Scheduled;
      if (m.t < s.t || (m.t === s.t && rank(m) <= rank(s))) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, s);
  }

  // --- traffic -------------------------------------------------------------------------

  private ordinaryTraffic(start: number, out: Pending[]): void {
    const { scenario, rng, population } = this;
    const t = scenario.traffic;
    const n = rng.poisson((population.users * t.messagesPerUserPerDay) / 24);
    for (let i = 0; i < n; i++) {
      const time = this.timeIn(start);
      const sender = this.activeAccount(time);
      if (sender < 0) continue;
      const isPublic = rng.chance(t.publicPostShare);
      const recipient = isPublic ? -1 : this.ordinaryRecipient(sender, time);
      if (!isPublic && recipient < 0) continue;
      const content = rng.chance(t.mediaShare) ? this.benignImage() : this.text(false);
      out.push({ envelope: this.envelope(time, sender, recipient, isPublic ? 'public' : 'dm', content.media), content, abusive: null });
    }
  }

  private profilePhotos(start: number, out: Pending[]): void {
    const { rng, population } = this;
    const n = rng.poisson((population.users * this.scenario.traffic.profilePhotoChangesPerMonth) / 30 / 24);
    for (let i = 0; i < n; i++) {
      const time = this.timeIn(start);
      const sender = this.activeAccount(time);
      if (sender < 0) continue;
      const content = this.benignImage();
      out.push({ envelope: this.envelope(time, sender, -1, 'profile', 'image'), content, abusive: null });
    }
  }

  /** Sharers re-share known (bank) images, lightly edited; producers share new ones. */
  private imageOffenders(start: number, out: Pending[]): void {
    const { rng, population, scenario } = this;
    const o = scenario.population.offenders;
    const hb = scenario.detection.hashBank;
    for (const [list, cfg, type] of [
      [population.sharers, o.sharers, 'knownImage'],
      [population.producers, o.producers, 'newImage'],
    ] as const) {
      for (const offender of list) {
        const k = rng.poisson(cfg.abusiveImagesPerDay / 24);
        for (let i = 0; i < k; i++) {
          const time = this.timeIn(start);
          if (!this.exists(offender, time)) continue;
          let hash: Uint8Array;
          if (type === 'knownImage' && this.bank.genuine > 0) {
            const source = bankEntry(this.bank.bank, rng.int(this.bank.genuine));
            const bits = rng.chance(hb.editedBeyondMatchShare) ? 40 + rng.int(60) : rng.poisson(hb.perturbationBits);
            hash = perturb(source, bits, rng);
          } else {
            hash = randomHash(rng);
          }
          const content = this.image(hash, true);
          let recipient = -1;
          let surface: SurfaceName = 'dm';
          if (population.publicActive.has(offender) && rng.chance(cfg.publicShare)) {
            surface = rng.chance(0.7) ? 'public' : 'profile';
          } else {
            const ring = population.ring.get(offender) ?? [];
            // Mostly to another offender of the network (one whose account exists by now).
            let peer = -1;
            if (ring.length > 0 && rng.chance(cfg.ringShare)) {
              for (let tries = 0; tries < 4 && peer < 0; tries++) {
                const candidate = ring[rng.int(ring.length)] as number;
                if (this.exists(candidate, time)) peer = candidate;
              }
            }
            recipient = peer >= 0 ? peer : this.contactOf(offender, time);
            if (recipient < 0) continue;
          }
          out.push({ envelope: this.envelope(time, offender, recipient, surface, 'image'), content, abusive: type });
        }
      }
    }
  }

  /**
   * Groomers take on new unconnected minors each day and message each for a number of
   * days; the share of abusive messages rises over the conversation.
   */
  private groomers(hour: number, start: number, out: Pending[]): void {
    const { rng, population } = this;
    if (population.minors === 0) return;
    const g = this.scenario.population.offenders.groomers;
    const day = Math.floor(hour / 24);
    for (const groomer of population.groomers) {
      if (!this.exists(groomer, start)) continue;
      let list = this.targets.get(groomer);
      if (!list) {
        list = [];
        this.targets.set(groomer, list);
      }
      if (hour % 24 === 0) {
        const fresh = rng.poisson(g.newTargetsPerDay);
        for (let i = 0; i < fresh; i++) {
          const minor = this.unconnectedMinor(groomer, start);
          if (minor >= 0) list.push({ minor, firstDay: day, lastDay: day + g.conversationDays - 1 });
        }
      }
      for (let i = list.length - 1; i >= 0; i--) if ((list[i] as GroomingTarget).lastDay < day) list.splice(i, 1);
      for (const target of list) {
        const k = rng.poisson(g.messagesPerTargetPerDay / 24);
        const progress = g.conversationDays > 1 ? (day - target.firstDay) / (g.conversationDays - 1) : 1;
        const share = g.escalation.startShare + (g.escalation.endShare - g.escalation.startShare) * progress;
        for (let i = 0; i < k; i++) {
          const abusive = rng.chance(share);
          const content = abusive && rng.chance(g.imageShare) ? this.image(randomHash(rng), true) : this.text(abusive);
          out.push({
            envelope: this.envelope(this.timeIn(start), groomer, target.minor, 'dm', content.media),
            content,
            abusive: abusive ? 'grooming' : null,
          });
        }
      }
    }
  }

  /** Teachers and coaches: innocent adults who message the minors of their class. */
  private mentors(start: number, out: Pending[]): void {
    const { rng, population } = this;
    const m = this.scenario.population.lookalikes.mentors;
    for (const mentor of population.mentors) {
      const cls = population.classes.get(mentor) ?? [];
      if (cls.length === 0) continue;
      const k = rng.poisson(m.messagesPerDay / 24);
      for (let i = 0; i < k; i++) {
        const minor = cls[rng.int(cls.length)] as number;
        const content = rng.chance(m.imageShare) ? this.benignImage() : this.text(false);
        const time = this.timeIn(start);
        if (!this.exists(minor, time)) continue;
        out.push({ envelope: this.envelope(time, mentor, minor, 'dm', content.media), content, abusive: null });
      }
    }
  }

  private innocentBlocks(start: number): void {
    const { rng, population } = this;
    const n = rng.poisson((population.users * this.scenario.traffic.blocksPerUserPerMonth) / 30 / 24);
    for (let i = 0; i < n; i++) {
      const blocker = rng.int(population.users);
      const blocked = this.anyOther(blocker);
      const t = this.timeIn(start);
      if (population.isOffender(blocker) || !this.exists(blocker, t) || !this.exists(blocked, t)) continue;
      this.schedule({ type: 'block', t, blocker, blocked });
    }
  }

  /**
   * Forged reports: a malicious user reports an innocent account with fabricated
   * content. The forger can commit to the content but cannot produce the platform's
   * countersignature, so franking exposes the forgery.
   */
  private forgedReports(start: number): void {
    const { rng, population, scenario } = this;
    const u = scenario.detection.userReports;
    // The same draws whatever the settings, so switching franking or the report route
    // off changes nothing else in the world.
    const n = rng.poisson(u.forgedPerDay / 24);
    for (let i = 0; i < n; i++) {
      const forger = rng.int(population.users);
      const target = this.anyOther(forger);
      const t = this.timeIn(start);
      const content = encodeContent(this.image(randomHash(rng), true));
      const key = rng.fill(new Uint8Array(32));
      const fakeTag = rng.fill(new Uint8Array(32));
      const messageId = Math.max(0, this.nextId - 1 - rng.int(Math.max(1, this.nextId)));
      const sentAt = Math.max(0, t - rng.exponential(HOUR));
      if (population.isOffender(forger) || population.isOffender(target) || !this.exists(forger, t) || !this.exists(target, t)) continue;
      this.schedule({
        type: 'forged',
        t,
        report: {
          messageId,
          t,
          reporter: forger,
          reported: target,
          recipient: forger,
          sentAt,
          surface: 'dm',
          content,
          frankingKey: u.franking ? key : EMPTY,
          commitment: u.franking ? commit(key, content) : EMPTY,
          tag: u.franking ? fakeTag : EMPTY,
        },
      });
    }
  }

  // --- delivery -------------------------------------------------------------------------

  /**
   * Time order is fixed: give the message its id, its client-side scanning voucher and
   * its place in its conversation (its nonce), count it, and schedule reactions. Its
   * sealing (franking, encryption) is left to a Sealer: it depends on nothing else.
   */
  private finish(p: Pending): Unsealed {
    const { scenario } = this;
    const e = p.envelope;
    e.id = this.nextId++;
    const plain = encodeContent(p.content);
    let voucher: Uint8Array | null = null;
    if (p.content.media === 'image' && this.cssSurfaces.has(e.surface)) {
      const hm = scenario.detection.hashMatching;
      const css = scenario.detection.clientSideScanning;
      const match = p.content.quality >= hm.minQuality ? this.clientMatch(p.content.hash, hm.matchDistance) : null;
      const client = this.clients.voucherClient(css.threshold);
      voucher = encodeVoucher(client.voucherFor(e.sender, match ? bankEntry(this.bank.bank, match.index) : null, plain));
    }
    const conversation = e.encrypted ? this.conversation(e) : 0;
    const nonce = e.encrypted ? this.clients.nextNonce(conversation) : 0;
    e.size = this.nominalSize(e.media) + sealedOverhead(scenario.detection.userReports.franking, e.encrypted);

    const ledger = this.ledger;
    ledger.messages++;
    if (e.encrypted) ledger.encrypted++;
    // Privacy exposure: private messages (DMs) of innocent users that the platform can read.
    if (e.surface === 'dm' && !this.population.isOffender(e.sender) && !e.encrypted) {
      ledger.privacy.readableInnocentMessages++;
      this.innocentReadable[e.sender] = 1;
    }
    if (p.abusive) {
      ledger.abusiveMessages[p.abusive]++;
      ledger.abusiveIds[p.abusive].push(e.id);
      if (e.encrypted) ledger.abusiveEncrypted++;
      if (!this.firstAbuseSeen.has(e.sender)) {
        this.firstAbuseSeen.add(e.sender);
        ledger.firstAbuse.push([e.sender, e.t]);
      }
      this.react(e, plain);
    }
    return { envelope: e, plain, conversation, nonce, voucher };
  }

  /**
   * What the recipient's client keeps of a message to report it: the plaintext and,
   * with franking, the message's franking key, the sender's commitment and the
   * platform's countersignature from delivery. The same bytes the Sealer and the relay
   * produce (both are functions of the keys and the message); worked out only for
   * messages that are reported, since nothing else ever reads them.
   */
  private delivered(e: Envelope, plain: Uint8Array): Delivered {
    if (!this.scenario.detection.userReports.franking) return { envelope: e, plain, frankingKey: EMPTY, commitment: EMPTY, tag: EMPTY };
    const frankingKey = this.clients.frankingKey(e.id);
    const commitment = commit(frankingKey, plain);
    const tag = countersign(this.options.platformKey, commitment, { messageId: e.id, sender: e.sender, recipient: e.recipient, t: e.t });
    return { envelope: e, plain, frankingKey, commitment, tag };
  }

  /**
   * Recipients of abuse react: non-offenders may report it, minors may block the sender.
   * Users report whether or not the platform acts on reports (detection.userReports.enabled).
   */
  private react(e: Envelope, plain: Uint8Array): void {
    const { reactions: rng, population, scenario } = this;
    const u = scenario.detection.userReports;
    const end = scenario.durationDays * DAY;
    const reporter = this.reporterFor(e);
    if (reporter >= 0 && rng.chance(u.probability)) {
      const t = Math.round((e.t + rng.exponential(u.meanDelayHours * HOUR)) * 1000) / 1000;
      if (t < end) this.schedule({ type: 'report', t, reporter, message: this.delivered(e, plain) });
    }
    if (e.recipient >= 0 && population.isMinor(e.recipient) && rng.chance(u.blockProbability)) {
      const t = Math.round((e.t + rng.exponential(u.meanDelayHours * HOUR)) * 1000) / 1000;
      if (t < end) this.schedule({ type: 'block', t, blocker: e.recipient, blocked: e.sender });
    }
  }

  private emitScheduled(s: Scheduled): StreamEvent {
    const id = this.nextId++;
    if (s.type === 'block') {
      this.ledger.blocks++;
      return { type: 'block', block: { id, t: s.t, blocker: s.blocker, blocked: s.blocked } };
    }
    if (s.type === 'forged') {
      this.ledger.forgedReports++;
      return { type: 'report', report: { ...s.report, id } };
    }
    this.ledger.userReports++;
    const m = s.message;
    return {
      type: 'report',
      report: {
        id,
        messageId: m.envelope.id,
        t: s.t,
        reporter: s.reporter,
        reported: m.envelope.sender,
        recipient: m.envelope.recipient,
        sentAt: m.envelope.t,
        surface: m.envelope.surface,
        content: m.plain,
        frankingKey: m.frankingKey,
        commitment: m.commitment,
        tag: m.tag,
      },
    };
  }

  // --- content ---------------------------------------------------------------------------

  /** A time within the hour, in whole milliseconds (exact through JSON). */
  private timeIn(start: number): number {
    return start + Math.floor(this.rng.next() * 3_600_000) / 1000;
  }

  private draw(d: { mean: number; sd: number }): number {
    return quantize(Math.min(1, Math.max(0, this.rng.normal(d.mean, d.sd))));
  }

  private image(hash: Uint8Array, abusive: boolean): Content {
    const c = this.scenario.content.images;
    const quality = this.rng.chance(c.lowQualityShare) ? this.rng.int(50) : 50 + this.rng.int(51);
    if (abusive) return { media: 'image', hash, quality, score: this.draw(c.abusive.score), look: this.draw(c.abusive.look) };
    const borderline = this.rng.chance(c.borderlineShare);
    return { media: 'image', hash, quality, score: this.draw(borderline ? c.abusive.score : c.benign.score), look: this.draw(c.benign.look) };
  }

  private benignImage(): Content {
    const t = this.scenario.traffic;
    const hash =
      this.rng.chance(t.popularImageShare) && this.popular.size > 0
        ? perturb(bankEntry(this.popular, this.rng.int(this.popular.size)), this.rng.poisson(this.scenario.detection.hashBank.perturbationBits), this.rng)
        : randomHash(this.rng);
    return this.image(hash, false);
  }

  private text(abusive: boolean): Content {
    const c = this.scenario.content.text;
    if (abusive) return { media: 'text', score: this.draw(c.grooming.score), look: this.draw(c.grooming.look) };
    const borderline = this.rng.chance(c.borderlineShare);
    return { media: 'text', score: this.draw(borderline ? c.grooming.score : c.benign.score), look: this.draw(c.benign.look) };
  }

  private envelope(t: number, sender: number, recipient: number, surface: SurfaceName, media: 'image' | 'text'): Envelope {
    const p = this.population;
    return {
      id: -1,
      t,
      surface,
      sender,
      recipient,
      media,
      size: 0,
      encrypted: this.surfaceEncrypted[surface],
      senderMinor: p.isMinor(sender),
      recipientMinor: recipient >= 0 && p.isMinor(recipient),
      connected: recipient >= 0 && p.connected(sender, recipient),
      senderAccountAgeDays: Math.round(((t - (p.createdAt[sender] as number)) / DAY) * 100) / 100,
    };
  }

  private nominalSize(media: 'image' | 'text'): number {
    const mean = media === 'image' ? IMAGE_SIZE_MEAN : TEXT_SIZE_MEAN;
    return Math.max(1, Math.round(this.rng.exponential(mean)));
  }

  /** A conversation id: the unordered pair for DMs, the author and surface for public ones. */
  private conversation(e: Envelope): number {
    const users = this.population.users;
    if (e.recipient < 0) return -(e.sender + 1) * 4 - (e.surface === 'public' ? 1 : 2);
    return e.sender < e.recipient ? e.sender * users + e.recipient : e.recipient * users + e.sender;
  }

  private exists(account: number, t: number): boolean {
    return (this.population.createdAt[account] as number) <= t;
  }

  /** A random account that exists at time t (a few tries), or -1. */
  private activeAccount(t: number): number {
    for (let i = 0; i < 4; i++) {
      const a = this.rng.int(this.population.users);
      if (this.exists(a, t)) return a;
    }
    return -1;
  }

  /** A contact of `sender` whose account exists at time t (a few tries), or -1. */
  private contactOf(sender: number, t: number): number {
    const contacts = this.population.contacts[sender] as Int32Array;
    for (let i = 0; i < 4; i++) {
      const c = contacts.length === 0 ? this.anyOther(sender) : (contacts[this.rng.int(contacts.length)] as number);
      if (this.exists(c, t)) return c;
    }
    return -1;
  }

  /** Mostly a contact; sometimes someone who is not. The account exists at time t, or -1. */
  private ordinaryRecipient(sender: number, t: number): number {
    const contacts = this.population.contacts[sender] as Int32Array;
    if (contacts.length === 0 || this.rng.chance(this.scenario.traffic.unconnectedShare)) {
      for (let i = 0; i < 8; i++) {
        const other = this.anyOther(sender);
        if (!this.population.connected(sender, other) && this.exists(other, t)) return other;
      }
    }
    return this.contactOf(sender, t);
  }

  private anyOther(sender: number, rng: Random = this.rng): number {
    const users = this.population.users;
    const other = rng.int(users - 1);
    return other >= sender ? other + 1 : other;
  }

  private unconnectedMinor(groomer: number, t: number): number {
    const p = this.population;
    for (let i = 0; i < 16; i++) {
      const minor = p.adults + this.rng.int(p.minors);
      if (!p.connected(groomer, minor) && this.exists(minor, t)) return minor;
    }
    return -1;
  }

  /** Who would report an abusive message: its recipient, or for a public one a viewer. Offenders never report. */
  private reporterFor(e: Envelope): number {
    const p = this.population;
    if (e.recipient >= 0) return p.kind[e.recipient] === Kind.Ordinary || p.kind[e.recipient] === Kind.Mentor ? e.recipient : -1;
    for (let i = 0; i < 8; i++) {
      const viewer = this.anyOther(e.sender, this.reactions);
      if (!p.isOffender(viewer) && this.exists(viewer, e.t)) return viewer;
    }
    return -1;
  }
}
