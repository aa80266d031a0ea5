/**
 * The in-process runner: every stage in one process, no Redis. It applies exactly the
 * same stage functions in the same order as the BullMQ transport, so both produce the
 * same result document (apart from `timing`).
 *
 * `runEmbedded` does everything on the calling thread. `runEmbeddedParallel` plays the
 * world's shards on a pool of threads, each sealing (franking, encrypting) and scanning
 * what its shards send, and keeps the ordered stages (metadata detector, reporter) on
 * the calling thread: the same events, the same result, using every core.
 */
import { progressOver, runPlatforms, runPlatformsSync } from './platform-runs';
import { availableParallelism } from 'node:os';
import {
  advanceReporter,
  applyMetadata,
  applyReporter,
  closingsOf,
  type Closing,
  buildResult,
  envelopeBatchOf,
  initialReporterState,
  newPlatformKey,
  scanBatch,
  scanBatchOf,
  scannerContext,
  LargeMap,
  NumberList,
  type AccountWindows,
  type Batch,
  type Envelope,
  type ScanResult,
  type MetadataState,
  type ReporterState,
  type RunResult,
  type Scenario,
  type ScannerContext,
} from '@blindspot/core';
import { type Ledger, WorldGenerator, newClientSecret } from '@blindspot/core/world';
import { WorldPool } from './world-pool';

export interface EmbeddedOptions {
  /** Path of the scenario file, as recorded in the result. */
  file: string;
  /** Events per batch (default 1000); the result does not depend on it. */
  batchSize?: number;
  /** Called after each batch with the number of messages so far and the simulated day. */
  onProgress?: (messages: number, day: number) => void;
}

export interface ParallelOptions extends EmbeddedOptions {
  /** World threads (default: one per core); the result does not depend on it. */
  threads?: number;
}

export const DEFAULT_BATCH_SIZE = 1000;

/** One embedded run's detecting stages and what they have found so far. */
class EmbeddedRun {
  readonly started = performance.now();
  readonly platformKey = newPlatformKey();
  readonly clientSecret = newClientSecret();
  private scanner: ScannerContext | undefined;
  private readonly metadata: MetadataState = new LargeMap<AccountWindows>();
  private readonly reporter: ReporterState;
  /** Messages the detecting routes found, for recall (a typed list: a week of ten million accounts may find more than an array holds). */
  private readonly detected = new NumberList();
  private messages = 0;

  constructor(
    private readonly scenario: Scenario,
    private readonly options: EmbeddedOptions,
  ) {
    this.reporter = initialReporterState(scenario);
  }

  /** Review days whose closings have been handed to the world. */
  private closedDays = 0;

  /** The world on this thread: at the start of each day it closes the accounts reported by the end of the day before. */
  generator(): WorldGenerator {
    return new WorldGenerator(this.scenario, {
      run: 'embedded',
      batchSize: this.options.batchSize ?? DEFAULT_BATCH_SIZE,
      platformKey: this.platformKey,
      clientSecret: this.clientSecret,
      ...(this.scenario.enforcement.banReported ? { closings: (day: number) => this.closings(day) } : {}),
    });
  }

  /**
   * Enforcement: reviews the days before `day` (every input before it must be applied,
   * none after it) and returns the closings of those not handed over yet. Each takes
   * effect at least a day after its review day ends, so no later than `day` + 1.
   */
  closings(day: number): Closing[] {
    for (const id of advanceReporter(this.scenario, this.reporter, day)) this.detected.push(id);
    const out = closingsOf(this.scenario, this.reporter, this.closedDays, day);
    this.closedDays = Math.max(this.closedDays, Math.min(day, this.reporter.day));
    return out;
  }

  /** Scans, detects and reviews one sealed batch; batches must come in order. */
  apply(batch: Batch): void {
    this.scanner ??= scannerContext(this.scenario);
    this.applyScanned(batch, scanBatch(this.scanner, scanBatchOf(batch)));
  }

  /** Detects and reviews one batch whose messages were scanned elsewhere; batches must come in order. */
  applyScanned(batch: Omit<Batch, 'messages'> & { messages: readonly { envelope: Envelope }[] }, scanned: ScanResult): void {
    const patterns = applyMetadata(this.scenario, this.metadata, envelopeBatchOf(batch));
    for (const id of applyReporter({ scenario: this.scenario, platformKey: this.platformKey }, this.reporter, scanned, patterns)) this.detected.push(id);
    this.messages += batch.messages.length;
    this.options.onProgress?.(this.messages, this.reporter.day);
  }

  result(ledger: Ledger): RunResult {
    const wallSeconds = (performance.now() - this.started) / 1000;
    return buildResult(this.scenario, this.options.file, this.reporter, this.detected.view(), ledger, {
      transport: 'embedded',
      wallSeconds: Math.round(wallSeconds * 1000) / 1000,
      messagesPerSecond: Math.round(this.messages / Math.max(wallSeconds, 1e-9)),
    });
  }
}

/** Runs a scenario on the calling thread (a world of several platforms: a run per platform, see platform-runs.ts). */
export function runEmbedded(scenario: Scenario, options: EmbeddedOptions): RunResult {
  const progress = progressOver(options.onProgress, scenario.durationDays);
  return runPlatformsSync(scenario, (s, i) => {
    const onProgress = progress(i);
    return runOne(s, { ...options, ...(onProgress ? { onProgress } : {}) });
  });
}

function runOne(scenario: Scenario, options: EmbeddedOptions): RunResult {
  const run = new EmbeddedRun(scenario, options);
  const generator = run.generator();
  for (const batch of generator.batches()) run.apply(batch);
  return run.result(generator.ledger);
}

/**
 * Runs a scenario with the world's shards on a pool of threads (which seal and scan
 * what they play); the same result as runEmbedded. This thread applies the metadata
 * detector and the reporter (stateful, applied in stream order), one batch per
 * simulated hour.
 */
export async function runEmbeddedParallel(scenario: Scenario, options: ParallelOptions): Promise<RunResult> {
  const progress = progressOver(options.onProgress, scenario.durationDays);
  return runPlatforms(scenario, (s, i) => {
    const onProgress = progress(i);
    return runOneParallel(s, { ...options, ...(onProgress ? { onProgress } : {}) });
  });
}

async function runOneParallel(scenario: Scenario, options: ParallelOptions): Promise<RunResult> {
  const run = new EmbeddedRun(scenario, options);
  const pool = new WorldPool(options.threads ?? availableParallelism(), {
    scenario,
    clientSecret: run.clientSecret,
    platformKey: run.platformKey,
    run: 'embedded',
  });
  try {
    const closings = scenario.enforcement.banReported ? (day: number) => run.closings(day) : undefined;
    const ledger = await pool.play((h) => {
      const batch = {
        run: 'embedded',
        seq: h.hour,
        final: h.final,
        messages: h.envelopes.map((envelope) => ({ envelope })),
        reports: h.reports,
        blocks: h.blocks,
      };
      run.applyScanned(batch, h.scan);
    }, closings);
    return run.result(ledger);
  } finally {
    await pool.close();
  }
}
