/**
 * Delivery, in two steps.
 *
 * In its shard, each message, in the shard's time order, gets its client-side scanning
 * voucher, its place in its conversation (its nonce) and its size, and provokes its
 * recipients' reactions: all of it the sender's business, so a shard needs no other.
 *
 * The sequencer then takes the shards' events in stream order (hour by hour, shard by
 * shard) and numbers them: every message, report and block takes the next id from one
 * counter, so ids order the stream. Messages are entered in the ledger as they are
 * numbered, reports take what the recipient's client kept of their message (the relay's
 * countersignature binds the message's id), and forged reports name an earlier id.
 * Sealing (franking, encryption) comes after, in a Sealer, since it depends on nothing
 * else; the Sealer may run on other threads.
 */
import { encodeContent } from '../content';
import type { Scenario } from '../scenario';
import type { Block, Envelope, UserReport } from '../types';
import type { AbuseKind } from '../vocabulary';
import type { Outgoing } from './actor';
import type { Recipients } from './actors/recipients';
import { type Clients, sealedOverhead, type Unsealed } from './clients';
import type { ContentDraws } from './content-draws';
import type { LedgerBook } from './ledger';
import type { Population } from './population';
import type { Relay } from './relay';
import type { Scheduled } from './schedule';
import type { Vouchers } from './vouchers';

/** One event of the stream, as a batch carries it. */
export type StreamEvent = { type: 'message'; message: Unsealed } | { type: 'report'; report: UserReport } | { type: 'block'; block: Block };

/** One event of a shard's hour, before the sequencer numbers it. */
export type ShardEvent = { type: 'message'; message: Unsealed; abusive: AbuseKind | null } | { type: 'scheduled'; scheduled: Scheduled };

/** A shard's delivery: what each of its messages gets before it is numbered. */
export class ShardDelivery {
  private readonly franking: boolean;

  constructor(
    scenario: Scenario,
    private readonly population: Population,
    private readonly clients: Clients,
    private readonly vouchers: Vouchers,
    private readonly content: ContentDraws,
    private readonly recipients: Recipients,
  ) {
    this.franking = scenario.detection.userReports.franking;
  }

  /** Message `o` is delivered (a shard delivers its messages in time order). */
  deliver(o: Outgoing): ShardEvent {
    const e = o.envelope;
    const plain = encodeContent(o.content);
    const voucher = this.vouchers.voucherFor(e, o.content, plain);
    const conversation = e.encrypted ? conversationOf(this.population.users, e) : 0;
    const nonce = e.encrypted ? this.clients.nextNonce(conversation, e.sender, e.recipient) : 0;
    e.size = this.content.size(e.media) + sealedOverhead(this.franking, e.encrypted);
    if (o.abusive) this.recipients.react(e, plain);
    return { type: 'message', message: { envelope: e, plain, conversation, nonce, voucher }, abusive: o.abusive };
  }
}

/** Numbers the shards' events in stream order, and keeps the ledger. */
export class Sequencer {
  private nextId = 0;

  constructor(
    private readonly book: LedgerBook,
    private readonly relay: Relay,
  ) {}

  /** Ids issued so far (messages, reports and blocks in the stream). */
  get issued(): number {
    return this.nextId;
  }

  /** Numbering goes on from `id` (a sequencer that numbers only some shards' events, told where each shard-hour starts). */
  at(id: number): void {
    this.nextId = id;
  }

  /** The next event of the stream takes its id. */
  number(event: ShardEvent): StreamEvent {
    if (event.type === 'message') {
      const e = event.message.envelope;
      e.id = this.nextId++;
      this.book.message(e, event.abusive);
      return { type: 'message', message: event.message };
    }
    return this.enter(event.scheduled);
  }

  /** Scheduled report or block `s` enters the stream. */
  private enter(s: Scheduled): StreamEvent {
    const id = this.nextId++;
    if (s.type === 'block') {
      this.book.block();
      return { type: 'block', block: { id, t: s.t, blocker: s.blocker, blocked: s.blocked } };
    }
    if (s.type === 'forged') {
      this.book.forgedReport();
      // One of the ids issued before this one (0 when there are none).
      const messageId = Math.max(0, id - 1 - Math.floor(s.pick * Math.max(1, id)));
      return { type: 'report', report: { ...s.report, messageId, id } };
    }
    this.book.userReport();
    const m = this.relay.delivered(s.envelope, s.plain);
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
}

/** A conversation id: the unordered pair for DMs, the author and surface for public ones. */
export function conversationOf(users: number, e: Envelope): number {
  if (e.recipient < 0) return -(e.sender + 1) * 4 - (e.surface === 'public' ? 1 : 2);
  return e.sender < e.recipient ? e.sender * users + e.recipient : e.recipient * users + e.sender;
}
