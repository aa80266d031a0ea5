/**
 * The memory model: about how much memory one run of a scenario needs, and the problem
 * to report when it would not fit, naming the fields to reduce.
 */
import { HASH_BYTES } from '../hash';
import { INDEX_FROM_ENTRIES } from '../hash-index';
import { routesOf, routeSettings } from '../routes';
import type { Media, Surface } from '../vocabulary';
import { accountSlots, contactPairs } from './pairs';
import type { Problem } from './problems';
import { encryptedSurfaces, type Scenario } from './schema';

/**
 * Bytes of memory per item, measured on Node 20 (64-bit Linux) by running
 * `blindspot run <file> --json` under `/usr/bin/time -v` on 2 shared cores (one sealing
 * thread) and fitting the maximum RSS against the scenario's sizes (defaults unless said;
 * "few messages" is 0.05 per user and day, for 1 day; "e2ee.yaml at N" is the shipped
 * scenario with N accounts for 1 day, 8 messages per user and day):
 *
 *   scenario                                            measured   estimated
 *   40 users, few messages                                157 MB      195 MB
 *   e2ee.yaml: 4,000 users, 30 days, 1.1M messages        224 MB      270 MB
 *   100k users, 1M contact pairs, few messages            196 MB      216 MB
 *   500k users, 5M contact pairs, few messages            297 MB      301 MB
 *   500k users, 1.25M pairs, few messages                 239 MB      233 MB
 *   125k users, 5M pairs, few messages                    266 MB      290 MB
 *   1M users, 10M pairs, few messages                     408 MB      406 MB
 *   1.6M users, 16M pairs, few messages                   516 MB      533 MB
 *   5M users, 7.5M pairs, few messages                    416 MB      479 MB
 *   10M users, 100M pairs, 0.01 messages per user         2.0 GB      2.2 GB
 *   4,000 users, hash bank of 2M                          885 MB      852 MB
 *   the same with client-side scanning                    1.7 GB      1.6 GB
 *   4,000 users, hash bank of 8M                          2.8 GB      2.8 GB
 *   10,000 users, 10 days, 10.9M messages, 1M abusive     462 MB      589 MB
 *   200k users, 5 days, 8M messages                       543 MB      587 MB
 *   1M users, 1 day, 8M messages                          1.1 GB      1.3 GB
 *   e2ee.yaml at 100k: 0.8M messages                      381 MB      436 MB
 *   e2ee.yaml at 1M: 8M messages                          1.1 GB      1.3 GB
 *   e2ee.yaml at 10M: 80M messages (46 minutes)           4.9 GB      5.5 GB
 *
 * The population is typed arrays outside the JavaScript heap: the world thread's heap
 * holds the records and an hour's messages (e2ee.yaml at 10M: 2.4 GB estimated, within
 * Node's default 4 GB on this machine, and the run completes under it).
 */
