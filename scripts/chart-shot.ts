/**
 * A picture of one chart of an HTML report, for the README: the report is opened from
 * disk in the headless Chromium the browser tests use (CHROMIUM_PATH, else the packaged
 * one), and the box around the canvas `id` names is written as a PNG once the charts
 * are drawn (the reports draw without animation). The README's figures are made with it from the reports of the commands
 * they quote, so anyone can make them again:
 *
 *   node --import tsx scripts/chart-shot.ts results/x/sensitivity-e2ee.html tornado docs/tornado.png
 *   node --import tsx scripts/chart-shot.ts results/y/comparison.html perday docs/replications-per-day.png
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../tests/support/browser';

const USAGE = 'usage: node --import tsx scripts/chart-shot.ts <report.html> <canvas id> <out.png>';

async function main(argv: string[]): Promise<number> {
  const [report, id, out] = argv;
  if (!report || !id || !out || argv.length !== 3) {
    console.error(USAGE);
    return 2;
  }
  if (!existsSync(report)) {
    console.error(`chart-shot: ${report}: no such file`);
    return 2;
  }
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(resolve(report)).toString());
    await page.waitForFunction(() => Array.isArray((globalThis as unknown as { blindspotCharts?: unknown[] }).blindspotCharts));
    if (errors.length > 0) {
      console.error(`chart-shot: ${report}: the page failed: ${errors.join('; ')}`);
      return 1;
    }
    const ids = await page.evaluate(() => (globalThis as unknown as { blindspotCharts: { id: string }[] }).blindspotCharts.map((c) => c.id));
    const canvas = page.locator(`canvas#${id}`);
    if ((await canvas.count()) === 0) {
      console.error(`chart-shot: ${report} has no chart "${id}"; its charts: ${ids.join(', ') || 'none'}`);
      return 2;
    }
    await canvas.locator('xpath=..').screenshot({ path: out });
    console.log(`chart-shot: wrote ${out}`);
    return 0;
  } finally {
    await browser.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
