/**
 * The users' clients: the only holders of conversation keys, franking keys and
 * client-side-scanning secrets. All of them derive from one per-run client secret that
 * the clients (the generator) hold; nothing else is ever given it. Deriving rather than
 * drawing keeps a run reproducible when a crashed generator regenerates it. Every
 * message gets its own nonce (a per-key counter), as a real AES-GCM deployment must.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, sealGcm } from '../aead';
import { frankingKeyFor } from '../franking';
import { FIELD_PRIME, VoucherClient } from '../css';

export const NONCE_BYTES = GCM_NONCE_BYTES;
export const TAG_BYTES = GCM_TAG_BYTES;
export const CLIENT_SECRET_BYTES = 32;

/** A fresh client secret for a run, from the operating system's random source. */
export function newClientSecret(): Uint8Array {
  return new Uint8Array(randomBytes(CLIENT_SECRET_BYTES));
}

interface ConversationKey {
  key: Buffer;
  counter: number;
}

export class Clients {
  private readonly keys = new Map<number, ConversationKey>();
  private readonly franking: Uint8Array;
  private readonly conversations: Uint8Array;
  private readonly scanning: Uint8Array;
  private vouchers: VoucherClient | undefined;

  constructor(secret: Uint8Array) {
    if (secret.length !== CLIENT_SECRET_BYTES) throw new RangeError(`client secret must be ${CLIENT_SECRET_BYTES} bytes`);
    this.franking = this.derive(secret, 'franking');
    this.conversations = this.derive(secret, 'conversations');
    this.scanning = this.derive(secret, 'client-side-scanning');
  }

  private derive(key: Uint8Array, label: string): Uint8Array {
    return new Uint8Array(createHmac('sha256', key).update(label).digest());
  }

  /** Number of conversation keys the clients hold. */
  get keyCount(): number {
    return this.keys.size;
  }

  /** The per-message franking key of message `id`. */
  frankingKey(id: number): Uint8Array {
    return frankingKeyFor(this.franking, id);
  }

  /** The client-side scanning half of the clients, with per-account secrets derived from the client secret. */
  voucherClient(threshold: number): VoucherClient {
    this.vouchers ??= new VoucherClient(threshold, (account, index) => {
      const digest = createHmac('sha256', this.scanning).update(`${account}:${index}`).digest();
      return BigInt(`0x${digest.subarray(0, 16).toString('hex')}`) % FIELD_PRIME;
    });
    return this.vouchers;
  }

  /**
   * Encrypts `plaintext` for a conversation with AES-256-GCM.
   * Returns nonce ‖ ciphertext ‖ tag.
   */
  encrypt(conversation: number, plaintext: Uint8Array): Uint8Array {
    let entry = this.keys.get(conversation);
    if (!entry) {
      entry = { key: createHmac('sha256', this.conversations).update(String(conversation)).digest(), counter: 0 };
      this.keys.set(conversation, entry);
    }
    const nonce = Buffer.alloc(NONCE_BYTES);
    entry.counter++;
    nonce.writeUIntBE(entry.counter, NONCE_BYTES - 6, 6);
    return sealGcm(entry.key, nonce, plaintext);
  }
}
