/**
 * Delivery, in two steps.
 *
 * In its shard, each message, in the shard's time order, gets its client-side scanning
 * voucher, its place in its conversation (its nonce) and its size, and provokes its
 * recipients' reactions: all of it the sender's business, so a shard needs no other.
 *
 * The sequencer then numbers a shard-hour's events: every message, report and block
 * takes the next id of the shard-hour (see eventId), so ids order the stream. Messages
 * are entered in the ledger as they are numbered, reports take what the recipient's
 * client kept of their message (the relay's countersignature binds the message's id),
 * and forged reports name an earlier id of their shard. A sequencer may number any
 * shards, in any order of shards, each shard's hours in order.
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
import { eventId } from '../shards';
import type { Vouchers } from './vouchers';

/** One event of the stream, as a batch carries it. */
/** The plaintext handed to the reactions of a message on another platform, whose reports are dropped. */
const EMPTY = new Uint8Array(0);

export type StreamEvent = { type: 'message'; message: Unsealed } | { type: 'report'; report: UserReport } | { type: 'block'; block: Block };

/** Puts a numbered event in the list of its kind (a batch's messages, reports or blocks). */
export function addEvent(to: { messages: Unsealed[]; reports: UserReport[]; blocks: Block[] }, event: StreamEvent): void {
  if (event.type === 'message') to.messages.push(event.message);
  else if (event.type === 'report') to.reports.push(event.report);
  else to.blocks.push(event.block);
}

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

  /**
   * Message `o` is on another platform than the run's (platforms.ts): it is sent, and its
   * recipients react, with the draws delivery would make, but it takes no place in the
   * run's stream, so needs no id, voucher, nonce or plaintext (the reactions it provokes are
   * on its platform too, and dropped when they fall due).
   */
  pass(o: Outgoing): void {
    const e = o.envelope;
    this.content.size(e.media);
    if (o.abusive) this.recipients.react(e, EMPTY);
  }

  /**
   * Message `o` is refused (a protection stops it: it is never sent). It still takes its
   * size draw, the one draw delivery makes from the traffic stream, so every later draw
   * of the shard is where it would be had the message been sent.
   */
  refuse(o: Outgoing): void {
    this.content.size(o.envelope.media);
  }
}

/** Numbers shard-hours' events, and keeps the ledger (of the shards it numbers). */
export class Sequencer {
  private hour = 0;
  private shard = 0;
  private next = 0;
  /**
   * Per shard numbered, its events before each of its hours: before[s][h], and at
   * [hour + 1] the count so far including the current hour (for forged reports' ids).
   */
  private readonly before = new Map<number, number[]>();
  /** The current shard's. */
  private past: number[] = [0, 0];

  constructor(
    private readonly book: LedgerBook,
    private readonly relay: Relay,
  ) {}

  /** Numbering goes on with `shard`'s events of `hour` (each shard's hours in order). */
  begin(hour: number, shard: number): void {
    let past = this.before.get(shard);
    if (!past) this.before.set(shard, (past = [0]));
    // Hours not begun (none of their events numbered) count none.
    if (past.length - 1 > hour) throw new RangeError(`shard ${shard}: hour ${hour} numbered after a later one`);
    while (past.length - 1 <= hour) past.push(past[past.length - 1] as number);
    this.past = past;
    this.hour = hour;
    this.shard = shard;
    this.next = 0;
  }

  /** The next event of the shard-hour takes its id. */
  number(event: ShardEvent): StreamEvent {
    const id = eventId(this.hour, this.shard, this.next++);
    this.past[this.hour + 1] = (this.past[this.hour + 1] as number) + 1;
    if (event.type === 'message') {
      const e = event.message.envelope;
      e.id = id;
      this.book.message(e, event.abusive);
      return { type: 'message', message: event.message };
    }
    return this.enter(event.scheduled, id);
  }

  /** One of the ids the current shard issued before its `issued`-th event in the run (uniform, from `pick` in [0, 1)); 0 when none. */
  private earlierId(pick: number): number {
    const past = this.past;
    const issued = (past[this.hour + 1] as number) - 1;
    if (issued <= 0) return 0;
    const at = Math.floor(pick * issued);
    // The hour holding the at-th event: the last h with past[h] <= at.
    let lo = 0;
    let hi = this.hour;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if ((past[mid] as number) <= at) lo = mid;
      else hi = mid - 1;
    }
    return eventId(lo, this.shard, at - (past[lo] as number));
  }

  /** Scheduled report or block `s` enters the stream, as event `id`. */
  private enter(s: Scheduled, id: number): StreamEvent {
    if (s.type === 'block') {
      this.book.block();
      return { type: 'block', block: { id, t: s.t, blocker: s.blocker, blocked: s.blocked } };
    }
    if (s.type === 'forged') {
      this.book.forgedReport();
      const messageId = this.earlierId(s.pick);
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
