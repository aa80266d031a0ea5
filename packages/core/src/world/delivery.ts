/**
 * Delivery: where the stream's order is fixed. Each message, in time order, gets its id,
 * its client-side scanning voucher, its place in its conversation (its nonce) and its
 * size, is entered in the ledger, and provokes its recipients' reactions. Its sealing
 * (franking, encryption) is handed to a Sealer, since it depends on nothing else; the
 * Sealer may run on other threads. Reports and blocks take their ids when they enter the
 * stream, from the same counter, so ids order the stream.
 */
import { encodeContent } from '../content';
import type { Scenario } from '../scenario';
import type { Block, Envelope, UserReport } from '../types';
import type { Outgoing } from './actor';
import type { Recipients } from './actors/recipients';
import { type Clients, sealedOverhead, type Unsealed } from './clients';
import type { ContentDraws } from './content-draws';
import type { LedgerBook } from './ledger';
import type { Population } from './population';
import type { Scheduled } from './schedule';
import type { Vouchers } from './vouchers';

/** One event of the stream, as a batch carries it. */
export type StreamEvent = { type: 'message'; message: Unsealed } | { type: 'report'; report: UserReport } | { type: 'block'; block: Block };

export class Delivery {
  private nextId = 0;
  private readonly franking: boolean;

  constructor(
    scenario: Scenario,
    private readonly population: Population,
    private readonly clients: Clients,
    private readonly vouchers: Vouchers,
    private readonly content: ContentDraws,
    private readonly book: LedgerBook,
    private readonly recipients: Recipients,
  ) {
    this.franking = scenario.detection.userReports.franking;
  }

  /** Ids issued so far (messages, reports and blocks in the stream). */
  get issued(): number {
    return this.nextId;
  }

  /** Message `o` enters the stream (messages enter in time order). */
  deliver(o: Outgoing): Unsealed {
    const e = o.envelope;
    e.id = this.nextId++;
    const plain = encodeContent(o.content);
    const voucher = this.vouchers.voucherFor(e, o.content, plain);
    const conversation = e.encrypted ? this.conversation(e) : 0;
    const nonce = e.encrypted ? this.clients.nextNonce(conversation) : 0;
    e.size = this.content.size(e.media) + sealedOverhead(this.franking, e.encrypted);
    this.book.message(e, o.abusive);
    if (o.abusive) this.recipients.react(e, plain);
    return { envelope: e, plain, conversation, nonce, voucher };
  }

  /** Scheduled report or block `s` enters the stream (at its time, after the messages before it). */
  enter(s: Scheduled): StreamEvent {
    const id = this.nextId++;
    if (s.type === 'block') {
      this.book.block();
      return { type: 'block', block: { id, t: s.t, blocker: s.blocker, blocked: s.blocked } };
    }
    if (s.type === 'forged') {
      this.book.forgedReport();
      return { type: 'report', report: { ...s.report, id } };
    }
    this.book.userReport();
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

  /** A conversation id: the unordered pair for DMs, the author and surface for public ones. */
  private conversation(e: Envelope): number {
    const users = this.population.users;
    if (e.recipient < 0) return -(e.sender + 1) * 4 - (e.surface === 'public' ? 1 : 2);
    return e.sender < e.recipient ? e.sender * users + e.recipient : e.recipient * users + e.sender;
  }
}
