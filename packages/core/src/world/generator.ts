/**
 * The generator: plays the platform's users and their clients. It walks simulated time
 * hour by hour, produces messages (ordinary traffic plus what each offender archetype
 * does), encrypts DMs on an e2ee surface, schedules the user reports recipients make,
 * and cuts the time-ordered stream into batches. Ground truth goes to the ledger only.
 *
 * Deterministic: the same scenario yields the same batches (apart from ciphertext
 * bytes, whose keys are random by design and never influence a result).
 */
import type { Scenario } from '../scenario';
import type { Batch, Envelope, Message, SurfaceName, UserReport, Content } from '../types';
import { DAY, HOUR } from '../types';
import { Random } from '../random';
import { bankEntry, buildBank, perturb, randomHash, type HashBank } from '../hash';
import { encodeContent, quantizeLook } from '../content';
import { buildPopulation, Kind, type Population } from './population';
import { Clients } from './clients';
import { emptyLedger, type Ledger } from './ledger';

export interface GenerateOptions {
  run: string;
  /** Events (messages + user reports) per batch; results do not depend on it. */
  batchSize: number;
}

interface Pending {
  envelope: Envelope;
  content: Content;
  abusive: 'knownImage' | 'grooming' | null;
}

interface GroomingTarget {
  minor: number;
  lastDay: number;
}

const IMAGE_SIZE_MEAN = 180_000;
const TEXT_SIZE_MEAN = 60;

export class WorldGenerator {
  readonly population: Population;
  readonly bank: HashBank;
  readonly ledger: Ledger = emptyLedger();
  private readonly clients = new Clients();
  private readonly rng: Random;
  private readonly targets = new Map<number, GroomingTarget[]>();
  private pendingReports: UserReport[] = [];
  private nextMessageId = 0;

  constructor(
    private readonly scenario: Scenario,
    private readonly options: GenerateOptions,
  ) {
    this.population = buildPopulation(scenario);
    this.bank = buildBank(scenario.seed, scenario.detection.hashBank.size);
    this.rng = Random.derive(scenario.seed, 'traffic');
    this.ledger.offenders.sharer = [...this.population.sharers];
    this.ledger.offenders.groomer = [...this.population.groomers];
    if (!(options.batchSize >= 1)) throw new RangeError('batchSize must be at least 1');
  }

  /** Number of conversation keys the clients hold (for tests and diagnostics). */
  get keyCount(): number {
    return this.clients.keyCount;
  }

  /**
   * Yields the run's batches in simulated-time order. The last one has `final: true`;
   * by the time it is yielded the ledger is complete.
   */
  *batches(): Generator<Batch> {
    const hours = this.scenario.durationDays * 24;
    let seq = 0;
    let messages: Message[] = [];
    let reports: UserReport[] = [];
    for (let hour = 0; hour < hours; hour++) {
      const events = this.generateHour(hour);
      // Merge this hour's messages and due reports in time order (messages first on ties).
      let r = 0;
      const due = events.reports;
      for (const m of events.messages) {
        while (r < due.length && (due[r] as UserReport).t < m.envelope.t) {
          reports.push(due[r++] as UserReport);
          if (messages.length + reports.length >= this.options.batchSize) {
            yield { run: this.options.run, seq: seq++, final: false, messages, reports };
            messages = [];
            reports = [];
          }
        }
        messages.push(m);
        if (messages.length + reports.length >= this.options.batchSize) {
          yield { run: this.options.run, seq: seq++, final: false, messages, reports };
          messages = [];
          reports = [];
        }
      }
      while (r < due.length) {
        reports.push(due[r++] as UserReport);
        if (messages.length + reports.length >= this.options.batchSize) {
          yield { run: this.options.run, seq: seq++, final: false, messages, reports };
          messages = [];
          reports = [];
        }
      }
    }
    // Whatever is left, flagged final (possibly empty): end of stream for every stage.
    yield { run: this.options.run, seq, final: true, messages, reports };
  }

