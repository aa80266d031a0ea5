/**
 * The generator service: plays the platform's users and clients (and the delivery relay
 * that countersigns franking commitments) for each submitted run, and feeds the scanner
 * and the metadata detector, in batch order, with backpressure. It alone holds the
 * clients' secret and ground truth (the ledger).
 *
 * A run comes as one generation job per group (core/layout.ts): each plays its group's
 * shards and enqueues its own batches, numbered in the run's layout, so any number of
 * generators share a run with the result of one. Each group keeps its own record (the
 * highest batch it enqueued, its progress, its pickups, its part of the ledger); the
 * group that makes the run's final batch merges the ledger parts first.
 *
 * A run that is cancelled stops between batches, writing nothing more (not even the
 * secrets back). A run that keeps killing the generator (out of memory, most likely) is
 * failed after MAX_STALLED_PICKUPS pickups in a row, each by a new process, that produced
 * no batch, rather than retried forever. A batch whose job id turns out to be held by a dead-lettered job
 * fails the run, naming it (lost-batch.ts).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { envelopeBatchOf, type Closing } from '@blindspot/core';
import { WorldGenerator, CLIENT_SECRET_BYTES, type Ledger, type LedgerPart, mergeLedgers, seqOf, type UnsealedBatch } from '@blindspot/core/world';
import { SealPool } from '@blindspot/pipeline/seal-pool';
import {
  PICKUPS,
  QUEUES,
  REPORTER_STATE,
  RUN_KEY_TTL_SECONDS,
  RunCancelledError,
  encodeMetadataJob,
  enteredField,
  isCancelled,
  jobId,
  loadRun,
  lookUpRefusals,
  lostAtEnqueue,
  scanJobOfEncoded,
  writeUnlessCancelled,
  writeUnlessCancelledThen,
  type Queue,
  type RunKeys,
  type RunSpec,
  type ServiceContext,
  UnrecoverableError,
} from '@blindspot/pipeline/bullmq';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits while any downstream queue holds more than `highWater` waiting jobs (or until
 * stopping). Returns false if the run was cancelled meanwhile (looked at on every round,
 * the first included: a cancelled run is dropped, not handed back at shutdown).
 */
async function backpressure(ctx: ServiceContext, queues: readonly Queue[], keys: RunKeys): Promise<boolean> {
  for (;;) {
    const [cancelled, ...waiting] = await Promise.all([isCancelled(ctx.redis, keys), ...queues.map((q) => q.getWaitingCount())]);
    if (cancelled) return false;
    if (ctx.stopping.aborted || waiting.every((n) => n <= ctx.config.GENERATOR_HIGH_WATER)) return true;
    await sleep(25);
  }
}

/**
 * A run's secret: created once (first generator to start the run), then read back by any
 * restart; never created again once the run is cancelled (its secrets deleted).
 */
async function runSecret(redis: ServiceContext['redis'], keys: RunKeys, key: string, bytes: number): Promise<Uint8Array> {
  const fresh = randomBytes(bytes).toString('base64');
  if (!(await writeUnlessCancelled(redis, keys, RUN_KEY_TTL_SECONDS, [{ setnx: key, value: fresh }]))) throw new RunCancelledError(keys.run);
  const stored = await redis.get(key);
  if (!stored) {
    if (await isCancelled(redis, keys)) throw new RunCancelledError(keys.run);
    throw new Error(`run secret ${key} vanished`);
  }
  return new Uint8Array(Buffer.from(stored, 'base64'));
}

/**
 * Pickups in a row that produced no batch, after which a run is failed: a generator that
 * dies on a run (out of memory: its world does not fit the heap) would otherwise be
 * restarted, take the run up again and die again, for as long as the command waits.
 */
export const MAX_STALLED_PICKUPS = 3;

/**
 * This generator process. A pickup counts as a stall only if another process took the
 * run up last: one that lost its lock while busy (a long synchronous stretch) and takes
 * its own run up again has not crashed, whereas a crashed generator is always followed
 * by a new process.
 */
const HOLDER = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

