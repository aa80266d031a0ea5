/**
 * Headless Chromium for tests, driven by playwright-core: CHROMIUM_PATH if set, else the
 * Chromium that ships inside the @sparticuz/chromium package (a devDependency, so
 * `pnpm install` brings it; our machines cannot download browser builds and have no
 * Chromium of their own). The package holds it brotli-compressed; the first launch
 * unpacks it (about 200 MB, a second or two) into a folder of the temporary directory
 * named after the package version, and later launches reuse it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Flags for a machine with a closed network and no display, GPU or sandbox. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--no-zygote',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const PACKAGE = '@sparticuz/chromium';

function packageVersion(): string {
  // The package exports no ./package.json; its entry is build/<format>/index.js.
  const entry = createRequire(import.meta.url).resolve(PACKAGE);
  const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/** Where the packaged Chromium is unpacked: one folder per package version. */
export function packagedChromiumDir(): string {
  return join(tmpdir(), `blindspot-chromium-${packageVersion()}`);
}

/**
 * Unpacks the packaged Chromium, once. The package unpacks into `os.tmpdir()` and reuses
 * whatever it finds there, so a Chromium or its libraries left in /tmp by another
 * version make it crash (SIGTRAP). Hence a private folder per version, filled under a
 * temporary name and renamed into place when complete, so that an interrupted unpack is
 * never taken for a finished one.
 */
async function unpackPackagedChromium(): Promise<string> {
  const dir = packagedChromiumDir();
  const binary = join(dir, 'chromium');
  if (existsSync(binary)) return binary;
  mkdirSync(tmpdir(), { recursive: true });
  const staging = mkdtempSync(`${dir}.partial-`);
  const saved = process.env.TMPDIR;
  // The package takes its target folder from os.tmpdir(), which reads TMPDIR.
  process.env.TMPDIR = staging;
  try {
    const { default: packaged } = await import(PACKAGE);
    const unpacked = await packaged.executablePath();
    if (unpacked !== join(staging, 'chromium')) throw new Error(`${PACKAGE} unpacked to ${unpacked}, not into ${staging}`);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  try {
    renameSync(staging, dir);
  } catch (err) {
    // Another process finished first: use its copy.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(binary)) throw err;
  }
  return binary;
}

/** The Chromium binary tests launch: CHROMIUM_PATH, else the packaged one (unpacked on first use). */
export async function chromiumPath(): Promise<string> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  return unpackPackagedChromium();
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: await chromiumPath(), args: FLAGS, headless: true });
}
