/**
 * The in-process runner: every stage in one process, no Redis. It applies exactly the
 * same stage functions in the same order as the BullMQ transport, so both produce the
 * same result document (apart from `timing`).
 *
 * `runEmbedded` does everything on the calling thread. `runEmbeddedParallel` keeps the
 * world's sequential work and the detecting stages there and seals (franks and
 * encrypts) each batch on a pool of threads, several batches ahead: the same bytes,
 * the same result, using every core.
 */
import { availableParallelism } from 'node:os';
import {
  applyMetadata,
  applyReporter,
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
import { WorldGenerator, newClientSecret } from '@blindspot/core/world';
import { SealPool } from './seal-pool';

export interface EmbeddedOptions {
  /** Path of the scenario file, as recorded in the result. */
  file: string;
  /** Events per batch (default 1000); the result does not depend on it. */
  batchSize?: number;
  /** Called after each batch with the number of messages so far and the simulated day. */
  onProgress?: (messages: number, day: number) => void;
}

export interface ParallelOptions extends EmbeddedOptions {
  /** Sealing threads (default: one per core but the one running the world, at least one). */
  sealers?: number;
}

export const DEFAULT_BATCH_SIZE = 1000;

/** One embedded run: the world, the detecting stages and what they have found so far. */
class EmbeddedRun {
  readonly started = performance.now();
  readonly platformKey = newPlatformKey();
  readonly clientSecret = newClientSecret();
  readonly generator: WorldGenerator;
  private readonly scanner: ScannerContext;
  private readonly metadata: MetadataState = new LargeMap<AccountWindows>();
  private readonly reporter: ReporterState;
  /** Messages the detecting routes found, for recall (a typed list: a week of ten million accounts may find more than an array holds). */
  private readonly detected = new NumberList();
  private messages = 0;

  constructor(
    private readonly scenario: Scenario,
    private readonly options: EmbeddedOptions,
  ) {
    this.generator = new WorldGenerator(scenario, {
      run: 'embedded',
      batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
      platformKey: this.platformKey,
      clientSecret: this.clientSecret,
    });
    this.scanner = scannerContext(scenario);
    this.reporter = initialReporterState(scenario);
  }

  /** Scans, detects and reviews one sealed batch; batches must come in order. */
  apply(batch: Batch): void {
    this.applyScanned(batch, scanBatch(this.scanner, scanBatchOf(batch)));
  }

  /** Detects and reviews one batch whose messages were scanned elsewhere; batches must come in order. */
  applyScanned(batch: Omit<Batch, 'messages'> & { messages: readonly { envelope: Envelope }[] }, scanned: ScanResult): void {
    const patterns = applyMetadata(this.scenario, this.metadata, envelopeBatchOf(batch));
    for (const id of applyReporter({ scenario: this.scenario, platformKey: this.platformKey }, this.reporter, scanned, patterns)) this.detected.push(id);
    this.messages += batch.messages.length;
    this.options.onProgress?.(this.messages, this.reporter.day);
  }

  result(): RunResult {
    const wallSeconds = (performance.now() - this.started) / 1000;
    return buildResult(this.scenario, this.options.file, this.reporter, this.detected.view(), this.generator.ledger, {
      transport: 'embedded',
      wallSeconds: Math.round(wallSeconds * 1000) / 1000,
      messagesPerSecond: Math.round(this.messages / Math.max(wallSeconds, 1e-9)),
    });
  }
}

/** Runs a scenario on the calling thread. */
export function runEmbedded(scenario: Scenario, options: EmbeddedOptions): RunResult {
  const run = new EmbeddedRun(scenario, options);
  for (const batch of run.generator.batches()) run.apply(batch);
  return run.result();
}

/**
 * Runs a scenario with sealing and scanning on other threads; the same result as
 * runEmbedded. This thread plays the world (sequential by nature), the metadata
 * detector and the reporter (stateful, applied in batch order).
 */
export async function runEmbeddedParallel(scenario: Scenario, options: ParallelOptions): Promise<RunResult> {
  const run = new EmbeddedRun(scenario, options);
  const sealers = Math.max(1, options.sealers ?? availableParallelism() - 1);
  const pool = new SealPool(sealers, { clientSecret: run.clientSecret, franking: scenario.detection.userReports.franking, scenario });
  try {
    await pool.inOrder(
      run.generator.unsealedBatches(),
      (batch) => pool.sealAndScan(batch, batch.messages),
      (batch, scanned) => run.applyScanned(batch, scanned),
    );
  } finally {
    await pool.close();
  }
  return run.result();
}
