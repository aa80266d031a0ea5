/**
 * The bench's population figure: how long building the accounts and the social graph
 * of `scenarios/e2ee.yaml` scaled to N accounts takes (adults and minors in the file's
 * proportion, 7 simulated days), and the memory it needs: peak RSS, what stays after
 * the build, bytes per account, and the memory model's estimate beside them. N is
 * 10,000,000 unless `pnpm bench --population <N>` says otherwise (100,000 with --quick).
 *
 * Each build runs in a process of its own, so that its peak RSS is the population's
 * and nothing else's: as a module, populationFigure spawns this file; as a script,
 * `bench-population.ts <accounts>` builds once and prints the figure as JSON.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { estimateMemory, type Scenario } from '@blindspot/core';
import { buildPopulation } from '@blindspot/core/world';
import { loadScenario } from './load';
import { REPO_ROOT } from './spawn';

export interface PopulationFigure {
  accounts: number;
  contactPairs: number;
  buildSeconds: number;
  /** The process before the build (Node, the modules, the scenario). */
  baselineRssMb: number;
  peakRssMb: number;
  /** After the build and a full garbage collection: what a run keeps. */
  retainedRssMb: number;
  /** Peak RSS above the baseline, per account. */
  bytesPerAccount: number;
  retainedBytesPerAccount: number;
  /** The memory model's population part for the same accounts and contacts, before any message. */
  estimatedMb: number;
}

const MB = 2 ** 20;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

/** scenarios/e2ee.yaml with `accounts` accounts over 7 days. */
export function scaledScenario(accounts: number): Scenario {
  const { scenario } = loadScenario(join(REPO_ROOT, 'scenarios/e2ee.yaml'));
  const p = scenario.population;
  const adults = Math.round((accounts * p.adults) / (p.adults + p.minors));
  return { ...scenario, durationDays: 7, population: { ...p, adults, minors: accounts - adults } };
}

/**
 * A full garbage collection, and time for V8 to free the typed arrays it found dead
 * (their memory goes back on another thread, after the collection).
 */
async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  gc?.();
}

/** The scenario with no messages and nothing encrypted: what the memory model says of the population alone. */
function unsent(scenario: Scenario): Scenario {
  const none = { encryption: 'none', fromDay: 0, rampDays: 0 } as const;
  return {
    ...scenario,
    traffic: { ...scenario.traffic, messagesPerUserPerDay: 0, profilePhotoChangesPerMonth: 0 },
    surfaces: { directMessages: none, publicPosts: none, profilePhotos: none },
  };
}

/** Builds the population once in this process and measures it. */
async function measure(accounts: number): Promise<PopulationFigure> {
  const scenario = scaledScenario(accounts);
  await collect();
  const baseline = process.memoryUsage().rss;
  const started = performance.now();
  const population = buildPopulation(scenario);
  const buildSeconds = (performance.now() - started) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  await collect();
  const retained = process.memoryUsage().rss;
  if (population.contacts.items.length === 0) throw new Error('the population has no contacts');
  return {
    accounts,
    contactPairs: population.contacts.items.length / 2,
    buildSeconds: Math.round(buildSeconds * 100) / 100,
    baselineRssMb: mb(baseline),
    peakRssMb: mb(peak),
    retainedRssMb: mb(retained),
    bytesPerAccount: Math.round((peak - baseline) / accounts),
    retainedBytesPerAccount: Math.round((retained - baseline) / accounts),
    estimatedMb: mb(estimateMemory(unsent(scenario)).parts.population as number),
  };
}

/** The figure for `accounts` accounts, measured in a fresh process. */
export async function populationFigure(accounts: number): Promise<PopulationFigure> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'packages/cli/src/bench-population.ts', String(accounts)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`population bench of ${accounts} accounts exited with ${code}`);
  return JSON.parse(out) as PopulationFigure;
}

/** The accounts `--population <N>` asks for in `argv`, else the default. */
export function populationAccounts(argv: readonly string[], quick: boolean): number {
  const i = argv.indexOf('--population');
  const n = i >= 0 ? Number(argv[i + 1]) : quick ? 100_000 : 10_000_000;
  if (!(Number.isInteger(n) && n >= 2)) throw new Error(`--population takes a number of accounts, got ${argv[i + 1]}`);
  return n;
}

/** One line of the bench's table. */
export function populationLine(f: PopulationFigure): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return `population ${n(f.accounts)} accounts  ${n(f.contactPairs)} pairs built in ${f.buildSeconds} s; peak RSS ${n(f.peakRssMb)} MB (${n(f.bytesPerAccount)} B/account), ${n(f.retainedRssMb)} MB after (${n(f.retainedBytesPerAccount)} B/account); estimate ${n(f.estimatedMb)} MB`;
}

if (process.argv[1]?.endsWith('bench-population.ts') && process.argv[2] !== undefined) {
  process.stdout.write(`${JSON.stringify(await measure(Number(process.argv[2])))}\n`);
}