// KEYS: pickups, generated, cancelled ; ARGV: ttl, holder, group.
// Returns the pickups of the group in a row before this one, by other processes, that produced no batch; or -1 if cancelled.
const PICK_UP = `
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local g = ARGV[3]
local generated = redis.call('HGET', KEYS[2], g) or '-1'
local seen = redis.call('HMGET', KEYS[1], '${PICKUPS.generated}:' .. g, '${PICKUPS.holder}:' .. g, '${PICKUPS.stalls}:' .. g)
local stalls = tonumber(seen[3] or '0')
if seen[1] ~= generated then stalls = 0
elseif seen[2] ~= ARGV[2] then stalls = stalls + 1 end
redis.call('HSET', KEYS[1], '${PICKUPS.stalls}:' .. g, stalls, '${PICKUPS.generated}:' .. g, generated, '${PICKUPS.holder}:' .. g, ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return stalls
`;

type RedisWithPickUp = ServiceContext['redis'] & {
  bsPickUp(pickups: string, generated: string, cancelled: string, ttl: number, holder: string, group: string): Promise<number>;
};

/** Records that this generator took the run's group up; how many pickups of it in a row before it produced no batch (-1: cancelled). */
async function pickUp(redis: ServiceContext['redis'], keys: RunKeys, group: number): Promise<number> {
  const r = redis as RedisWithPickUp;
  if (typeof r.bsPickUp !== 'function') redis.defineCommand('bsPickUp', { numberOfKeys: 3, lua: PICK_UP });
  return r.bsPickUp(keys.pickups, keys.generated, keys.cancelled, RUN_KEY_TTL_SECONDS, HOLDER, String(group));
}

/**
 * Waits until every group has written its part of the ledger, and merges them: the
 * ledger, or null if the run was cancelled or this generator is stopping meanwhile.
 */
async function mergedLedger(ctx: ServiceContext, keys: RunKeys, groups: number): Promise<Ledger | null> {
  for (;;) {
    const [cancelled, parts] = await Promise.all([isCancelled(ctx.redis, keys), ctx.redis.hgetall(keys.ledgerParts)]);
    if (cancelled || ctx.stopping.aborted) return null;
    if (Object.keys(parts).length >= groups) {
      return mergeLedgers(Array.from({ length: groups }, (_, g) => JSON.parse(parts[String(g)] as string) as LedgerPart));
    }
    await sleep(50);
  }
}

function crashLoopMessage(stalls: number): string {
  return (
    `the run stopped the generator ${stalls} times in a row before it could enqueue another batch ` +
    "(the generator was killed or crashed each time, most likely out of memory: the scenario's world does not fit in its heap); " +
    'use fewer accounts (population.adults, population.minors) or a shorter durationDays, ' +
    'or give the generator more memory (NODE_OPTIONS=--max-old-space-size=<MB>, and the container limit)'
  );
}

/**
 * A run takes the generator a long time: it takes a second job meanwhile, so another
 * run, or a malformed job to refuse, does not wait for this one to end.
 */
const GENERATE_CONCURRENCY = (ctx: ServiceContext) => Math.max(2, ctx.config.WORKER_CONCURRENCY);

/**
 * A generator already playing a group of a run hands another group of the same run
 * back, to be taken again after DEFER_MS, so that another generator, if there is one
 * free, takes it: two groups in one process share its cores, and the run goes no faster.
 * After MAX_DEFERRALS hand-backs of a group by this process (about 2 s: no other
 * generator took it), the group is played here after all. Counted in the process, so
 * nothing is written for the run.
 */
const DEFER_MS = 200;
const MAX_DEFERRALS = 10;

/** The groups of each run this process is playing. */
const playing = new Map<string, Set<number>>();
/** How often this process handed each group back (by `run:group`), until it plays it or the group is gone. */
const deferrals = new Map<string, number>();