const BYTES = {
  /** Node, the program and its modules (with tsx), and what any run adds (the first batches, the result). */
  process: 150 * 2 ** 20,
  /** Each worker thread (sealing and scanning, or a sweep's run). */
  thread: 45 * 2 ** 20,
  /** Per account slot, for the whole run: where its contacts start (4 bytes), its creation and closing times (8 each), kind (1), the ledger's two marks (2). */
  user: 23,
  /** Per account, while the population is built: the shuffled orders, the communities, where each row is being filled. */
  userBuild: 16,
  /** Per contact pair, for the whole run: each side in the other's contact row. */
  contactPair: 8,
  /** Per contact pair, while the population is built: its slot in the table that de-duplicates pairs (8 bytes, at most 3/4 full). */
  contactPairBuild: 11,
  /** Per hash: 256 bits. */
  hash: HASH_BYTES,
  /** Per bank entry in a multi-index (bank-match.ts): 16 tables of a 12-byte sketch and a 4-byte id. */
  indexEntry: 16 * 16,
  /** Per multi-index: 16 offset tables of 2^16 + 1 entries, and one being filled. */
  index: 17 * (2 ** 16 + 1) * 4,
  /** Per bank entry, with client-side scanning: the server's token → entry map. */
  voucherToken: 90,
  /** Per id kept in a growing array (8 bytes and room to grow). */
  id: 12,
  /** Per detected message: its id in the run's typed list (with room to grow) and in the sorted copy recall is counted from. */
  detection: 20,
  /** With encrypted DMs, per contact pair: each side's nonce counter (two of 4 bytes). */
  pairCounter: 8,
  /** Per account and encrypted public surface (posts, profile photos): its nonce counter. */
  surfaceCounter: 4,
  /** Per encrypted conversation between accounts that are not contacts: a NumberMap slot (16 bytes, 3/8 to 3/4 full). */
  conversation: 32,
  /** Per open review flag or per account with behavioural windows. */
  account: 300,
  /**
   * Per message of a simulated hour: the generator makes each hour's messages at once (to
   * deliver them in time order) and each holds its envelope, content, plaintext and
   * stream event until its batch is sealed and scanned; hourMessageHeap of it in the
   * JavaScript heap, the rest in buffers beside it.
   */
  hourMessage: 1_000,
  hourMessageHeap: 700,
  /** The world thread's live JavaScript heap before any scenario. */
  heap: 40 * 2 ** 20,
} as const;

/**
 * While messages flow, the run makes garbage at full speed and V8 lets the world's heap
 * grow past what stays alive (the runtime's, the records', an hour's messages): by about
 * CHURN times the live heap, but by no more than CHURN_CAP. Fully so from CHURN_MESSAGES
 * messages in all, or CHURN_HOURLY in an hour, on. The population's typed arrays are not
 * on the heap and take no part in it. On a loaded machine, where the collector's threads
 * get less time, the heap was seen to grow further (1M accounts, 8M messages: 1.9 GB
 * rather than 1.1 GB).
 */
const CHURN = 3;
const CHURN_CAP = 700 * 2 ** 20;
const CHURN_MESSAGES = 2e6;
const CHURN_HOURLY = 20_000;

export interface MemoryOptions {
  /**
   * Threads that seal and scan beside the main thread: an embedded run has one world
   * thread per core, each playing some of the world's shards and sealing and scanning
   * what they send; 0 for a run on a single thread (as each run of a sweep is).
   * Default 1. (Calibrated on runs with one such thread; with more, each also holds the
   * clients' matcher under client-side scanning, counted here.)
   */
  scanThreads?: number;
}

export interface MemoryEstimate {
  /** Peak memory of one run (resident set), in bytes. */
  bytes: number;
  /** What it is made of, in bytes: runtime, population, hash bank, popular images, message records. */
  parts: Record<string, number>;
  /**
   * The JavaScript heap the thread that plays the world needs at least: Node stops the
   * run ("heap out of memory") past its heap limit, however much memory the machine has.
   */
  heapBytes: number;
  /** What that heap holds, in bytes: runtime, population, message records. */
  heapParts: Record<string, number>;
}

/**
 * Share of a surface's messages the server can read, traffic spread evenly over the run:
 * all of them when it is not encrypted, none when encrypted from the start, and under a
 * rollout those before it and those during the ramp whose accounts have not all switched
 * (a DM needs both, after x of the ramp 1 - x^2 of them are readable; a post 1 - x).
 */
export function readableShare(scenario: Pick<Scenario, 'surfaces' | 'durationDays'>, surface: Surface): number {
  if (!encryptedSurfaces(scenario)[surface]) return 1;
  const block = { dm: scenario.surfaces.directMessages, public: scenario.surfaces.publicPosts, profile: scenario.surfaces.profilePhotos }[surface];
  const days = scenario.durationDays;
  const from = Math.min(block.fromDay, days);
  const ramp = block.rampDays;
  let readableDays = from;
  if (ramp > 0 && days > from) {
    const k = surface === 'dm' ? 2 : 1;
    const x = Math.min(1, (days - from) / ramp);
    readableDays += ramp * (x - x ** (k + 1) / (k + 1));
  }
  return readableDays / days;
}

