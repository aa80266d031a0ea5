/**
 * Ordered, exactly-once application of a stateful stage over Redis.
 *
 * Stateful stages (the metadata detector's windows, the reporter's review queue) must
 * see batches in simulated-time order, but BullMQ delivers at least once and in any
 * order (retries after a crash, several replicas). So each input is first parked in an
 * inbox keyed by (seq, source); whoever finds the inbox complete for the next sequence
 * number applies it and commits, in one Lua script guarded by that number:
 *   state updates + the stage's output + inbox cleanup + next := seq + 1
 * A replica that loses the race finds `next` moved and its commit refused. Outputs are
 * then emitted downstream from the committed record (job ids derived from run, stage
 * and seq), and an `emitted` pointer records how far that went, so a crash between
 * commit and emit is repaired by the next job that runs. Inputs for a sequence number
 * already applied are dropped on arrival: duplicates have no effect. Every script
 * refuses to write once the run is cancelled (cancel.ts): its deleted keys stay deleted.
 */
import { RunCancelledError } from './cancel';
import { inboxField, type RunKeys } from './keys';
import type { RedisClient } from './connection';

/** Stage keys of a run that nobody finishes expire after a week. */
export const RUN_KEY_TTL_SECONDS = 7 * 24 * 3600;

// KEYS: next, inbox, cancelled ; ARGV: seq, field, value
const INGEST = `
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) < n then return 0 end
local added = redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ${RUN_KEY_TTL_SECONDS})
return added
`;

// KEYS: next, inbox, state, out, extraKey, appendKey, cancelled ; ARGV: seq, nFields, fields..., nState, (k, v)..., out, extraValue, nAppend, entries...
const COMMIT = `
if redis.call('EXISTS', KEYS[7]) == 1 then return -1 end
local seq = tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[1]) or '0') ~= seq then return 0 end
local i = 2
local nFields = tonumber(ARGV[i]); i = i + 1
local fields = {}
for j = 1, nFields do fields[j] = ARGV[i]; i = i + 1 end
local nState = tonumber(ARGV[i]); i = i + 1
for j = 1, nState do
  local k = ARGV[i]; local v = ARGV[i + 1]; i = i + 2
  if v == '' then redis.call('HDEL', KEYS[3], k) else redis.call('HSET', KEYS[3], k, v) end
end
local out = ARGV[i]; i = i + 1
if out ~= '' then redis.call('HSET', KEYS[4], ARGV[1], out) end
local extra = ARGV[i]; i = i + 1
if extra ~= '' then redis.call('SET', KEYS[5], extra) end
local nAppend = tonumber(ARGV[i]); i = i + 1
for j = 1, nAppend do
  redis.call('XADD', KEYS[6], '*', 'seq', ARGV[1], 'entry', ARGV[i]); i = i + 1
end
if nAppend > 0 then redis.call('EXPIRE', KEYS[6], ${RUN_KEY_TTL_SECONDS}) end
if nFields > 0 then redis.call('HDEL', KEYS[2], unpack(fields)) end
redis.call('SET', KEYS[1], seq + 1)
-- An abandoned run's keys expire on their own; a finished run is cleaned up at once.
for k = 1, 5 do redis.call('EXPIRE', KEYS[k], ${RUN_KEY_TTL_SECONDS}) end
return 1
`;

// KEYS: emitted, out, cancelled ; ARGV: seq
const MARK_EMITTED = `
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local e = tonumber(redis.call('GET', KEYS[1]) or '0')
if e ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], e + 1)
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`;

export interface Applied<Out> {
  /** What to send downstream for this seq, or null for nothing. Stored (as JSON) until emitted. */
  output: Out | null;
  /** A value to SET at the stage's extra key in the same commit (the reporter's result). */
  extra?: string;
  /**
   * Entries appended to the stage's append stream in the same commit (the reports the
   * reporter files): written exactly once per sequence number, whatever crashes or
   * redeliveries happen, because the commit that writes them also moves `next` on.
   */
  append?: string[];
  /** Runs once this application is committed (not when another replica committed first): for metrics. */
  onCommit?: () => void;
  /** State entries to write; undefined deletes the entry. */
  state: Map<string, string | undefined>;
}

