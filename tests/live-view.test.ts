/**
 * The live view as an engineer sees it: the dashboard process beside the four services,
 * opened in headless Chromium (tests/support/browser.ts) while a run is under
 * way. The page must update by itself: the simulated day and the messages move on,
 * per-stage rates appear, reports to police show up by route as they are filed, queue
 * depths are listed, and once the run is done its report is linked and opens. The
 * test writes a screenshot to results/live-view.png.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/browser';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT, blindspot, scenarioCopy } from './support/cli';
import { uniquePrefix } from './support/redis';
import { Fleet } from './support/services';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The page's document, as the functions run inside the page see it (this project compiles without the DOM types). */
interface PageDocument {
  getElementById(id: string): { textContent: string | null } | null;
  querySelector(selector: string): { textContent: string | null } | null;
}

describe('the live view', () => {
  it('updates while a run is under way, then links its report', async () => {
    const url = inject('redisUrl');
    const prefix = uniquePrefix('live');
    const out = mkdtempSync(join(tmpdir(), 'blindspot-live-'));
    const fleet = new Fleet({ REDIS_URL: url, BLINDSPOT_PREFIX: prefix, LOG_LEVEL: 'info', GENERATOR_HIGH_WATER: '2', DASHBOARD_PORT: '0', RESULTS_DIR: out });
    fleet.startAll();
    fleet.start('dashboard');
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    try {
      let base = '';
      for (const deadline = Date.now() + 30_000; !base; await sleep(50)) {
        if (Date.now() > deadline) throw new Error(`the dashboard did not start:\n${fleet.logs()}`);
        base = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"dashboard started"/.exec(fleet.log('dashboard'))?.[1] ?? '';
      }
      await page.goto(`${base}/`);
      await page.waitForFunction(() => (globalThis as unknown as { document: PageDocument }).document.getElementById('updated')?.textContent !== 'never');
      expect(await page.locator('#no-runs').isVisible()).toBe(true);

      const file = scenarioCopy('scenarios/e2ee.yaml', { 'durationDays: 30': 'durationDays: 10' });
      const pending = blindspot(['run', file, '--redis', url, '--prefix', prefix, '--external-services', '--batch-size', '500', '--out', out], {
        timeoutMs: 300_000,
      });

      // A row for the run appears by itself, and moves on.
      const row = page.locator('#runs tbody tr').first();
      await row.waitFor({ timeout: 60_000 });
      const read = async () => ({
        day: Number((await row.locator('[data-field=day]').textContent())?.split(' / ')[0]),
        messages: Number((await row.locator('[data-field=messages]').textContent())?.replace(/,/g, '')),
      });
      const first = await read();
      let later = first;
      for (const deadline = Date.now() + 60_000; later.messages <= first.messages || later.day <= first.day; await sleep(250)) {
        if (Date.now() > deadline) throw new Error(`the live view did not move on from ${JSON.stringify(first)}`);
        later = await read();
      }
      expect(await row.locator('td').nth(1).textContent()).toBe('e2ee');
      // Rates per stage, worked out from successive polls: generated messages per second.
      await page.waitForFunction(() => {
        const cell = (globalThis as unknown as { document: PageDocument }).document.querySelector('#runs tbody tr td:nth-child(5)');
        return cell !== null && Number(cell.textContent?.replace(/,/g, '')) > 0;
      });
      // Reports to police, by route, as they are filed, while the run is still going.
      await page.waitForFunction(
        () =>
          Number(
            (globalThis as unknown as { document: PageDocument }).document.querySelector('#police [data-field=total]')?.textContent?.replace(/,/g, '') ?? '0',
          ) > 0,
        undefined,
        { timeout: 120_000 },
      );
      expect(await page.locator('#police tbody tr').first().textContent()).toMatch(/(hash match|image classifier|text classifier|metadata|user report) \d+/);
      expect(await page.locator('#queues tbody tr').count()).toBe(5);
      expect(await row.locator('td').last().textContent()).toBe('running');
      mkdirSync(join(REPO_ROOT, 'results'), { recursive: true });
      await page.screenshot({ path: join(REPO_ROOT, 'results', 'live-view.png'), fullPage: true });

      const done = await pending;
      expect(done.code, done.stderr.slice(-2000)).toBe(0);
      // The finished report is linked, and opens.
      const link = page.locator('#results a', { hasText: 'e2ee.html' });
      await link.waitFor({ timeout: 15_000 });
      const href = await link.getAttribute('href');
      const report = await fetch(new URL(href as string, `${base}/`));
      expect(report.status).toBe(200);
      expect(await report.text()).toMatch(/<title>[^<]*e2ee/);
      // Bull Board answers beside it.
      expect((await fetch(`${base}/queues/`)).status).toBe(200);
      expect(errors, errors.join('\n')).toEqual([]);
    } finally {
      await page.close();
      await fleet.stop();
    }
  }, 360_000);
});