/**
 * About how much memory one embedded run of the scenario needs at its peak. What
 * scales: the population (per account and per contact pair); the hash bank and the
 * popular images (one copy for the world and one per scanner context, with a multi-index
 * from INDEX_FROM_ENTRIES entries for each context that matches: the scanning threads',
 * and the clients' with client-side scanning; and the servers' token maps);
 * and the records that grow with the traffic: the ids of abusive messages (ledger) and
 * of detected ones (true and false positives), open review flags, behavioural windows
 * and, under encryption, the clients' per-conversation counters. The messages
 * themselves stream through in batches and do not add up. Rough and on the high side
 * for the largest populations (see BYTES for the calibration).
 */
export function estimateMemory(scenario: Scenario, options: MemoryOptions = {}): MemoryEstimate {
  const threads = Math.max(0, Math.floor(options.scanThreads ?? 1));
  // Scanner contexts: the run's own (built on the world's thread) and one per thread.
  const scanners = threads === 0 ? 1 : threads + 1;
  const p = scenario.population;
  const o = p.offenders;
  const t = scenario.traffic;
  const d = scenario.detection;
  // Per-account tables hold every slot; traffic is of the accounts open at any time.
  const slots = accountSlots(scenario).users;
  const users = p.adults + p.minors;
  const days = scenario.durationDays;
  const pairs = contactPairs(scenario);

  const size = d.hashBank.size;
  const css = d.clientSideScanning.enabled;
  // A matcher builds its index on the first batch it matches, and only where it has one
  // (a bank that large, a distance of at most 2 bits per 16-bit chunk): the scanning
  // threads' (the world's own context scans only on a single thread), and the clients'.
  const hm = d.hashMatching;
  const index = size >= INDEX_FROM_ENTRIES && hm.matchDistance < 48 ? size * BYTES.indexEntry + BYTES.index : 0;
  const scanning = hm.enabled && hm.surfaces.length > 0 ? Math.max(1, threads) : 0;
  const hashBank =
    (1 + scanners) * size * BYTES.hash + // the world's copy and each scanner's
    scanning * index +
    (css ? Math.max(1, threads) * index + scanners * size * BYTES.voucherToken : 0); // each thread's clients' matcher, the servers' token maps
  const popularImages = (1 + scanners) * t.popularImages * BYTES.hash;

  // Traffic over the whole run, by surface.
  const ordinary = users * t.messagesPerUserPerDay * days;
  const publicPosts = ordinary * t.publicPostShare;
  const profilePhotos = (users * t.profilePhotoChangesPerMonth * days) / 30;
  const g = o.groomers;
  const groomerMessages = g.count * g.newTargetsPerDay * g.conversationDays * g.messagesPerTargetPerDay * days;
  const mentorMessages = p.lookalikes.mentors.count * p.lookalikes.mentors.messagesPerDay * days;
  const dms = ordinary - publicPosts + groomerMessages + mentorMessages;
  const abusive =
    (o.sharers.count * o.sharers.abusiveImagesPerDay + o.producers.count * o.producers.abusiveImagesPerDay) * days +
    groomerMessages * ((g.escalation.startShare + g.escalation.endShare) / 2);
  const messages = ordinary + profilePhotos + groomerMessages + mentorMessages + abusive;

  // Detections of benign content: every readable item a content route flags.
  const encrypted = encryptedSurfaces(scenario);
  const items: Record<Media, Record<Surface, number>> = {
    image: { dm: dms * t.mediaShare, public: publicPosts * t.mediaShare, profile: profilePhotos },
    text: { dm: dms * (1 - t.mediaShare), public: publicPosts * (1 - t.mediaShare), profile: 0 },
  };
  let detections = abusive;
  for (const { module, detect } of routesOf('scanner')) {
    if (detect.kind !== 'content') continue;
    const settings = routeSettings(d, module);
    const readable = [...new Set(detect.surfaces(settings))].reduce((n, s) => n + readableShare(scenario, s) * items[detect.media][s], 0);
    detections += readable * detect.benignShare(settings, scenario.content);
  }
  // Open flags: at most one per account and route.
  const flags = Math.min(users * 5, detections);
  // Behavioural windows: accounts that send while young, and adults who DM minors they are not connected to.
  const m = d.metadata;
  // In steady state account ages are exponential with the accounts' mean lifetime.
  const youngShare = 1 - Math.exp(-m.newAccountBurst.maxAccountAgeDays / Math.max(1, p.accountAgeDays));
  const young = Math.min(users * youngShare, (ordinary + profilePhotos) * youngShare);
  const approaching = Math.min(p.adults, dms * t.unconnectedShare * (p.minors / Math.max(1, users)) + g.count + p.lookalikes.mentors.count);
  const watched = m.enabled ? Math.min(users, young + approaching) : 0;
  // Under encryption the clients count messages per conversation and side: contact
  // pairs and public surfaces in arrays made once, the others one by one. Under a
  // rollout the arrays are made whole on the first encrypted message, and the strangers'
  // conversations are counted as if encrypted from the start: a bound from above.
  const counters = (encrypted.dm ? pairs * BYTES.pairCounter : 0) + ((encrypted.public ? 1 : 0) + (encrypted.profile ? 1 : 0)) * slots * BYTES.surfaceCounter;
  const mentors = p.lookalikes.mentors;
  const strangers = encrypted.dm ? Math.min(dms, dms * t.unconnectedShare + g.count * g.newTargetsPerDay * days + mentors.count * mentors.minorsEach) : 0;
  // What the run keeps in the JavaScript heap, and in typed arrays beside it.
  const heapRecords = abusive * BYTES.id + (flags + watched) * BYTES.account;
  const records = detections * BYTES.detection + strangers * BYTES.conversation + heapRecords;

  // The generator holds one simulated hour of messages at a time.
  const hourly = messages / (days * 24);
  const hour = hourly * BYTES.hourMessage;
  const hourHeap = hourly * BYTES.hourMessageHeap;

  // The world's heap grows past what stays alive in it while messages flow; each part
  // carries its share of that growth.
  const live = BYTES.heap + heapRecords + hourHeap;
  const ramp = Math.min(1, Math.max(messages / CHURN_MESSAGES, hourly / CHURN_HOURLY));
  const churn = (ramp * Math.min(CHURN * live, CHURN_CAP)) / live;
  const growth = churn * live + hour + records;
  // Building the population takes more than it keeps (the pair table above all), but
  // that is given back before the messages grow the rest: the larger of the two counts.
  const kept = slots * BYTES.user + pairs * BYTES.contactPair + counters;
  const building = slots * BYTES.userBuild + pairs * BYTES.contactPairBuild;
  const parts: Record<string, number> = {
    runtime: BYTES.process + threads * BYTES.thread + churn * BYTES.heap,
    population: kept + Math.max(0, building - growth),
    'hash bank': hashBank,
    'popular images': popularImages,
    'an hour of messages': hour + churn * hourHeap,
    'message records': records + churn * heapRecords,
  };
  const bytes = Object.values(parts).reduce((a, b) => a + b, 0);
  // The population is typed arrays, outside the heap, but for its lists of offenders.
  const offenders = o.sharers.count + o.producers.count + o.groomers.count + p.lookalikes.mentors.count;
  const heapParts: Record<string, number> = {
    runtime: BYTES.heap,
    population: offenders * BYTES.id,
    'an hour of messages': hourHeap,
    'message records': heapRecords,
  };
  return { bytes, parts, heapBytes: Object.values(heapParts).reduce((a, b) => a + b, 0), heapParts };
}

