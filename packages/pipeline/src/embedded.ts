/**
 * The in-process runner: every stage in one process, no Redis. It applies exactly the
 * same stage functions in the same order as the BullMQ transport, so both produce the
 * same result document (apart from `timing`).
 */
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
  type MetadataState,
  type RunResult,
  type Scenario,
} from '@blindspot/core';
import { WorldGenerator, newClientSecret } from '@blindspot/core/world';

export interface EmbeddedOptions {
  /** Path of the scenario file, as recorded in the result. */
  file: string;
  /** Events per batch (default 1000); the result does not depend on it. */
  batchSize?: number;
  /** Called after each batch with the number of messages so far and the simulated day. */
  onProgress?: (messages: number, day: number) => void;
}

export const DEFAULT_BATCH_SIZE = 1000;

export function runEmbedded(scenario: Scenario, options: EmbeddedOptions): RunResult {
  const started = performance.now();
  const run = 'embedded';
  const platformKey = newPlatformKey();
  const generator = new WorldGenerator(scenario, {
    run,
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    platformKey,
    clientSecret: newClientSecret(),
  });
  const scanner = scannerContext(scenario);
  const metadata: MetadataState = new Map();
  const reporter = initialReporterState(scenario);
  const detected: number[] = [];
  let messages = 0;
  for (const batch of generator.batches()) {
    const scanned = scanBatch(scanner, scanBatchOf(batch));
    const patterns = applyMetadata(scenario, metadata, envelopeBatchOf(batch));
    for (const id of applyReporter({ scenario, platformKey }, reporter, scanned, patterns)) detected.push(id);
    messages += batch.messages.length;
    options.onProgress?.(messages, reporter.day);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  return buildResult(scenario, options.file, reporter, detected, generator.ledger, {
    transport: 'embedded',
    wallSeconds: Math.round(wallSeconds * 1000) / 1000,
    messagesPerSecond: Math.round(messages / Math.max(wallSeconds, 1e-9)),
  });
}
