/**
 * A sweep worker thread: runs scenarios embedded, one at a time, as the main thread
 * hands them over. Loaded by sweep-pool.ts (after it has registered tsx in the thread).
 */
import { parentPort } from 'node:worker_threads';
import { runEmbedded } from '@blindspot/pipeline/embedded';
import type { SweepReply, SweepTask } from './sweep-pool';

const port = parentPort;
if (!port) throw new Error('sweep-worker.ts runs only as a worker thread');

port.on('message', (task: SweepTask) => {
  let reply: SweepReply;
  try {
    reply = { index: task.index, result: runEmbedded(task.scenario, { file: task.file, batchSize: task.batchSize }) };
  } catch (err) {
    reply = { index: task.index, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