  private generateHour(hour: number): { messages: Message[]; reports: UserReport[] } {
    const { scenario, rng, population } = this;
    const start = hour * HOUR;
    const pending: Pending[] = [];
    const day = Math.floor(hour / 24);

    // Ordinary traffic: every user, offenders included, sends ordinary messages.
    const lambda = (population.users * scenario.traffic.messagesPerUserPerDay) / 24;
    const n = rng.poisson(lambda);
    for (let i = 0; i < n; i++) {
      const sender = rng.int(population.users);
      const t = this.timeIn(start);
      const isPublic = rng.chance(scenario.traffic.publicPostShare);
      const recipient = isPublic ? -1 : this.ordinaryRecipient(sender);
      const image = rng.chance(scenario.traffic.mediaShare);
      const look = this.look(false);
      const content: Content = image ? { media: 'image', hash: randomHash(rng), look } : { media: 'text', look };
      pending.push({ envelope: this.envelope(t, sender, recipient, content.media), content, abusive: null });
    }

    // Sharers: re-shares of known (bank) images, lightly edited.
    const { sharers: sc, groomers: gc } = scenario.population.offenders;
    const hb = scenario.detection.hashBank;
    for (const sharer of population.sharers) {
      const k = rng.poisson(sc.abusiveImagesPerDay / 24);
      for (let i = 0; i < k; i++) {
        const t = this.timeIn(start);
        const source = bankEntry(this.bank, rng.int(this.bank.size));
        const bits = rng.chance(hb.editedBeyondMatchShare) ? 40 + rng.int(60) : rng.poisson(hb.perturbationBits);
        const content: Content = { media: 'image', hash: perturb(source, bits, rng), look: this.look(true) };
        let recipient = -1;
        if (!(population.publicPosters.has(sharer) && rng.chance(sc.publicPostProbability))) {
          const ring = population.ring.get(sharer) ?? [];
          recipient =
            ring.length > 0 && rng.chance(sc.ringShare) ? (ring[rng.int(ring.length)] as number) : this.contactOf(sharer);
        }
        pending.push({ envelope: this.envelope(t, sharer, recipient, 'image'), content, abusive: 'knownImage' });
      }
    }

    // Groomers: each day they take on new unconnected minors, then message each
    // target for a number of days; some of those messages are abusive.
    if (population.minors > 0) {
      for (const groomer of population.groomers) {
        let list = this.targets.get(groomer);
        if (!list) {
          list = [];
          this.targets.set(groomer, list);
        }
        if (hour % 24 === 0) {
          const fresh = rng.poisson(gc.newTargetsPerDay);
          for (let i = 0; i < fresh; i++) {
            const minor = this.unconnectedMinor(groomer);
            if (minor >= 0) list.push({ minor, lastDay: day + gc.conversationDays - 1 });
          }
        }
        for (let i = list.length - 1; i >= 0; i--) {
          if ((list[i] as GroomingTarget).lastDay < day) list.splice(i, 1);
        }
        for (const target of list) {
          const k = rng.poisson(gc.messagesPerTargetPerDay / 24);
          for (let i = 0; i < k; i++) {
            const abusive = rng.chance(gc.abusiveShare);
            const content: Content = { media: 'text', look: this.look(abusive) };
            pending.push({
              envelope: this.envelope(this.timeIn(start), groomer, target.minor, 'text'),
              content,
              abusive: abusive ? 'grooming' : null,
            });
          }
        }
      }
    }

    // Time order; ids follow it. Array.prototype.sort is stable, so ties keep draw order.
    pending.sort((a, b) => a.envelope.t - b.envelope.t);
    const messages: Message[] = new Array(pending.length);
    const end = this.scenario.durationDays * DAY;
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i] as Pending;
      p.envelope.id = this.nextMessageId++;
      const plain = encodeContent(p.content);
      const payload = p.envelope.encrypted ? this.clients.encrypt(this.conversation(p.envelope), plain) : plain;
      p.envelope.size = this.nominalSize(p.envelope.media) + (payload.length - plain.length);
      messages[i] = { envelope: p.envelope, payload };
      this.ledger.messages++;
      if (p.envelope.encrypted) this.ledger.encrypted++;
      if (p.abusive) {
        this.ledger.abusiveMessages[p.abusive]++;
        if (p.envelope.encrypted) this.ledger.abusiveEncrypted++;
        const reporter = this.reporterFor(p.envelope);
        if (reporter >= 0 && rng.chance(scenario.detection.userReports.probability)) {
          const t = p.envelope.t + rng.exponential(scenario.detection.userReports.meanDelayHours * HOUR);
          if (t < end) {
            this.pendingReports.push({
              messageId: p.envelope.id,
              t: Math.round(t * 1000) / 1000,
              reporter,
              reported: p.envelope.sender,
              surface: p.envelope.surface,
              content: plain,
            });
          }
        }
      }
    }

    // Reports due before the end of this hour, in time order.
    const hourEnd = start + HOUR;
    const due: UserReport[] = [];
    const later: UserReport[] = [];
    for (const r of this.pendingReports) (r.t < hourEnd ? due : later).push(r);
    this.pendingReports = later;
    due.sort((a, b) => a.t - b.t || a.messageId - b.messageId);
    this.ledger.userReports += due.length;
    return { messages, reports: due };
  }

  /** A time within the hour, in whole milliseconds (exact through JSON). */
  private timeIn(start: number): number {
    return start + Math.floor(this.rng.next() * 3_600_000) / 1000;
  }

  private look(abusive: boolean): number {
    const { mean, sd } = abusive ? this.scenario.content.abusive : this.scenario.content.benign;
    return quantizeLook(Math.min(1, Math.max(0, this.rng.normal(mean, sd))));
  }

  private envelope(t: number, sender: number, recipient: number, media: 'image' | 'text'): Envelope {
    const surface: SurfaceName = recipient < 0 ? 'public' : 'dm';
    const enc =
      surface === 'dm' ? this.scenario.surfaces.directMessages.encryption : this.scenario.surfaces.publicPosts.encryption;
    const p = this.population;
    return {
      id: -1,
      t,
      surface,
      sender,
      recipient,
      media,
      size: 0,
      encrypted: enc === 'e2ee',
      senderMinor: p.isMinor(sender),
      recipientMinor: recipient >= 0 && p.isMinor(recipient),
      connected: recipient >= 0 && p.connected(sender, recipient),
    };
  }

  private nominalSize(media: 'image' | 'text'): number {
    const mean = media === 'image' ? IMAGE_SIZE_MEAN : TEXT_SIZE_MEAN;
    return Math.max(1, Math.round(this.rng.exponential(mean)));
  }

  /** A conversation id: the unordered pair for DMs, the author for public posts. */
  private conversation(e: Envelope): number {
    const users = this.population.users;
    if (e.recipient < 0) return -(e.sender + 1);
    return e.sender < e.recipient ? e.sender * users + e.recipient : e.recipient * users + e.sender;
  }

  private contactOf(sender: number): number {
    const contacts = this.population.contacts[sender] as Int32Array;
    if (contacts.length === 0) return this.anyOther(sender);
    return contacts[this.rng.int(contacts.length)] as number;
  }

  private ordinaryRecipient(sender: number): number {
    const contacts = this.population.contacts[sender] as Int32Array;
    if (contacts.length === 0 || this.rng.chance(this.scenario.traffic.unconnectedShare)) {
      for (let i = 0; i < 8; i++) {
        const other = this.anyOther(sender);
        if (!this.population.connected(sender, other)) return other;
      }
    }
    return this.contactOf(sender);
  }

  private anyOther(sender: number): number {
    const users = this.population.users;
    const other = this.rng.int(users - 1);
    return other >= sender ? other + 1 : other;
  }

  private unconnectedMinor(groomer: number): number {
    const p = this.population;
    for (let i = 0; i < 16; i++) {
      const minor = p.adults + this.rng.int(p.minors);
      if (!p.connected(groomer, minor)) return minor;
    }
    return -1;
  }

  /** Who would report an abusive message: its recipient, or for a public post a viewer. Offenders never report. */
  private reporterFor(e: Envelope): number {
    const p = this.population;
    if (e.recipient >= 0) return p.kind[e.recipient] === Kind.Ordinary ? e.recipient : -1;
    for (let i = 0; i < 8; i++) {
      const viewer = this.anyOther(e.sender);
      if (p.kind[viewer] === Kind.Ordinary) return viewer;
    }
    return -1;
  }
}
