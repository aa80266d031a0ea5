/**
 * The users' clients: the only holders of conversation keys. Keys come from the
 * operating system's random source, so nothing outside this object (not the seed, not
 * Redis, not another process) can derive them. Every message gets its own nonce (a
 * per-key counter), as a real AES-GCM deployment must.
 */
import { createCipheriv, randomBytes } from 'node:crypto';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

interface ConversationKey {
  key: Buffer;
  counter: number;
}

export class Clients {
  private readonly keys = new Map<number, ConversationKey>();

  /** Number of conversation keys the clients hold. */
  get keyCount(): number {
    return this.keys.size;
  }

  /**
   * Encrypts `plaintext` for a conversation with AES-256-GCM.
   * Returns nonce ‖ ciphertext ‖ tag.
   */
  encrypt(conversation: number, plaintext: Uint8Array): Uint8Array {
    let entry = this.keys.get(conversation);
    if (!entry) {
      entry = { key: randomBytes(32), counter: 0 };
      this.keys.set(conversation, entry);
    }
    const nonce = Buffer.alloc(NONCE_BYTES);
    entry.counter++;
    nonce.writeUIntBE(entry.counter, NONCE_BYTES - 6, 6);
    const cipher = createCipheriv('aes-256-gcm', entry.key, nonce);
    const body = cipher.update(plaintext);
    const rest = cipher.final();
    const tag = cipher.getAuthTag();
    const out = new Uint8Array(NONCE_BYTES + body.length + rest.length + TAG_BYTES);
    out.set(nonce, 0);
    out.set(body, NONCE_BYTES);
    out.set(rest, NONCE_BYTES + body.length);
    out.set(tag, NONCE_BYTES + body.length + rest.length);
    return out;
  }
}
