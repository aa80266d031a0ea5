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
 * already applied are dropped on arrival: duplicates have no effect.
 */
import type { Redis } from 'ioredis';
import type { RunKeys } from './keys';

/** Stage keys of a run that nobody finishes expire after a week. */
export const RUN_KEY_TTL_SECONDS = 7 * 24 * 3600;

const INGEST = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) < n then return 0 end
local added = redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ${RUN_KEY_TTL_SECONDS})
return added
`;

// KEYS: next, inbox, state, out, extraKey, appendKey ; ARGV: seq, nFields, fields..., nState, (k, v)..., out, extraValue, nAppend, entries...
const COMMIT = `
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

// KEYS: emitted, out ; ARGV: seq
const MARK_EMITTED = `
local e = tonumber(redis.call('GET', KEYS[1]) or '0')
if e ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], e + 1)
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`;

export interface Applied {
  /** What to send downstream for this seq, or null for nothing. */
  output: string | null;
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

export interface OrderedStageSpec {
  /** Stage name, part of its Redis keys. */
  name: string;
  /** Inputs each sequence number needs before it can be applied. */
  sources: readonly string[];
  /** State entries that applying sequence number `seq` with these inputs reads. */
  stateKeys(seq: number, inputs: Record<string, string>): string[];
  /** Applies one sequence number's inputs to the loaded state entries. */
  apply(seq: number, inputs: Record<string, string>, state: Map<string, string | undefined>): Promise<Applied> | Applied;
  /** Sends one sequence number's output downstream; must be idempotent (derived job ids). */
  emit?(seq: number, output: string): Promise<void>;
  /** Where `extra` is written. */
  extraKey?: string;
  /** The stream `append` entries go to. */
  appendKey?: string;
}

type RedisWithScripts = Redis & {
  bsIngest(next: string, inbox: string, seq: number, field: string, value: string): Promise<number>;
  bsCommit(...args: (string | number)[]): Promise<number>;
  bsMarkEmitted(emitted: string, out: string, seq: number): Promise<number>;
};

export function defineOrderedScripts(redis: Redis): void {
  const r = redis as RedisWithScripts;
  if (typeof r.bsIngest === 'function') return;
  redis.defineCommand('bsIngest', { numberOfKeys: 2, lua: INGEST });
  redis.defineCommand('bsCommit', { numberOfKeys: 6, lua: COMMIT });
  redis.defineCommand('bsMarkEmitted', { numberOfKeys: 2, lua: MARK_EMITTED });
}

export class OrderedStage {
  private readonly redis: RedisWithScripts;
  /** Serializes advance/emit within this process; replicas are kept apart by the commit guard. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    redis: Redis,
    private readonly keys: RunKeys,
    private readonly spec: OrderedStageSpec,
  ) {
    defineOrderedScripts(redis);
    this.redis = redis as RedisWithScripts;
  }

  private get k() {
    return this.keys.stage(this.spec.name);
  }

  /** Parks one input, applies whatever has become complete, and emits committed outputs. */
  async offer(seq: number, source: string, value: string): Promise<void> {
    if (!this.spec.sources.includes(source)) throw new Error(`stage ${this.spec.name} has no input "${source}"`);
    await this.redis.bsIngest(this.k.next, this.k.inbox, seq, `${seq}:${source}`, value);
    await this.serialized(() => this.advance());
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async advance(): Promise<void> {
    const k = this.k;
    for (;;) {
      const next = Number((await this.redis.get(k.next)) ?? '0');
      const fields = this.spec.sources.map((s) => `${next}:${s}`);
      const values = await this.redis.hmget(k.inbox, ...fields);
      if (values.some((v) => v === null)) break;
      const inputs: Record<string, string> = {};
      for (const [i, s] of this.spec.sources.entries()) inputs[s] = values[i] as string;
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
        next,
        fields.length,
        ...fields,
        applied.state.size,
        ...stateArgs,
        applied.output ?? '',
        applied.extra ?? '',
        applied.append?.length ?? 0,
        ...(applied.append ?? []),
      );
      if (!ok) continue; // another replica committed this seq first; look again
      applied.onCommit?.();
    }
    await this.emitCommitted();
  }

  private async emitCommitted(): Promise<void> {
    const k = this.k;
    for (;;) {
      const [emitted, next] = await Promise.all([this.redis.get(k.emitted), this.redis.get(k.next)]);
      const e = Number(emitted ?? '0');
      if (e >= Number(next ?? '0')) return;
      const out = await this.redis.hget(k.out, String(e));
      if (out !== null && this.spec.emit) await this.spec.emit(e, out);
      await this.redis.bsMarkEmitted(k.emitted, k.out, e);
    }
  }
}