/**
 * A stage's inputs by source. An input is validated once, where it enters (the worker
 * that received it); the inbox holds it as `encode` writes it, and it is read back with
 * `decode` only when another process (or an earlier life of this one) offered it: an
 * input this process offered is applied as it was handed over.
 */
export interface OrderedStageSpec<In extends object, Out = never> {
  /** Stage name, part of its Redis keys. */
  name: string;
  /** Inputs each sequence number needs before it can be applied. */
  sources: readonly (keyof In & string)[];
  /** An input as the inbox holds it; JSON by default. */
  encode?<S extends keyof In & string>(source: S, value: In[S]): string;
  /** An input from the inbox (written by `encode`, so trusted); JSON by default. */
  decode?<S extends keyof In & string>(source: S, raw: string): In[S];
  /** State entries that applying sequence number `seq` with these inputs reads. */
  stateKeys(seq: number, inputs: In): string[];
  /** Applies one sequence number's inputs to the loaded state entries. */
  apply(seq: number, inputs: In, state: Map<string, string | undefined>): Promise<Applied<Out>> | Applied<Out>;
  /** Sends one sequence number's output downstream; must be idempotent (derived job ids). */
  emit?(seq: number, output: Out): Promise<void>;
  /** Where `extra` is written. */
  extraKey?: string;
  /** The stream `append` entries go to. */
  appendKey?: string;
}

type RedisWithScripts = RedisClient & {
  bsIngest(next: string, inbox: string, cancelled: string, seq: number, field: string, value: string): Promise<number>;
  bsCommit(...args: (string | number)[]): Promise<number>;
  bsMarkEmitted(emitted: string, out: string, cancelled: string, seq: number): Promise<number>;
};

function defineOrderedScripts(redis: RedisClient): void {
  const r = redis as RedisWithScripts;
  if (typeof r.bsIngest === 'function') return;
  redis.defineCommand('bsIngest', { numberOfKeys: 3, lua: INGEST });
  redis.defineCommand('bsCommit', { numberOfKeys: 7, lua: COMMIT });
  redis.defineCommand('bsMarkEmitted', { numberOfKeys: 3, lua: MARK_EMITTED });
}

/** What the scripts answer for a cancelled run. */
const CANCELLED = -1;

/**
 * Inputs this process parked and outputs it committed, kept as values so they are not
 * parsed back from Redis. Bounded: past the cap the oldest go, and are read from Redis
 * like anyone else's.
 */
const MEMO_CAP = 32;

export class OrderedStage<In extends object, Out = never> {
  private readonly redis: RedisWithScripts;
  /** Serializes advance/emit within this process; replicas are kept apart by the commit guard. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Inputs this process parked, by inbox field. */
  private readonly offered = new Map<string, { seq: number; value: unknown }>();
  /** Outputs this process committed, by sequence number. */
  private readonly outputs = new Map<number, Out>();

  constructor(
    redis: RedisClient,
    private readonly keys: RunKeys,
    private readonly spec: OrderedStageSpec<In, Out>,
  ) {
    defineOrderedScripts(redis);
    this.redis = redis as RedisWithScripts;
  }

  private get k() {
    return this.keys.stage(this.spec.name);
  }