/** What to reduce for each part of the estimate, and the field a problem points at. */
const REDUCE: Record<string, { path: string; fields: string }> = {
  population: { path: 'population', fields: 'population.adults, population.minors or traffic.contactsPerUser' },
  'hash bank': { path: 'detection.hashBank.size', fields: 'detection.hashBank.size' },
  'popular images': { path: 'traffic.popularImages', fields: 'traffic.popularImages' },
  'an hour of messages': { path: 'traffic.messagesPerUserPerDay', fields: 'traffic.messagesPerUserPerDay or the population' },
  'message records': { path: 'durationDays', fields: 'durationDays or traffic.messagesPerUserPerDay' },
};

/** Bytes as an analyst reads them: `950 MB`, `9.6 GB` (binary units, as `free` and `top` count). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'more than any machine has';
  if (bytes >= 10 * 2 ** 40) return `${Math.round(bytes / 2 ** 40).toLocaleString('en-US')} TB`;
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GB`;
  return `${Math.max(1, Math.round(bytes / 2 ** 20))} MB`;
}

export interface MemoryCheckOptions extends MemoryOptions {
  /** Runs of scenarios this size at once (a sweep's worker threads). Default 1. */
  runsAtOnce?: number;
  /** Who sets the limit, before its size: default "this machine has". */
  limitName?: string;
  /** Said after the advice when the scenario exceeds `availableBytes`, e.g. how to change the limit. */
  limitHint?: string;
  /** The JavaScript heap limit of one thread (v8.getHeapStatistics().heap_size_limit); unchecked if not given. */
  heapLimitBytes?: number;
}

