/**
 * The users' clients: the only holders of conversation keys, franking keys and
 * client-side-scanning secrets. All of them derive from one per-run client secret that
 * the clients (the generator) hold; nothing else is ever given it. Deriving rather than
 * drawing keeps a run reproducible when a crashed generator regenerates it. Every
 * message gets its own nonce (a per-key counter), as a real AES-GCM deployment must.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { native, type NativeKernels, type NativeSealer } from '@blindspot/native';
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, sealGcm } from '../aead';
import { COMMITMENT_BYTES, FRANKING_KEY_BYTES, commit, frankingKeyFor, frankingKeysFor } from '../franking';
import type { Envelope, Message } from '../types';
import { FIELD_PRIME, VoucherClient } from '../css';
import { mixKey } from '../tables';
import { type Accounts, NonceCounters, type SharedCounters } from './nonces';

export const NONCE_BYTES = GCM_NONCE_BYTES;
export const TAG_BYTES = GCM_TAG_BYTES;
export const CLIENT_SECRET_BYTES = 32;

/** A fresh client secret for a run, from the operating system's random source. */
export function newClientSecret(): Uint8Array {
  return new Uint8Array(randomBytes(CLIENT_SECRET_BYTES));
}

/** The three secrets the clients derive from the client secret. */
function clientKeys(secret: Uint8Array): { franking: Uint8Array; conversations: Uint8Array; scanning: Uint8Array } {
  if (secret.length !== CLIENT_SECRET_BYTES) throw new RangeError(`client secret must be ${CLIENT_SECRET_BYTES} bytes`);
  const derive = (label: string) => new Uint8Array(createHmac('sha256', secret).update(label).digest());
  return { franking: derive('franking'), conversations: derive('conversations'), scanning: derive('client-side-scanning') };
}

/**
 * A message as its sender's client holds it just before sending: the plaintext, and
 * what sealing needs besides the keys. Which conversation, and the message's place in
 * it (its nonce), are decided in the sender's shard; the sealing itself (franking and
 * encryption) depends on nothing else, so it can run anywhere, in any order.
 */
export interface Unsealed {
  envelope: Envelope;
  plain: Uint8Array;
  /** Conversation id; meaningful when the envelope says encrypted. */
  conversation: number;
  /** The message's counter in its conversation (unique within it, from 1; see NonceCounters), which makes its nonce; 0 when not encrypted. */
  nonce: number;
  voucher: Uint8Array | null;
}

/** Bytes sealing adds to a plaintext: the franking key inside, and AES-GCM's nonce and tag around it. */
export function sealedOverhead(franking: boolean, encrypted: boolean): number {
  return (franking ? FRANKING_KEY_BYTES : 0) + (encrypted ? NONCE_BYTES + TAG_BYTES : 0);
}

/** Conversation keys a sealer keeps (32 bytes each): 128 KB, however many conversations there are. */
const KEY_CACHE_SLOTS = 4096;

/**
 * A sealer's conversation keys, direct-mapped: each conversation has one slot (by its
 * hash), and a key is derived again when another conversation took its slot since. The
 * same key either way; bounded memory where a Map of every conversation's key would
 * pass 2^24 entries.
 */
class KeyCache {
  private readonly ids = new Float64Array(KEY_CACHE_SLOTS).fill(Number.NaN);
  private readonly keys = new Uint8Array(KEY_CACHE_SLOTS * 32);

  /** The key of `conversation` (a view, valid until the next call), from `derive` when not held. */
  get(conversation: number, derive: () => Uint8Array): Uint8Array {
    const slot = mixKey(conversation >= 0 ? 2 * conversation : -2 * conversation - 1) % KEY_CACHE_SLOTS;
    const key = this.keys.subarray(slot * 32, slot * 32 + 32);
    if (this.ids[slot] !== conversation) {
      key.set(derive());
      this.ids[slot] = conversation;
    }
    return key;
  }
}

function nonceOf(counter: number): Buffer {
  const nonce = Buffer.alloc(NONCE_BYTES);
  nonce.writeUIntBE(counter, NONCE_BYTES - 6, 6);
  return nonce;
}

/** Largest nonce counter: the nonce's last six bytes. */
const MAX_COUNTER = 2 ** 48 - 1;

/** Which code seals: the native kernel (packages/native/src/seal.c) or its JavaScript twin; the same bytes. */
export type SealKernel = 'native' | 'js';

/** The native kernels, when loaded and built with the sealing kernel (a build from before it lacks sealBatch). */
const kernels: NativeKernels | null = native && typeof native.sealBatch === 'function' ? native : null;

/** The kernel a Sealer uses unless told: native where this machine built it (and BLINDSPOT_NATIVE is not 0). */
export const defaultSealKernel: SealKernel = kernels ? 'native' : 'js';

export interface SealerOptions {
  /** Default defaultSealKernel; 'native' throws where the native kernels were not built. */
  kernel?: SealKernel;
  /** Bound of the native kernel's cache of conversation ciphers (a power of two, at most 16384; default 1024). */
  cacheSlots?: number;
}