  /** Parks one input, applies whatever has become complete, and emits committed outputs. */
  async offer<S extends keyof In & string>(seq: number, source: S, value: In[S]): Promise<void> {
    if (!this.spec.sources.includes(source)) throw new Error(`stage ${this.spec.name} has no input "${source}"`);
    const field = inboxField(seq, source);
    const raw = this.spec.encode ? this.spec.encode(source, value) : JSON.stringify(value);
    const added = await this.redis.bsIngest(this.k.next, this.k.inbox, this.keys.cancelled, seq, field, raw);
    if (added === CANCELLED) throw new RunCancelledError(this.keys.run);
    // Remembered only if this value is the one the inbox holds (HSETNX added it).
    if (added === 1) remember(this.offered, field, { seq, value });
    await this.serialized(() => this.advance());
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * An input for applying: the value this process offered, taken (so an application that
   * fails, and may have changed it, is retried from the inbox), or else the inbox's.
   */
  private input<S extends keyof In & string>(source: S, field: string, raw: string): In[S] {
    const mine = this.offered.get(field);
    if (mine) {
      this.offered.delete(field);
      return mine.value as In[S];
    }
    return this.spec.decode ? this.spec.decode(source, raw) : (JSON.parse(raw) as In[S]);
  }

  private async advance(): Promise<void> {
    const k = this.k;
    for (;;) {
      const next = Number((await this.redis.get(k.next)) ?? '0');
      for (const [field, { seq }] of this.offered) if (seq < next) this.offered.delete(field);
      const fields = this.spec.sources.map((s) => inboxField(next, s));
      const values = await this.redis.hmget(k.inbox, ...fields);
      if (values.some((v) => v === null)) break;
      const inputs = {} as In;
      for (const [i, s] of this.spec.sources.entries()) inputs[s] = this.input(s, fields[i] as string, values[i] as string);
      const stateKeys = this.spec.stateKeys(next, inputs);
      const loaded = stateKeys.length > 0 ? await this.redis.hmget(k.state, ...stateKeys) : [];
      const state = new Map<string, string | undefined>();
      for (const [i, key] of stateKeys.entries()) state.set(key, loaded[i] ?? undefined);
      const applied = await this.spec.apply(next, inputs, state);
      const stateArgs: string[] = [];
      for (const [key, value] of applied.state) stateArgs.push(key, value ?? '');
      const ok = await this.redis.bsCommit(
        k.next,
        k.inbox,
        k.state,
        k.out,
        this.spec.extraKey ?? k.out,
        this.spec.appendKey ?? k.out,
        this.keys.cancelled,
        next,
        fields.length,
        ...fields,
        applied.state.size,
        ...stateArgs,
        applied.output === null ? '' : JSON.stringify(applied.output),
        applied.extra ?? '',
        applied.append?.length ?? 0,
        ...(applied.append ?? []),
      );
      if (ok === CANCELLED) throw new RunCancelledError(this.keys.run);
      if (!ok) continue; // another replica committed this seq first; look again
      if (applied.output !== null) remember(this.outputs, next, applied.output);
      applied.onCommit?.();
    }
    await this.emitCommitted();
  }

  private async emitCommitted(): Promise<void> {
    const k = this.k;
    for (;;) {
      const [emitted, next] = await Promise.all([this.redis.get(k.emitted), this.redis.get(k.next)]);
      const e = Number(emitted ?? '0');
      for (const seq of this.outputs.keys()) if (seq < e) this.outputs.delete(seq);
      if (e >= Number(next ?? '0')) return;
      if (this.spec.emit) {
        let output = this.outputs.get(e);
        if (output === undefined) {
          const raw = await this.redis.hget(k.out, String(e));
          if (raw !== null) output = JSON.parse(raw) as Out;
        }
        if (output !== undefined) await this.spec.emit(e, output);
      }
      if ((await this.redis.bsMarkEmitted(k.emitted, k.out, this.keys.cancelled, e)) === CANCELLED) throw new RunCancelledError(this.keys.run);
      this.outputs.delete(e);
    }
  }
}

function remember<K, V>(memo: Map<K, V>, key: K, value: V): void {
  memo.set(key, value);
  if (memo.size > MEMO_CAP) memo.delete(memo.keys().next().value as K);
}
