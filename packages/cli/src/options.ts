/**
 * Every option of the command line, declared once: its name, help text and how its
 * value is read and checked. Commands pick the ones they take. The Redis URL, prefix and
 * log level are checked by the same rules as the services' environment (config.ts).
 */
import {
  DEFAULT_PREFIX,
  LOG_LEVELS,
  MAX_PARTITIONS,
  SERVICES,
  logLevelSchema,
  prefixSchema,
  problemWith,
  redisUrlSchema,
  type ServiceName,
} from '@blindspot/pipeline/config';
import { DEFAULT_BATCH_SIZE } from '@blindspot/pipeline/embedded';
import { OptionProblem, type OptionDef } from './args';

const DEFAULT_TIMEOUT_SECONDS = 1800;

function flag(name: string, help: string, short?: string): OptionDef<boolean> {
  return { name, help, ...(short ? { short } : {}), read: (given) => given.length > 0 };
}

/** An option given at most once: its value, or undefined when absent. */
function single<T>(name: string, takes: string, help: string, parse: (raw: string) => T): OptionDef<T | undefined> {
  return { name, takes, help, read: (given) => (given[0] === undefined ? undefined : parse(given[0])) };
}

const WHOLE = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;

/** A whole number from min to max, or an OptionProblem saying so. */
function whole(raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!WHOLE.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new OptionProblem(`must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/** `raw`, if it passes `schema`; else an OptionProblem quoting it, unless it may hold a secret. */
function checked(schema: Parameters<typeof problemWith>[0], raw: string, quote = true): string {
  const problem = problemWith(schema, raw);
  if (problem) throw new OptionProblem(quote ? `${raw}: ${problem}` : problem);
  return raw;
}

export const help = flag('help', 'show this help', 'h');

export const json = flag('json', 'print only the result document (JSON) on stdout');

export const redis = single(
  'redis',
  '<url>',
  'run over BullMQ against this Redis; the four services are\nstarted as separate processes and stopped afterwards',
  // Never quoted back: a Redis URL may hold a password.
  (raw) => checked(redisUrlSchema, raw, false),
);

export const externalServices = flag(
  'external-services',
  'with --redis: only submit the run and wait for services\nstarted elsewhere (compose, other machines)',
);

export const dashboardQueueActions = flag(
  'dashboard-queue-actions',
  "let the dashboard's user write the queues (for\nDASHBOARD_QUEUE_ACTIONS=true); it still only reads the runs",
);

export const prefix: OptionDef<string> = {
  name: 'prefix',
  takes: '<{tag}>',
  help: `queue and key prefix, a Redis hash tag (default: the\nBLINDSPOT_PREFIX environment variable, else ${DEFAULT_PREFIX})`,
  read(given) {
    if (given[0] !== undefined) return checked(prefixSchema, given[0]);
    const env = process.env.BLINDSPOT_PREFIX;
    if (!env) return DEFAULT_PREFIX;
    const problem = problemWith(prefixSchema, env);
    if (problem) throw new OptionProblem(`BLINDSPOT_PREFIX=${env} (the default of --prefix): ${problem}`, true);
    return env;
  },
};

export const partitions: OptionDef<number> = {
  name: 'partitions',
  takes: '<n>',
  help: `with --redis: partitions of the deployment's keys and queues, each
its own Redis Cluster slot (every service must have the same; default: the
BLINDSPOT_PARTITIONS environment variable, else 1)`,
  read(given) {
    if (given[0] !== undefined) return whole(given[0], 1, MAX_PARTITIONS);
    const env = process.env.BLINDSPOT_PARTITIONS;
    if (!env) return 1;
    try {
      return whole(env, 1, MAX_PARTITIONS);
    } catch (err) {
      throw new OptionProblem(`BLINDSPOT_PARTITIONS=${env} (the default of --partitions): ${(err as Error).message}`, true);
    }
  },
};

export const replicas: OptionDef<Partial<Record<ServiceName, number>>> = {
  name: 'replicas',
  takes: '<list>',
  help: 'with --redis: processes per service, e.g. scanner=3,metadata-detector=2',
  read(given) {
    const out: Partial<Record<ServiceName, number>> = {};
    if (given[0] === undefined) return out;
    for (const part of given[0].split(',')) {
      const [name, count] = part.split('=');
      if (!SERVICES.includes(name as ServiceName)) throw new OptionProblem(`--replicas: unknown service "${name}" (services: ${SERVICES.join(', ')})`);
      if (count === undefined || !WHOLE.test(count) || Number(count) < 1 || Number(count) > 64) {
        throw new OptionProblem(`--replicas: ${name} needs a whole number of processes from 1 to 64, e.g. ${name}=2`);
      }
      out[name as ServiceName] = Number(count);
    }
    return out;
  },
};

export const seed = single('seed', '<n>', "override the scenario's seed (to see how much a figure moves by chance)", (raw) =>
  whole(raw, 0, Number.MAX_SAFE_INTEGER),
);

/** The most replications one command may ask for. */
export const MAX_REPLICATIONS = 1000;

export const replications: OptionDef<number> = {
  name: 'replications',
  takes: '<n>',
  help: `run each scenario at n seeds derived from its own (at most ${MAX_REPLICATIONS}), in\nparallel, and show every figure as a mean with its 95% interval;\ncompare runs every scenario at the same seeds (default 1)`,
  read: (given) => (given[0] === undefined ? 1 : whole(given[0], 1, MAX_REPLICATIONS)),
};

/** Worker threads for replications and sweeps. */
export const workers = single('workers', '<n>', 'run at most n replications or sweep runs at once, one per\nworker thread (default: one per core)', (raw) =>
  whole(raw, 1, 256),
);

export const batchSize: OptionDef<number> = {
  name: 'batch-size',
  takes: '<n>',
  help: `messages per batch (default ${DEFAULT_BATCH_SIZE}); results do not depend on it`,
  read: (given) => (given[0] === undefined ? DEFAULT_BATCH_SIZE : whole(given[0], 1, 1_000_000)),
};

export const timeout: OptionDef<number> = {
  name: 'timeout',
  takes: '<seconds>',
  help: `give up on a --redis run after this long, and cancel it (default ${DEFAULT_TIMEOUT_SECONDS})`,
  read(given) {
    const raw = given[0];
    if (raw === undefined) return DEFAULT_TIMEOUT_SECONDS * 1000;
    if (!DECIMAL.test(raw) || !(Number(raw) > 0)) throw new OptionProblem(`must be a positive number of seconds, got "${raw}"`);
    return Number(raw) * 1000;
  },
};

export const logLevel: OptionDef<string> = {
  name: 'log-level',
  takes: '<level>',
  help: `log level of started services (default warn):\n${LOG_LEVELS.join(', ')}`,
  read: (given) => (given[0] === undefined ? 'warn' : checked(logLevelSchema, given[0])),
};

export const out = single(
  'out',
  '<dir>',
  'write the results into this folder (refused if it already holds\na file this command writes, unless --force); default: a new\nfolder under BLINDSPOT_OUT, else results/, for every run',
  (raw) => {
    if (raw.trim() === '') throw new OptionProblem('needs a folder name');
    return raw;
  },
);

export const force = flag('force', 'with --out: overwrite the files this command writes there');

export const set: OptionDef<string[]> = {
  name: 'set',
  takes: '<path>=<values>',
  multiple: true,
  help: 'run once per value of this scenario field, e.g.\n--set detection.userReports.probability=0.01,0.03,0.1;\nseveral --set options run every combination (at most 64 runs)',
  read: (given) => given,
};

export const vary: OptionDef<string[]> = {
  name: 'vary',
  takes: '<path>=<low>..<high>',
  multiple: true,
  help: 'vary this scenario field over this range, e.g.\n--vary detection.userReports.probability=0.01..0.1 (default: every\nnumber the file marks "assumption", from half to 1.5 times its value)',
  read: (given) => given,
};

export const against = single(
  'against',
  '<baseline.yaml>',
  'also run this scenario at every point, with the same values and\nseed, and measure the output against it',
  (raw) => raw,
);

export const output = single(
  'output',
  '<figure>',
  "the figure to rank by: a path of the result (reports.total), or\ndrop:, ratio: or change: before it against --against's scenario\n(default: drop:reports.total with --against, else reports.total)",
  (raw) => raw,
);

export const trajectories: OptionDef<number> = {
  name: 'trajectories',
  takes: '<r>',
  help: 'Morris trajectories, each (fields + 1) runs at its own seed (default 10)',
  read: (given) => (given[0] === undefined ? 10 : whole(given[0], 2, 200)),
};

export const method: OptionDef<'morris' | 'sobol'> = {
  name: 'method',
  takes: '<morris|sobol>',
  help: 'morris: screening, (fields + 1) runs a trajectory (default);\nsobol: variance shares with intervals, (fields + 2) runs a sample',
  read(given) {
    const raw = given[0];
    if (raw === undefined) return 'morris';
    if (raw !== 'morris' && raw !== 'sobol') throw new OptionProblem(`must be morris or sobol, got "${raw}"`);
    return raw;
  },
};

export const samples: OptionDef<number> = {
  name: 'samples',
  takes: '<n>',
  help: "Sobol: rows of Saltelli's design, each (fields + 2) runs at its own seed (default 32)",
  read: (given) => (given[0] === undefined ? 32 : whole(given[0], 4, 10_000)),
};

export const levels: OptionDef<number> = {
  name: 'levels',
  takes: '<p>',
  help: 'levels of each field on the Morris grid: an even number (default 4)',
  read(given) {
    if (given[0] === undefined) return 4;
    const p = whole(given[0], 2, 20);
    if (p % 2 !== 0) throw new OptionProblem(`must be an even number, got "${given[0]}"`);
    return p;
  },
};

export const targets = single('targets', '<targets.yaml>', 'the targets to fit to, and the fields to fit (fit:)', (raw) => raw);

export const calibrationReplications: OptionDef<number> = {
  name: 'replications',
  takes: '<n>',
  help: 'run every evaluation at these n seeds (default 3)',
  read: (given) => (given[0] === undefined ? 3 : whole(given[0], 1, 100)),
};

export const budget: OptionDef<number> = {
  name: 'budget',
  takes: '<evaluations>',
  help: 'stop the search after this many evaluations (default 40)',
  read: (given) => (given[0] === undefined ? 40 : whole(given[0], 2, 10_000)),
};

export const check = flag('check', "only evaluate the targets at the file's own values: the fit\ntable, no search and no fitted scenario");

export const from = single('from', '<scenario.yaml>', 'copy this scenario instead of the commented base scenario', (raw) => raw);

function atLeastZero(name: string, takes: string, help: string): OptionDef<number | undefined> {
  return single(name, takes, help, (raw) => {
    if (!DECIMAL.test(raw)) throw new OptionProblem(`must be a number, 0 or more, got "${raw}"`);
    return Number(raw);
  });
}

export const minMessagesPerSecond = atLeastZero('min-messages-per-second', '<n>', 'exit 1 if throughput is below this many messages per second');
export const maxRedisMb = atLeastZero('max-redis-mb', '<mb>', "exit 1 if Redis's peak memory is above this many megabytes");

/** The scenario with --seed applied, if it was given: the one place the override happens. */
export function withSeed<T extends { seed: number }>(scenario: T, override: number | undefined): T {
  return override === undefined ? scenario : { ...scenario, seed: override };
}
