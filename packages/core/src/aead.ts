/** AES-256-GCM sealing shared by the clients (DM encryption) and the safety vouchers. */
import { createCipheriv } from 'node:crypto';

export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;

/** AES-256-GCM of `plaintext` under `key` with `nonce` (12 bytes): nonce ‖ ciphertext ‖ tag. */
export function sealGcm(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const body = cipher.update(plaintext);
  const rest = cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(GCM_NONCE_BYTES + body.length + rest.length + GCM_TAG_BYTES);
  out.set(nonce, 0);
  out.set(body, GCM_NONCE_BYTES);
  out.set(rest, GCM_NONCE_BYTES + body.length);
  out.set(tag, GCM_NONCE_BYTES + body.length + rest.length);
  return out;
}