/** Checks what a message's sealing reads, alike in both kernels (the native one checks the same). */
function checkPlace(u: Unsealed, frank: boolean): void {
  const { id } = u.envelope;
  if (frank && !(Number.isSafeInteger(id) && id >= 0)) throw new RangeError(`message id ${id} is not a non-negative integer`);
  if (!u.envelope.encrypted) return;
  if (!Number.isSafeInteger(u.conversation)) throw new RangeError(`conversation ${u.conversation} is not an integer`);
  if (!(Number.isInteger(u.nonce) && u.nonce >= 0 && u.nonce <= MAX_COUNTER)) throw new RangeError(`nonce counter ${u.nonce} is not an integer in [0, 2^48)`);
}

/**
 * The clients' sealing: franks a message (a per-message franking key, derived from the
 * client secret; the commitment to the plaintext; the key carried inside the payload)
 * and encrypts it with AES-256-GCM under its conversation's key and its own nonce.
 * A pure function of the client secret and the Unsealed message, so any number of
 * sealers (threads) give the same bytes.
 *
 * A batch is sealed in one call to the native kernel where this machine built it, else
 * by the JavaScript twin below: the same bytes either way (a property test holds them
 * so), the native one ten to twenty times faster.
 */
export class Sealer {
  private readonly keys = new KeyCache();
  private readonly franking: Uint8Array;
  private readonly conversations: Uint8Array;
  /** The native kernel's state, or null when the JavaScript twin seals. */
  private readonly state: NativeSealer | null;
  readonly kernel: SealKernel;

  constructor(
    secret: Uint8Array,
    private readonly frank: boolean,
    options: SealerOptions = {},
  ) {
    const keys = clientKeys(secret);
    this.franking = keys.franking;
    this.conversations = keys.conversations;
    this.kernel = options.kernel ?? defaultSealKernel;
    if (this.kernel === 'native' && !kernels) throw new Error('the native sealing kernel is not built on this machine (or BLINDSPOT_NATIVE=0)');
    this.state = this.kernel === 'native' && kernels ? kernels.sealerNew(keys.franking, keys.conversations, frank, options.cacheSlots) : null;
  }

  private conversationKey(conversation: number): Uint8Array {
    return this.keys.get(conversation, () => createHmac('sha256', this.conversations).update(String(conversation)).digest());
  }

  /** Franks and (when its envelope says so) encrypts `u`: the message as the platform receives it. */
  seal(u: Unsealed): Message {
    return this.sealAll([u])[0] as Message;
  }

  /** The native kernel's conversation cache (its bound, hits and misses), or null under the JavaScript twin. */
  cacheStats(): { slots: number; hits: number; misses: number } | null {
    return this.state && kernels ? kernels.sealerStats(this.state) : null;
  }

