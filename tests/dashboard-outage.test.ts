/**
 * The live view while Redis does not answer: the dashboard's connection waits for Redis
 * for as long as it takes (a restart must not end the dashboard), so a Redis that has
 * stopped answering, frozen here with SIGSTOP, must not hold every poll open. /api/live
 * answers 503 within its bound, saying why; the page says Redis is not answering, keeps
 * the last figures, and recovers by itself when Redis answers again.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_BOUND_MS } from '../services/dashboard/src/server';
import { launchChromium } from './support/browser';
import { startRedisServer, uniquePrefix, type RedisServer } from './support/redis';
import { Fleet } from './support/services';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The page's document, as the functions run inside the page see it (this project compiles without the DOM types). */
interface PageDocument {
  getElementById(id: string): { textContent: string | null } | null;
}

let browser: Browser;
let redis: RedisServer;
let fleet: Fleet;
beforeAll(async () => {
  [browser, redis] = await Promise.all([launchChromium(), startRedisServer()]);
});
afterAll(async () => {
  await fleet?.stop();
  redis?.process.kill('SIGCONT');
  await Promise.all([browser?.close(), redis?.stop()]);
});

/** GET /api/live: its status, body and how long it took. */
async function live(base: string): Promise<{ status: number; body: { error?: string; runs?: unknown[] }; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${base}/api/live`, { signal: AbortSignal.timeout(LIVE_BOUND_MS * 4) });
  const body = (await res.json()) as { error?: string; runs?: unknown[] };
  return { status: res.status, body, ms: performance.now() - started };
}

describe('the live view while Redis does not answer', () => {
  it('answers 503 within its bound, says so on the page, and recovers when Redis answers again', { timeout: 120_000 }, async () => {
    fleet = new Fleet({ REDIS_URL: redis.url, BLINDSPOT_PREFIX: uniquePrefix('outage'), LOG_LEVEL: 'info', DASHBOARD_PORT: '0' });
    fleet.start('dashboard');
    let base = '';
    for (const deadline = Date.now() + 30_000; !base; await sleep(50)) {
      if (Date.now() > deadline) throw new Error(`the dashboard did not start:\n${fleet.logs()}`);
      base = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"dashboard started"/.exec(fleet.log('dashboard'))?.[1] ?? '';
    }
    const before = await live(base);
    expect(before.status).toBe(200);
    expect(before.body.runs).toEqual([]);

    const page = await browser.newPage();
    const status = () => page.evaluate(() => (globalThis as unknown as { document: PageDocument }).document.getElementById('status')?.textContent ?? '');
    await page.goto(`${base}/`);
    await page.waitForFunction(() => (globalThis as unknown as { document: PageDocument }).document.getElementById('updated')?.textContent !== 'never');
    expect(await status()).toBe('');

    redis.process.kill('SIGSTOP');
    try {
      const frozen = await live(base);
      expect(frozen.status).toBe(503);
      expect(frozen.body.error).toMatch(/^Redis did not answer within 5 s$/);
      // Bounded: not held until the client gives up, and not answered before the bound either.
      expect(frozen.ms).toBeGreaterThanOrEqual(LIVE_BOUND_MS - 50);
      expect(frozen.ms).toBeLessThan(LIVE_BOUND_MS * 3);
      await page.waitForFunction(
        () => /Redis is not answering/.test((globalThis as unknown as { document: PageDocument }).document.getElementById('status')?.textContent ?? ''),
        undefined,
        { timeout: 30_000 },
      );
      expect(await status()).toMatch(/^Redis is not answering \(Redis did not answer within 5 s\): showing the last figures; retrying every second\.$/);
    } finally {
      redis.process.kill('SIGCONT');
    }

    await page.waitForFunction(() => (globalThis as unknown as { document: PageDocument }).document.getElementById('status')?.textContent === '', undefined, {
      timeout: 30_000,
    });
    const after = await live(base);
    expect(after.status).toBe(200);
    expect(fleet.crashed()).toBeNull();
    await page.close();
  });
});
