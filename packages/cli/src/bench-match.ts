/**
 * The `matcher` figures of `pnpm bench`: hash-bank queries per second per core (process
 * CPU time, so a loaded machine's time slicing does not count) at banks of 10k, 100k and
 * 1M entries, distance 31, for
 *
 *   native    the batched native kernel (matchMany), at the queries a scan job carries
 *             (counted from the plaintext scenario's batches of 1,000 messages) and at
 *             batches of 16k queries, where it sweeps each table in order
 *   js        its JavaScript twin, at the same batch sizes
 *   index     the per-query multi-index (BankIndex, without sketches)
 *   brute     brute force: matchBank, and the native kernel's scan
 *
 * with each index's build time and memory per entry (besides the 4 MiB of offsets every
 * index has), which popcount the native kernel used, and whether all agreed. Queries:
 * one in ten a bank entry with up to 39 bits flipped, the rest random; fresh ones for
 * every batch, so no batch finds the tables warm from the one before.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BankIndex,
  ContentError,
  HASH_BYTES,
  bankEntry,
  bankMatcher,
  buildBank,
  decodeContent,
  matchBank,
  nativeMatchKernel,
  nativeMatcherLoaded,
  newPlatformKey,
  perturb,
  randomHash,
  Random,
  type BankMatcher,
  type Content,
  type HashBank,
} from '@blindspot/core';
import { parseScenario } from '@blindspot/core/scenario';
import { WorldGenerator, newClientSecret } from '@blindspot/core/world';
import { REPO_ROOT } from './spawn';

const DISTANCE = 31;
const LARGE_BATCH = 16_384;
/** The offsets every index has: 16 tables of 2^16 + 1 words. */
const OFFSET_BYTES = 16 * 65_537 * 4;

export interface BatchFigure {
  /** q/s at the queries of one scan job. */
  perJob: number;
  /** q/s at batches of 16k queries. */
  batch16k: number;
}

export interface MatcherFigure {
  bank: number;
  /** Queries the plaintext scenario's scan jobs (1,000 messages) carry on average. */
  queriesPerJob: number;
  /** The native kernel's popcount ("popcnt", "builtin", "portable"), or null where it did not load. */
  kernel: string | null;
  native: BatchFigure | null;
  js: BatchFigure;
  /** The per-query multi-index (q/s), brute force (q/s), and their ratio. */
  indexQps: number;
  bruteForceQps: number;
  nativeBruteForceQps: number | null;
  ratio: number;
  /** Index build time, in seconds. */
  buildSeconds: { native: number | null; js: number; index: number };
  /** Bytes per entry of each index, besides the 4 MiB of offsets. */
  bytesPerEntry: { native: number | null; js: number; index: number };
  /** Queries matched among the 16k (one in ten is near a bank entry). */
  hits: number;
  /** Whether every variant gave brute force's answers on the queries each answered. */
  sameAnswers: boolean;
}

