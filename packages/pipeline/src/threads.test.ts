import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { nativeMatchKernel, type RunResult, type Scenario } from '@blindspot/core';
import { testScenario } from '@blindspot/core/testing';
import { defaultSealKernel } from '@blindspot/core/world';
import { runEmbedded } from './embedded';
import { currentBundle, startTsWorker, startTsxWorker, withoutTsx, workerBundle } from './threads';

const ENTRY = new URL('./test-worker.ts', import.meta.url);

interface Answer {
  result: RunResult;
  kernels: { match: string | null; seal: string };
  stack: string;
}

function answer<T = Answer>(w: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    w.once('message', (m: T) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`the thread stopped (exit code ${code})`)));
  }).finally(() => w.terminate());
}

const withoutTiming = <T extends { timing: unknown }>({ timing: _t, ...rest }: T) => rest;

const scenario: Scenario = testScenario({
  seed: 7,
  durationDays: 2,
  population: { adults: 120, minors: 30, offenders: { sharers: { count: 8 }, groomers: { count: 2 } } },
  surfaces: { directMessages: { encryption: 'e2ee' } },
});

const scratch = mkdtempSync(join(tmpdir(), 'blindspot-threads-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('worker threads', () => {
  it('run from a bundle, with the same answer as a thread under tsx and as this thread', async () => {
    const bundle = workerBundle(ENTRY);
    expect(bundle?.href).toMatch(/\/test-worker-[0-9a-f]{16}\.mjs$/);
    const [bundled, tsx] = await Promise.all([answer(startTsWorker(ENTRY, { scenario })), answer(startTsxWorker(ENTRY, { scenario }))]);
    // Where each ran from: the bundle, and the TypeScript source.
    expect(bundled.stack).toContain((bundle as URL).href);
    expect(tsx.stack).toContain('test-worker.ts');
    // The bundle found the native kernels (next to their own source) where this thread did.
    expect(bundled.kernels).toEqual({ match: nativeMatchKernel(), seal: defaultSealKernel });
    expect(tsx.kernels).toEqual(bundled.kernels);
    expect(withoutTiming(bundled.result)).toEqual(withoutTiming(tsx.result));
    expect(withoutTiming(bundled.result)).toEqual(withoutTiming(runEmbedded(scenario, { file: 'tiny.yaml', batchSize: 250 })));
    expect(bundled.result.messages.total).toBeGreaterThan(0);
  });

  it('fall back to tsx, with a warning, when the bundle cannot be kept', async () => {
    const notAFolder = join(scratch, 'file');
    writeFileSync(notAFolder, '');
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const a = await answer(startTsWorker(ENTRY, { scenario }, { cacheDir: join(notAFolder, 'cache') }));
      expect(a.stack).toContain('test-worker.ts');
      expect(withoutTiming(a.result)).toEqual(withoutTiming(runEmbedded(scenario, { file: 'tiny.yaml', batchSize: 250 })));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/could not bundle the worker thread entry .*test-worker\.ts, so its threads run it under tsx/);
    } finally {
      warn.mockRestore();
    }
  });

  it('fail loudly, after a warning, when the entry can be neither bundled nor run', async () => {
    const broken = join(scratch, 'broken.mts');
    writeFileSync(broken, "import { nothing } from './no-such-module';\nconsole.log(nothing);\n");
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      await expect(answer(startTsWorker(pathToFileURL(broken), undefined, { cacheDir: join(scratch, 'cache') }))).rejects.toThrow(/no-such-module/);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/could not bundle .*broken\.mts.*Could not resolve "\.\/no-such-module"/s);
    } finally {
      warn.mockRestore();
    }
  });

  it('rebuild a bundle when an input changes, and only then', async () => {
    const entry = join(scratch, 'answer.ts');
    const cache = join(scratch, 'cache');
    writeFileSync(entry, "import { parentPort } from 'node:worker_threads';\nparentPort?.postMessage(1 as number);\n");
    const first = currentBundle(pathToFileURL(entry), [cache]);
    const built = statSync(first).mtimeMs;
    expect(currentBundle(pathToFileURL(entry), [cache])).toBe(first);
    expect(statSync(first).mtimeMs).toBe(built);
    const { Worker } = await import('node:worker_threads');
    expect(await answer<number>(new Worker(pathToFileURL(first)))).toBe(1);
    writeFileSync(entry, "import { parentPort } from 'node:worker_threads';\nparentPort?.postMessage(2 as number);\n");
    expect(currentBundle(pathToFileURL(entry), [cache])).toBe(first);
    expect(await answer<number>(new Worker(pathToFileURL(first)))).toBe(2);
  });

  it('leave a preload of tsx out of a bundled thread, and every other option in', () => {
    expect(withoutTsx(['--import', 'tsx', '--max-old-space-size=4096'])).toEqual(['--max-old-space-size=4096']);
    expect(withoutTsx(['--import=tsx', '--require', '/x/node_modules/tsx/dist/cjs/index.cjs', '--enable-source-maps'])).toEqual(['--enable-source-maps']);
    expect(withoutTsx(['--import', './otel.mjs', '--loader', 'tsx/esm'])).toEqual(['--import', './otel.mjs']);
  });
});