  /** Seals a batch: the same bytes as `seal` on each message. */
  sealAll(batch: readonly Unsealed[]): Message[] {
    if (!this.state) return this.sealJs(batch);
    const n = batch.length;
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes += (batch[i] as Unsealed).plain.length;
    // The plaintexts gathered into one buffer: a copy costs less than asking each array where it lies.
    const plain = new Uint8Array(bytes);
    const spans = new Uint32Array(2 * n);
    const encrypted = new Uint8Array(n);
    const places = new Float64Array(2 * n);
    const ids = new Float64Array(n);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const u = batch[i] as Unsealed;
      plain.set(u.plain, at);
      spans[2 * i] = at;
      at += u.plain.length;
      spans[2 * i + 1] = at;
      encrypted[i] = u.envelope.encrypted ? 1 : 0;
      places[2 * i] = u.conversation;
      places[2 * i + 1] = u.nonce;
      ids[i] = u.envelope.id;
    }
    return sealedMessages(batch, (kernels as NativeKernels).sealBatch(this.state, plain, spans, encrypted, places, ids));
  }

  /**
   * Seals messages that carry their plaintext as payload, with [conversation, nonce] of
   * message i at places[2i], places[2i+1] (the sealing pool's wire form): the same bytes
   * as sealAll. Plaintexts that are views into one buffer (a decoded batch) are sealed
   * from there, uncopied.
   */
  sealPlain(messages: readonly Message[], places: Float64Array): Message[] {
    const n = messages.length;
    if (places.length !== 2 * n) throw new RangeError('places must hold a conversation and a nonce counter per message');
    if (!this.state) {
      const batch: Unsealed[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const m = messages[i] as Message;
        batch[i] = { envelope: m.envelope, plain: m.payload, conversation: places[2 * i] as number, nonce: places[2 * i + 1] as number, voucher: m.voucher };
      }
      return this.sealJs(batch);
    }
    const spans = new Uint32Array(2 * n);
    const encrypted = new Uint8Array(n);
    const ids = new Float64Array(n);
    const buffer = n > 0 ? (messages[0] as Message).payload.buffer : null;
    let shared = buffer !== null && buffer.byteLength <= 0xffffffff;
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const { envelope, payload } = messages[i] as Message;
      if (shared && payload.buffer === buffer) {
        spans[2 * i] = payload.byteOffset;
        spans[2 * i + 1] = payload.byteOffset + payload.length;
      } else shared = false;
      bytes += payload.length;
      encrypted[i] = envelope.encrypted ? 1 : 0;
      ids[i] = envelope.id;
    }
    let plain: Uint8Array;
    if (shared) plain = new Uint8Array(buffer as ArrayBufferLike);
    else {
      plain = new Uint8Array(bytes);
      let at = 0;
      for (let i = 0; i < n; i++) {
        const payload = (messages[i] as Message).payload;
        plain.set(payload, at);
        spans[2 * i] = at;
        at += payload.length;
        spans[2 * i + 1] = at;
      }
    }
    return sealedMessages(messages, (kernels as NativeKernels).sealBatch(this.state, plain, spans, encrypted, places, ids));
  }

  /**
   * The JavaScript twin (ids increasing, as in the stream): each message's franking key,
   * commitment and AES-GCM sealing through node:crypto, the batch's franking keys drawn
   * in one cipher call.
   */
  private sealJs(batch: readonly Unsealed[]): Message[] {
    const out: Message[] = new Array(batch.length);
    if (batch.length === 0) return out;
    for (const u of batch) checkPlace(u, this.frank);
    const first = (batch[0] as Unsealed).envelope.id;
    const span = (batch[batch.length - 1] as Unsealed).envelope.id - first + 1;
    // Ids out of order (never from the generator) fall back to one key at a time.
    const keys = this.frank && span >= batch.length && span <= 4 * batch.length ? frankingKeysFor(this.franking, first, span) : null;
    for (let i = 0; i < batch.length; i++) {
      const u = batch[i] as Unsealed;
      const offset = (u.envelope.id - first) * FRANKING_KEY_BYTES;
      const key = !this.frank
        ? null
        : keys && offset >= 0 && offset < keys.length
          ? keys.subarray(offset, offset + FRANKING_KEY_BYTES)
          : frankingKeyFor(this.franking, u.envelope.id);
      out[i] = this.sealWith(u, key);
    }
    return out;
  }

  private sealWith(u: Unsealed, frankingKey: Uint8Array | null): Message {
    const { envelope, plain } = u;
    let body = plain;
    let commitment: Uint8Array | null = null;
    if (frankingKey) {
      commitment = commit(frankingKey, plain);
      body = new Uint8Array(plain.length + frankingKey.length);
      body.set(plain, 0);
      body.set(frankingKey, plain.length);
    }
    const payload = envelope.encrypted ? sealGcm(this.conversationKey(u.conversation), nonceOf(u.nonce), body) : body;
    return { envelope, payload, commitment, voucher: u.voucher };
  }
}

/** The messages of a batch the native kernel sealed: payloads and commitments as views into its two buffers. */
function sealedMessages(
  from: readonly { envelope: Envelope; voucher: Uint8Array | null }[],
  { payloads, offsets, commitments }: { payloads: Uint8Array; offsets: Uint32Array; commitments: Uint8Array | null },
): Message[] {
  // Views made with the constructor, which costs about half what subarray does.
  const sealed = payloads.buffer;
  const committed = commitments?.buffer;
  const out: Message[] = new Array(from.length);
  for (let i = 0; i < from.length; i++) {
    const m = from[i] as { envelope: Envelope; voucher: Uint8Array | null };
    const at = offsets[i] as number;
    out[i] = {
      envelope: m.envelope,
      payload: new Uint8Array(sealed, at, (offsets[i + 1] as number) - at),
      commitment: committed ? new Uint8Array(committed, i * COMMITMENT_BYTES, COMMITMENT_BYTES) : null,
      voucher: m.voucher,
    };
  }
  return out;
}

export class Clients {
  /** Messages sent so far per conversation (the next nonce is one more). */
  private readonly counters: NonceCounters;
  private readonly franking: Uint8Array;
  private readonly scanning: Uint8Array;
  private vouchers: VoucherClient | undefined;

  /** `accounts`: the population whose conversations these are, which sizes the counters (see NonceCounters); `shared`: counters in shared memory. */
  constructor(secret: Uint8Array, accounts: Accounts | null = null, shared?: SharedCounters) {
    const keys = clientKeys(secret);
    this.franking = keys.franking;
    this.scanning = keys.scanning;
    this.counters = new NonceCounters(accounts, shared);
  }

  /** Number of conversations the clients have encrypted in (each has its own key). */
  get keyCount(): number {
    return this.counters.conversations;
  }

  /** The next nonce counter of `sender`'s message to `recipient` (-1 when public) in `conversation` (see NonceCounters). */
  nextNonce(conversation: number, sender: number, recipient: number): number {
    return this.counters.next(conversation, sender, recipient);
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
}
