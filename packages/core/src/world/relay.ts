/**
 * The platform's delivery relay, and what a recipient's client keeps of a message it
 * received. With franking the relay countersigns the sender's commitment with the
 * platform key, binding it to the message's id, accounts and time; the recipient keeps
 * the plaintext, the message's franking key, the commitment and that countersignature,
 * which is what a report hands over.
 */
import { commit, countersign } from '../franking';
import type { Envelope } from '../types';
import type { Clients } from './clients';

/** A delivered message, as the recipient's client keeps it (for reporting). */
export interface Delivered {
  envelope: Envelope;
  plain: Uint8Array;
  frankingKey: Uint8Array;
  commitment: Uint8Array;
  tag: Uint8Array;
}

const EMPTY: Uint8Array = new Uint8Array(0);

export class Relay {
  constructor(
    private readonly clients: Clients,
    private readonly platformKey: Uint8Array,
    private readonly franking: boolean,
  ) {}

  /**
   * What the recipient keeps of message `e` with plaintext `plain`: the same bytes the
   * Sealer and the relay produce (both are functions of the keys and the message), worked
   * out only for messages that are reported, since nothing else ever reads them.
   */
  delivered(e: Envelope, plain: Uint8Array): Delivered {
    if (!this.franking) return { envelope: e, plain, frankingKey: EMPTY, commitment: EMPTY, tag: EMPTY };
    const frankingKey = this.clients.frankingKey(e.id);
    const commitment = commit(frankingKey, plain);
    const tag = countersign(this.platformKey, commitment, { messageId: e.id, sender: e.sender, recipient: e.recipient, t: e.t });
    return { envelope: e, plain, frankingKey, commitment, tag };
  }
}