/** CPU seconds of this process while `fn` runs. */
function cpuSeconds(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Average hash queries (readable images of high enough quality on hash-matched surfaces) per scan job of 1,000 messages. */
export function queriesPerJob(batches: number): number {
  const file = join(REPO_ROOT, 'scenarios/plaintext.yaml');
  const parsed = parseScenario(readFileSync(file, 'utf8'), file);
  if (!parsed.ok) throw new Error(`${file}: ${JSON.stringify(parsed.problems)}`);
  const s = parsed.scenario;
  const hm = s.detection.hashMatching;
  const on = new Set(hm.enabled ? hm.surfaces : []);
  const generator = new WorldGenerator(s, { run: 'bench', batchSize: 1000, platformKey: newPlatformKey(), clientSecret: newClientSecret() });
  let queries = 0;
  let jobs = 0;
  for (const batch of generator.batches()) {
    for (const m of batch.messages) {
      if (m.envelope.encrypted || !on.has(m.envelope.surface)) continue;
      let c: Content;
      try {
        c = decodeContent(m.payload);
      } catch (err) {
        if (err instanceof ContentError) continue;
        throw err;
      }
      if (c.media === 'image' && c.quality >= hm.minQuality) queries++;
    }
    if (++jobs === batches) break;
  }
  return Math.round(queries / jobs);
}

function queries(bank: HashBank, n: number, rng: Random): Uint8Array {
  const out = new Uint8Array(n * HASH_BYTES);
  for (let i = 0; i < n; i++) {
    const q = i % 10 === 0 ? perturb(bankEntry(bank, rng.int(bank.size)), rng.int(40), rng) : randomHash(rng);
    out.set(q, i * HASH_BYTES);
  }
  return out;
}

/** q/s of `matcher` over `total` fresh queries in batches of `batch`; the answers into `into` if given. */
function batched(matcher: BankMatcher, bank: HashBank, batch: number, total: number, rng: Random, into?: Int32Array[]): number {
  const sets: Uint8Array[] = [];
  for (let done = 0; done < total; done += batch) sets.push(queries(bank, batch, rng));
  const seconds = cpuSeconds(() => {
    for (const q of sets) {
      const r = matcher.matchMany(q, DISTANCE);
      if (into) into.push(r.index, r.distance);
    }
  });
  return Math.round((sets.length * batch) / seconds);
}

function figure(size: number, perJob: number, quick: boolean): MatcherFigure {
  const bank = buildBank(11, size);
  const seed = (label: string) => Random.derive(size, label);
  const probe = queries(bank, 1, seed('warm'));
  let sameAnswers = true;

  // The native kernel and the twin: build time (the first call builds), then both batch sizes.
  const nativeMatcher = nativeMatcherLoaded() ? bankMatcher(bank, { kernel: 'native' }) : null;
  const jsMatcher = bankMatcher(bank, { kernel: 'js' });
  const nativeBuild = nativeMatcher ? cpuSeconds(() => nativeMatcher.matchMany(probe, DISTANCE)) : null;
  const jsBuild = cpuSeconds(() => jsMatcher.matchMany(probe, DISTANCE));
  // Warm up (the JIT compiles each path before it is timed).
  for (const m of nativeMatcher ? [nativeMatcher, jsMatcher] : [jsMatcher]) {
    for (const strategy of ['probe', 'sweep'] as const) m.matchMany(queries(bank, 64, seed('warm')), DISTANCE, strategy);
  }
  const perJobTotal = quick ? 2_000 : 16_000;
  const jsPerJobTotal = size >= 1_000_000 && !quick ? 4_000 : perJobTotal;
  const nativeFigure = nativeMatcher
    ? {
        perJob: batched(nativeMatcher, bank, perJob, perJobTotal, seed('native-job')),
        batch16k: batched(nativeMatcher, bank, LARGE_BATCH, quick ? LARGE_BATCH : 2 * LARGE_BATCH, seed('native-16k')),
      }
    : null;
  const jsFigure = {
    perJob: batched(jsMatcher, bank, perJob, jsPerJobTotal, seed('js-job')),
    batch16k: batched(jsMatcher, bank, LARGE_BATCH, LARGE_BATCH, seed('js-16k')),
  };

  // One set of 16k queries that every variant answers, for the answers and the hit count.
  const common = queries(bank, LARGE_BATCH, seed('common'));
  const js = jsMatcher.matchMany(common, DISTANCE);
  if (nativeMatcher) {
    const n = nativeMatcher.matchMany(common, DISTANCE);
    sameAnswers &&= n.index.every((x, i) => x === js.index[i]) && n.distance.every((x, i) => x === js.distance[i]);
  }
  const hits = js.index.filter((x) => x >= 0).length;

  // Today's per-query index, and brute force, on a prefix of the same queries.
  let index: BankIndex | null = null;
  const indexBuild = cpuSeconds(() => {
    index = new BankIndex(bank);
  });
  const perQuery = index as unknown as BankIndex;
  const indexCount = Math.min(LARGE_BATCH, quick ? 2_000 : size >= 1_000_000 ? 2_000 : 8_000);
  const hashAt = (j: number) => common.subarray(j * HASH_BYTES, (j + 1) * HASH_BYTES);
  const indexSeconds = cpuSeconds(() => {
    for (let j = 0; j < indexCount; j++) {
      const m = perQuery.match(hashAt(j), DISTANCE);
      if ((m?.index ?? -1) !== js.index[j] || (m?.distance ?? -1) !== js.distance[j]) sameAnswers = false;
    }
  });
  const bruteCount = Math.max(50, Math.min(2_000, Math.round(2e8 / size / 10)));
  const bruteSeconds = cpuSeconds(() => {
    for (let j = 0; j < bruteCount; j++) {
      const m = matchBank(bank, hashAt(j), DISTANCE);
      if ((m?.index ?? -1) !== js.index[j] || (m?.distance ?? -1) !== js.distance[j]) sameAnswers = false;
    }
  });
  let nativeBrute: number | null = null;
  if (nativeMatcher) {
    const count = Math.min(LARGE_BATCH, bruteCount * 10);
    const some = common.subarray(0, count * HASH_BYTES);
    let r = nativeMatcher.matchMany(some, DISTANCE, 'brute');
    nativeBrute = Math.round(count / cpuSeconds(() => (r = nativeMatcher.matchMany(some, DISTANCE, 'brute'))));
    sameAnswers &&= r.index.every((x, i) => x === js.index[i]);
  }

  const indexQps = Math.round(indexCount / indexSeconds);
  const bruteForceQps = Math.round(bruteCount / bruteSeconds);
  const perEntry = (bytes: number) => Math.round(((bytes - OFFSET_BYTES) / size) * 10) / 10;
  return {
    bank: size,
    queriesPerJob: perJob,
    kernel: nativeMatcher ? nativeMatchKernel() : null,
    native: nativeFigure,
    js: jsFigure,
    indexQps,
    bruteForceQps,
    nativeBruteForceQps: nativeBrute,
    ratio: Math.round((indexQps / bruteForceQps) * 10) / 10,
    buildSeconds: {
      native: nativeBuild === null ? null : Math.round(nativeBuild * 1000) / 1000,
      js: Math.round(jsBuild * 1000) / 1000,
      index: Math.round(indexBuild * 1000) / 1000,
    },
    bytesPerEntry: {
      native: nativeMatcher ? perEntry(nativeMatcher.indexBytes()) : null,
      js: perEntry(jsMatcher.indexBytes()),
      index: perEntry(perQuery.bytes),
    },
    hits,
    sameAnswers,
  };
}

/** The matcher figures at banks of 10k, 100k and 1M entries (--quick: 10k, 20k, 50k). */
export function matcherBench(quick: boolean, say: (s: string) => void = () => {}): MatcherFigure[] {
  const perJob = queriesPerJob(quick ? 3 : 20);
  say(`matcher: ${perJob} hash queries per scan job (plaintext scenario, 1,000 messages per job)`);
  return (quick ? [10_000, 20_000, 50_000] : [10_000, 100_000, 1_000_000]).map((size) => {
    say(`matcher: bank of ${size.toLocaleString('en-US')} ...`);
    return figure(size, perJob, quick);
  });
}

/** The figures as lines of the bench's text output. */
export function matcherLines(figures: readonly MatcherFigure[]): string[] {
  const n = (x: number | null) => (x === null ? 'n/a' : x.toLocaleString('en-US'));
  const first = figures[0];
  const lines = [
    `matcher (q/s per core, distance 31; native kernel: ${first?.kernel ?? 'not loaded, JavaScript twin only'}; ${first?.queriesPerJob ?? '?'} queries per scan job)`,
  ];
  for (const m of figures) {
    const nat = m.native ? `native ${n(m.native.perJob)} per job, ${n(m.native.batch16k)} at 16k; ` : '';
    lines.push(
      `  ${n(m.bank).padStart(9)} entries  ${nat}js ${n(m.js.perJob)} per job, ${n(m.js.batch16k)} at 16k; per-query index ${n(m.indexQps)}; brute force ${n(m.bruteForceQps)}` +
        (m.nativeBruteForceQps === null ? '' : ` (native ${n(m.nativeBruteForceQps)})`) +
        `; same answers: ${m.sameAnswers ? 'yes' : 'NO'}`,
      `  ${''.padStart(9)}          build s native ${m.buildSeconds.native ?? 'n/a'}, js ${m.buildSeconds.js}, index ${m.buildSeconds.index}; bytes per entry native ${m.bytesPerEntry.native ?? 'n/a'}, js ${m.bytesPerEntry.js}, index ${m.bytesPerEntry.index} (+4 MiB offsets each)`,
    );
  }
  return lines;
}
