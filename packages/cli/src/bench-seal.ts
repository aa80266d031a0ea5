/**
 * The sealing figure of `pnpm bench`: CPU µs per 64-byte message sealed (franked and
 * AES-256-GCM encrypted, batches of a thousand), the JavaScript twin against the native
 * kernel, in interleaved rounds of the same invocation so both see the same machine.
 * CPU time (process.cpuUsage), not wall time: a shared machine's other work then costs
 * neither side. Two native figures: conversations its cache holds, and a new
 * conversation for every message (each a cache miss: a key derived and a context
 * re-keyed), which is nearer a shipped scenario, where few conversations repeat within
 * a cache's reach.
 */
import { randomBytes } from 'node:crypto';
import type { Envelope, Message } from '@blindspot/core';
import { CLIENT_SECRET_BYTES, Sealer, defaultSealKernel, type SealKernel, type Unsealed } from '@blindspot/core/world';

const BATCH = 1000;
const BYTES = 64;
/** Conversations the cached figure cycles through: well within the native cache's default 1024 slots. */
const CACHED_CONVERSATIONS = 256;

export interface SealFigure {
  /** The kernel runs use on this machine. */
  kernel: SealKernel;
  messageBytes: number;
  batchSize: number;
  rounds: number;
  jsMicrosPerMessage: number;
  /** Null where the native kernel is not built. */
  nativeMicrosPerMessage: number | null;
  nativeNewConversationMicrosPerMessage: number | null;
  speedup: number | null;
  /** Both kernels sealed the measured batches to the same bytes. */
  sameBytes: boolean | null;
}

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Batches of 64-byte DMs, ids consecutive across them; `conversation(i)` places message i. */
function batches(count: number, conversation: (i: number) => number): Unsealed[][] {
  const envelope: Envelope = {
    id: 0,
    t: 0,
    surface: 'dm',
    sender: 1,
    recipient: 2,
    media: 'text',
    size: BYTES,
    encrypted: true,
    senderMinor: false,
    recipientMinor: false,
    connected: true,
    senderAccountAgeDays: 100,
  };
  const nonces = new Map<number, number>();
  return Array.from({ length: count }, (_, b) =>
    Array.from({ length: BATCH }, (_, j) => {
      const i = b * BATCH + j;
      const c = conversation(i);
      const nonce = (nonces.get(c) ?? 0) + 1;
      nonces.set(c, nonce);
      return { envelope: { ...envelope, id: i }, plain: new Uint8Array(randomBytes(BYTES)), conversation: c, nonce, voucher: null };
    }),
  );
}

/** CPU µs per message of sealing `work` with `sealer`. */
function timed(sealer: Sealer, work: readonly Unsealed[][]): number {
  const start = cpuMicros();
  for (const batch of work) sealer.sealAll(batch);
  return (cpuMicros() - start) / (work.length * BATCH);
}

const same = (a: readonly Message[], b: readonly Message[]) =>
  a.length === b.length &&
  a.every(
    (m, i) =>
      Buffer.from(m.payload).equals(Buffer.from((b[i] as Message).payload)) &&
      Buffer.from(m.commitment ?? []).equals(Buffer.from((b[i] as Message).commitment ?? [])),
  );

export function sealBench(quick: boolean): SealFigure {
  const rounds = quick ? 3 : 9;
  const secret = new Uint8Array(randomBytes(CLIENT_SECRET_BYTES));
  // The native kernel is ten to twenty times faster: it gets more batches, for a CPU time well above the clock's grain.
  const jsWork = batches(quick ? 2 : 4, (i) => i % CACHED_CONVERSATIONS);
  const nativeWork = batches(quick ? 10 : 40, (i) => i % CACHED_CONVERSATIONS);
  const fresh = batches(quick ? 10 : 40, (i) => 1_000_000 + i);
  const native = defaultSealKernel === 'native';
  const js: number[] = [];
  const cached: number[] = [];
  const uncached: number[] = [];
  let sameBytes: boolean | null = null;
  for (let r = 0; r < rounds; r++) {
    // New sealers every round: the JavaScript twin's key map and the native cache start empty each time.
    js.push(timed(new Sealer(secret, true, { kernel: 'js' }), jsWork));
    if (!native) continue;
    cached.push(timed(new Sealer(secret, true, { kernel: 'native' }), nativeWork));
    uncached.push(timed(new Sealer(secret, true, { kernel: 'native' }), fresh));
    if (r === 0) {
      const probe = nativeWork[0] as Unsealed[];
      sameBytes = same(new Sealer(secret, true, { kernel: 'js' }).sealAll(probe), new Sealer(secret, true, { kernel: 'native' }).sealAll(probe));
    }
  }
  const round2 = (x: number) => Math.round(x * 100) / 100;
  const jsMicros = round2(median(js));
  const nativeMicros = native ? round2(median(cached)) : null;
  return {
    kernel: defaultSealKernel,
    messageBytes: BYTES,
    batchSize: BATCH,
    rounds,
    jsMicrosPerMessage: jsMicros,
    nativeMicrosPerMessage: nativeMicros,
    nativeNewConversationMicrosPerMessage: native ? round2(median(uncached)) : null,
    speedup: nativeMicros ? Math.round((median(js) / median(cached)) * 10) / 10 : null,
    sameBytes,
  };
}

/** The figure as one line of the bench's text report. */
export function sealLine(f: SealFigure): string {
  const native =
    f.nativeMicrosPerMessage === null
      ? 'native kernel not built'
      : `native ${f.nativeMicrosPerMessage} µs/message (${f.nativeNewConversationMicrosPerMessage} with a new conversation each), ${f.speedup}x, same bytes: ${f.sameBytes ? 'yes' : 'NO'}`;
  return `sealing (${f.messageBytes} B, CPU)    JS twin ${f.jsMicrosPerMessage} µs/message; ${native}; runs use: ${f.kernel}`;
}
