/**
 * Sealing on other cores, for the generator service. Its group's world (draws, ids,
 * nonces, ledger) stays in the calling thread; each batch's franking and AES-GCM
 * encryption goes to a pool of threads, round robin, and comes back sealed, in the
 * binary layout ready for a queue. A Sealer is a pure function of the client secret and
 * the message, so which thread seals what changes no byte. (The embedded runner seals
 * in its world threads instead: world-pool.ts.)
 */
import type { Worker } from 'node:worker_threads';
import { encodeMessages, type Message } from '@blindspot/core';
import type { Unsealed } from '@blindspot/core/world';
import { startTsWorker } from './threads';

export interface SealWorkerData {
  clientSecret: Uint8Array;
  franking: boolean;
}

/** Messages with their plaintext as payload, and [conversation, nonce] per message. */
export interface SealRequest {
  id: number;
  messages: Uint8Array;
  places: Float64Array;
}

export type SealReply = { id: number; messages: Uint8Array } | { id: number; error: string };

interface Waiting {
  resolve: (reply: SealReply) => void;
  reject: (err: Error) => void;
}

export class SealPool {
  private readonly threads: Worker[] = [];
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private broken: Error | undefined;

  constructor(threads: number, data: SealWorkerData) {
    for (let i = 0; i < Math.max(1, threads); i++) {
      const w = startTsWorker(new URL('./seal-worker.ts', import.meta.url), data);
      w.on('message', (reply: SealReply) => {
        const waiter = this.waiting.get(reply.id);
        if (!waiter) return;
        this.waiting.delete(reply.id);
        if ('error' in reply) waiter.reject(new Error(`sealing failed: ${reply.error}`));
        else waiter.resolve(reply);
      });
      w.on('error', (err) => this.fail(new Error(`a sealing thread failed: ${err.message}`)));
      w.on('exit', (code) => this.fail(new Error(`a sealing thread stopped (exit code ${code})`)));
      this.threads.push(w);
    }
  }

  private fail(err: Error): void {
    this.broken ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  private send(messages: readonly Unsealed[]): Promise<SealReply> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    const places = new Float64Array(messages.length * 2);
    const plain: Message[] = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as Unsealed;
      places[2 * i] = m.conversation;
      places[2 * i + 1] = m.nonce;
      plain[i] = { envelope: m.envelope, payload: m.plain, commitment: null, voucher: m.voucher };
    }
    const encoded = encodeMessages(plain);
    const request: SealRequest = { id, messages: encoded, places };
    const thread = this.threads[id % this.threads.length] as Worker;
    return new Promise<SealReply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      thread.postMessage(request, [encoded.buffer as ArrayBuffer, places.buffer as ArrayBuffer]);
    });
  }

  /** Seals `messages` on one of the threads: the sealed batch in the codec's binary layout. */
  async seal(messages: readonly Unsealed[]): Promise<Uint8Array> {
    const reply = await this.send(messages);
    if (!('messages' in reply)) throw new Error('a sealing thread answered with something other than messages');
    return reply.messages;
  }

  /**
   * For each item in turn: `start` its work on the pool at once, and `finish` it when
   * its turn comes, strictly in item order. Enough items are in flight to keep every
   * thread busy while the caller produces the next ones, and few enough to keep memory
   * flat. A failed item rejects when its turn comes, not before.
   */
  async inOrder<T, R>(
    items: Iterable<T> | AsyncIterable<T> | ((drain: () => Promise<void>) => Iterable<T> | AsyncIterable<T>),
    start: (item: T) => Promise<R>,
    finish: (item: T, result: R) => Promise<void> | void,
  ): Promise<void> {
    const ahead = 2 * this.threads.length + 2;
    const inFlight: { item: T; result: Promise<R> }[] = [];
    const finishOldest = async () => {
      const { item, result } = inFlight.shift() as (typeof inFlight)[number];
      await finish(item, await result);
    };
    // An iterable made by a function may, while asked for its next item, have every item
    // so far finished first (drain): one that waits on what its finished items lead to.
    const drain = async () => {
      while (inFlight.length > 0) await finishOldest();
    };
    for await (const item of typeof items === 'function' ? items(drain) : items) {
      const result = start(item);
      result.catch(() => {});
      inFlight.push({ item, result });
      while (inFlight.length >= ahead) await finishOldest();
    }
    while (inFlight.length > 0) await finishOldest();
  }

  async close(): Promise<void> {
    this.fail((this.broken ??= new Error('the sealing pool is closed')));
    await Promise.all(this.threads.map((w) => w.terminate()));
  }
}
