/**
 * Worker threads that run TypeScript. On Node 20 a worker's own
 * `execArgv: ['--import', 'tsx']` does not reach the worker's entry module, so each
 * thread registers tsx itself and then imports its entry.
 */
import { Worker } from 'node:worker_threads';

export function startTsWorker(entry: URL, workerData?: unknown): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}
