/**
 * A thread for threads.test.ts: runs the scenario it is given embedded, and says where
 * its code was loaded from and which kernels it found.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nativeMatchKernel, type Scenario } from '@blindspot/core';
import { defaultSealKernel } from '@blindspot/core/world';
import { runEmbedded } from './embedded';

const { scenario } = workerData as { scenario: Scenario };
parentPort?.postMessage({
  result: runEmbedded(scenario, { file: 'tiny.yaml', batchSize: 250 }),
  kernels: { match: nativeMatchKernel(), seal: defaultSealKernel },
  stack: new Error('where').stack ?? '',
});