export function bindGenerator(ctx: ServiceContext): void {
  ctx.work(
    QUEUES.generate,
    async ({ run, group = 0 }, job, token) => {
      const keys = ctx.keys(run);
      // The run's batches go to the queues of its partition.
      const scan = ctx.queues.get(QUEUES.scan, keys.partition);
      const metadata = ctx.queues.get(QUEUES.metadata, keys.partition);
      let spec: RunSpec;
      try {
        spec = await loadRun(ctx.redis, keys, ctx.auth);
        if (group >= spec.layout.groups) throw new UnrecoverableError(`run ${run} has ${spec.layout.groups} generation groups, not a group ${group}`);
      } catch (err) {
        await ctx.failRun(run, (err as Error).message);
        throw err;
      }
      const { layout } = spec;
      const mine = playing.get(run) ?? new Set<number>();
      const deferral = `${run}:${group}`;
      if (mine.size > 0 && !mine.has(group)) {
        const deferred = (deferrals.get(deferral) ?? 0) + 1;
        deferrals.set(deferral, deferred);
        if (deferred <= MAX_DEFERRALS) await ctx.defer(job, token, DEFER_MS);
      }
      deferrals.delete(deferral);
      mine.add(group);
      playing.set(run, mine);
      try {
        await generateGroup();
      } finally {
        mine.delete(group);
        if (mine.size === 0) playing.delete(run);
      }

      async function generateGroup(): Promise<void> {
        const stalls = await pickUp(ctx.redis, keys, group);
        if (stalls < 0) throw new RunCancelledError(run);
        if (stalls >= MAX_STALLED_PICKUPS) {
          const message = crashLoopMessage(stalls);
          await ctx.failRun(run, message);
          throw new UnrecoverableError(message);
        }
        const platformKey = await runSecret(ctx.redis, keys, keys.platformKey, 32);
        const clientSecret = await runSecret(ctx.redis, keys, keys.clientSecret, CLIENT_SECRET_BYTES);
        const done = Number((await ctx.redis.hget(keys.generated, String(group))) ?? '-1');
        /** Enforcement: the closings fetched for the next day, which the world asks for as it starts it. */
        let closings: Closing[] = [];
        const generator = new WorldGenerator(spec.scenario, {
          run,
          batchSize: spec.batchSize,
          platformKey,
          clientSecret,
          group: { layout, index: group },
          ...(spec.scenario.enforcement.banReported ? { closings: () => closings } : {}),
        });
        const hours = spec.scenario.durationDays * 24;
        /** The group's last batch: after it is made, the group's part of the ledger is complete. */
        const lastOfGroup = seqOf(layout, hours - 1, group, layout.parts - 1);
        ctx.log.info({ run, group, groups: layout.groups, resumeAfter: done }, 'generating');

        /** The run was cancelled: stop here, before the next batch. */
        const stop = (seq: number) => {
          ctx.log.info({ run, group, batch: seq }, 'stopped the cancelled run');
          return new RunCancelledError(run);
        };
        const publish = async (batch: UnsealedBatch, sealed: Uint8Array) => {
          if (batch.seq === lastOfGroup) {
            const part = JSON.stringify(generator.ledgerPart());
            if (!(await writeUnlessCancelled(ctx.redis, keys, RUN_KEY_TTL_SECONDS, [{ hset: keys.ledgerParts, field: String(group), value: part }])))
              throw stop(batch.seq);
          }
          if (batch.final) {
            // The run's last batch: the ledger, every group's part merged, goes first.
            const ledger = await mergedLedger(ctx, keys, layout.groups);
            if (!ledger && (await isCancelled(ctx.redis, keys))) throw stop(batch.seq);
            if (ledger && !(await writeUnlessCancelled(ctx.redis, keys, RUN_KEY_TTL_SECONDS, [{ set: keys.ledger, value: JSON.stringify(ledger) }]))) {
              throw stop(batch.seq);
            }
          }
          if (!(await backpressure(ctx, [scan, metadata], keys))) throw stop(batch.seq);
          // Shutting down: hand the run back; whichever generator takes it resumes here. A
          // hand-back is no stall: the next pickup does not count against the run.
          if (ctx.stopping.aborted) {
            await ctx.redis.hdel(keys.pickups, `${PICKUPS.generated}:${group}`);
            await ctx.release(job, token);
          }
          await Promise.all([
            ctx.queues.send(QUEUES.scan, 'batch', scanJobOfEncoded(batch, sealed), jobId(run, 'scan-in', batch.seq), keys.partition),
            ctx.queues.send(QUEUES.metadata, 'batch', encodeMetadataJob(envelopeBatchOf(batch)), jobId(run, 'metadata-in', batch.seq), keys.partition),
          ]);
          ctx.metrics.messages.inc({ stage: 'generator' }, batch.messages.length);
          ctx.log.debug(
            { run, stage: 'generator', batch: batch.seq, group, count: batch.messages.length, userReports: batch.reports.length, blocks: batch.blocks.length },
            'batch published',
          );
          const hour = Math.floor(batch.seq / (layout.groups * layout.parts));
          const progress = { day: Math.floor(hour / 24), messages: generator.ledger.messages, batches: hour * layout.parts + (batch.seq % layout.parts) + 1 };
          const { written, replies } = await writeUnlessCancelledThen(
            ctx.redis,
            keys,
            RUN_KEY_TTL_SECONDS,
            [
              { hset: keys.generated, field: String(group), value: String(batch.seq) },
              // Wall-clock time each batch entered the pipeline, for latency measurements (load).
              { hset: keys.timeline, field: enteredField(batch.seq), value: String(Date.now()) },
              // For progress displays: how far the group has got in simulated time.
              { hset: keys.progress, field: String(group), value: JSON.stringify(progress) },
            ],
            // In the same round trip, after `generated` is recorded: was any of this batch's ids refused?
            (pipeline) => lookUpRefusals(pipeline, ctx.queues, keys, batch.seq),
          );
          if (!written) throw stop(batch.seq);
          const lost = await lostAtEnqueue(ctx.redis, ctx.queues, keys, batch.seq, replies);
          if (lost) {
            await ctx.failRun(run, lost);
            throw new UnrecoverableError(lost);
          }
          if (batch.seq === lastOfGroup) ctx.log.info({ run, group, messageCount: generator.ledger.messages }, 'generated');
        };

        // The world runs here, in stream order; franking and encryption run on sealing
        // threads a few batches ahead; batches are published in order.
        const sealers = ctx.config.GENERATOR_SEALERS || Math.max(1, availableParallelism() - 1);
        const pool = new SealPool(sealers, { clientSecret, franking: spec.scenario.detection.userReports.franking });
        // After a crash the group is regenerated deterministically; batches already enqueued
        // are skipped (and their job ids would make re-adding harmless anyway).
        // With enforcement, the group's last batch of a day is followed by a wait for the
        // closings the world needs to start the next one (every batch so far published
        // first: the reporter reviews a day once the next day's batches reach it).
        const perHour = layout.groups * layout.parts;
        const dayEnds = (seq: number) => seq % layout.parts === layout.parts - 1 && Math.floor(seq / perHour) % 24 === 23;
        async function* notYetEnqueued(drain: () => Promise<void>) {
          for (const batch of generator.unsealedBatches()) {
            if (batch.seq > done) yield batch;
            const day = Math.floor(batch.seq / perHour / 24) + 1;
            if (spec.scenario.enforcement.banReported && dayEnds(batch.seq) && day < spec.scenario.durationDays) {
              await drain();
              closings = await closingsFor(day);
            }
          }
        }
        /** Review days whose closings have been fetched. */
        let fetched = 0;
        /** The closings of the review days before `day` - 1, once the reporter has reviewed them (those of day 0 and 1 take effect from day 2 on). */
        async function closingsFor(day: number): Promise<Closing[]> {
          const out: Closing[] = [];
          const state = keys.stage('reporter').state;
          for (; fetched < day - 1; fetched++) {
            for (;;) {
              const [cancelled, raw] = await Promise.all([isCancelled(ctx.redis, keys), ctx.redis.hget(state, REPORTER_STATE.closings(fetched))]);
              if (cancelled) throw stop(-1);
              if (raw !== null) {
                for (const c of JSON.parse(raw) as Closing[]) out.push(c);
                break;
              }
              // Shutting down: hand the run back; whoever takes it up regenerates to here.
              if (ctx.stopping.aborted) {
                await ctx.redis.hdel(keys.pickups, `${PICKUPS.generated}:${group}`);
                await ctx.release(job, token);
              }
              await sleep(25);
            }
          }
          return out;
        }
        try {
          await pool.inOrder(notYetEnqueued, (batch) => pool.seal(batch.messages), publish);
        } finally {
          await pool.close();
        }
      }
    },
    GENERATE_CONCURRENCY(ctx),
  );
}