/**
 * A problem if one run of the scenario (or `runsAtOnce` of them) would need more memory
 * than `availableBytes`, or its world more JavaScript heap than `heapLimitBytes`, naming
 * what takes the memory and the fields to reduce; null if it fits.
 */
export function memoryProblem(scenario: Scenario, availableBytes: number, options: MemoryCheckOptions = {}): Problem | null {
  const runs = Math.max(1, Math.floor(options.runsAtOnce ?? 1));
  const estimate = estimateMemory(scenario, options);
  const needed = estimate.bytes * runs;
  const overHeap = options.heapLimitBytes !== undefined && estimate.heapBytes > options.heapLimitBytes;
  if (needed <= availableBytes && !overHeap) return null;
  // The parts worth naming: a tenth of the total or more, largest first.
  const big = Object.entries(estimate.parts)
    .filter(([, b]) => b * runs >= needed / 10)
    .sort((a, b) => b[1] - a[1]);
  const reducible = big.flatMap(([name]) => REDUCE[name] ?? []);
  const listed = big.map(([n, b]) => `${n} ${formatBytes(b)}`).join(', ');
  const reduce =
    reducible.length > 0
      ? `reduce ${reducible.map((r) => r.fields).join(', or ')}`
      : 'even the smallest scenario needs this much; run it on a machine with more memory';
  if (needed > availableBytes) {
    const what = runs > 1 ? ` for ${runs} runs at once (each ${listed})` : ` (${listed})`;
    return {
      path: reducible[0]?.path ?? '',
      message: `this scenario needs about ${formatBytes(needed)} of memory${what} but ${options.limitName ?? 'this machine has'} ${formatBytes(availableBytes)}; ${reduce}${options.limitHint ?? ''}`,
    };
  }
  // Within the machine's memory, but past what Node lets one thread's heap hold: the
  // population and the records live there.
  const heapParts = Object.entries(estimate.heapParts)
    .filter(([name, b]) => REDUCE[name] && b >= estimate.heapBytes / 10)
    .sort((a, b) => b[1] - a[1])
    .map(([name]) => REDUCE[name] as { path: string; fields: string });
  return {
    path: heapParts[0]?.path ?? '',
    message: `this scenario needs about ${formatBytes(estimate.heapBytes)} of JavaScript heap in one thread but Node allows ${formatBytes(
      options.heapLimitBytes as number,
    )}; reduce ${heapParts.map((r) => r.fields).join(', or ')}, or give Node more: NODE_OPTIONS=--max-old-space-size=<megabytes>`,
  };
}
