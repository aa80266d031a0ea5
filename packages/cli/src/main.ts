/**
 * The `blindspot` command.
 *
 *   blindspot run <scenario.yaml> [--redis <url> [--external-services]] [--json]
 *   blindspot compare <a.yaml> <b.yaml> [<c.yaml> ...] [--redis <url> [--external-services]] [--json]
 *   blindspot sweep <scenario.yaml> --set <field.path>=<v1>,<v2>,... [--set ...] [--json] [--out <dir>]
 *
 * Exit status: 0 done; 1 the run failed (Redis unreachable, a service died, timeout);
 * 2 bad input (scenario file or arguments), before anything was started.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RunResult } from '@blindspot/core';
import { runEmbeddedParallel, DEFAULT_BATCH_SIZE } from '@blindspot/pipeline/embedded';
import { connectClient, submitAndWait } from '@blindspot/pipeline/orchestrate';
import { InputError, loadAll, memoryCheck, type LoadedScenario } from './load';
import { formatProblem } from '@blindspot/core/scenario';
import { compareResults, formatComparison, formatTable, summarize } from './format';
import { spawnServices, type ServiceProcesses } from './spawn';
import { buildVariants, parseSets, readScenarioData, sweep, type Variant } from './sweep';
import { newScenario, validateFiles } from './scaffold';
import { Progress } from './progress';
import { formatLoad, loadCommand } from './loadsim';
import { figuresCsv, perDayCsv, renderHtml, reportsCsv } from './report-html';
import { SERVICES, type ServiceName } from '@blindspot/pipeline/config';

const USAGE = `usage:
  blindspot run <scenario.yaml> [options]
  blindspot compare <a.yaml> <b.yaml> [<more.yaml> ...] [options]
  blindspot sweep <scenario.yaml> --set <field.path>=<v1>,<v2>,... [--set ...] [options]
  blindspot load <scenario.yaml> --redis <url> [--replicas ...] [--min-messages-per-second N] [--max-redis-mb M]
  blindspot validate <scenario.yaml> [...]     check files without running them
  blindspot new <name> [--from <scenario.yaml>]  write a commented scenario to start from

options:
  --json                 print only the result document (JSON) on stdout
  --redis <url>          run over BullMQ against this Redis; the four services are
                         started as separate processes and stopped afterwards
  --external-services    with --redis: only submit the run and wait for services
                         started elsewhere (compose, other machines)
  --out <dir>            where to write the result documents (JSON), an HTML report
                         and per-day CSV (default: BLINDSPOT_OUT, else ./results)
  --set <path>=<values>  sweep: run once per value of this scenario field, e.g.
                         --set detection.userReports.probability=0.01,0.03,0.1;
                         several --set options run every combination (at most 64 runs)
  --replicas <list>      with --redis: processes per service, e.g. scanner=3,metadata-detector=2
  --prefix <{tag}>       queue and key prefix, a Redis hash tag (default: the
                         BLINDSPOT_PREFIX environment variable, else {blindspot})
  --seed <n>             override the scenarios' seed (to see how much a figure moves by chance)
  --batch-size <n>       messages per batch (default ${DEFAULT_BATCH_SIZE}); results do not depend on it
  --timeout <seconds>    give up on a --redis run after this long (default 1800)
  --log-level <level>    log level of started services (default warn)
  -h, --help             show this help`;

interface Options {
  json: boolean;
  redis?: string;
  external: boolean;
  prefix: string;
  batchSize: number;
  timeoutMs: number;
  logLevel: string;
  out: string;
  from?: string;
  minMessagesPerSecond?: number;
  maxRedisMb?: number;
  seed?: number;
  replicas: Partial<Record<ServiceName, number>>;
  set: string[];
}

function parse(argv: string[]): { command: string; files: string[]; options: Options } {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        redis: { type: 'string' },
        'external-services': { type: 'boolean', default: false },
        prefix: { type: 'string', default: process.env.BLINDSPOT_PREFIX || '{blindspot}' },
        out: { type: 'string' },
        seed: { type: 'string' },
        from: { type: 'string' },
        'min-messages-per-second': { type: 'string' },
        'max-redis-mb': { type: 'string' },
        replicas: { type: 'string' },
        'batch-size': { type: 'string', default: String(DEFAULT_BATCH_SIZE) },
        timeout: { type: 'string', default: '1800' },
        'log-level': { type: 'string', default: 'warn' },
        help: { type: 'boolean', short: 'h', default: false },
        set: { type: 'string', multiple: true },
      },
    }));
  } catch (err) {
    throw new InputError([(err as Error).message, USAGE]);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const [command, ...files] = positionals;
  const problems: string[] = [];
  if (!['run', 'compare', 'sweep', 'validate', 'new', 'load'].includes(command ?? ''))
    problems.push(command ? `unknown command "${command}"` : 'no command given');
  if (command === 'load' && files.length !== 1) problems.push('load takes exactly one scenario file');
  if (command === 'load' && !values.redis) problems.push('load runs over BullMQ: give --redis <url>');
  const gate = (name: string, raw: string | undefined) => {
    if (raw === undefined) return undefined;
    const x = Number(raw);
    if (!(x >= 0)) problems.push(`--${name} must be a number, 0 or more`);
    if (command !== 'load') problems.push(`--${name} is only for load`);
    return x;
  };
  const minMessagesPerSecond = gate('min-messages-per-second', values['min-messages-per-second']);
  const maxRedisMb = gate('max-redis-mb', values['max-redis-mb']);
  if (command === 'validate' && files.length === 0) problems.push('validate takes one or more scenario files');
  if (command === 'new' && files.length !== 1) problems.push('new takes exactly one name, e.g. blindspot new my-scenario');
  if (command !== 'new' && values.from !== undefined) problems.push('--from is only for new');
  if (command === 'run' && files.length !== 1) problems.push('run takes exactly one scenario file');
  if (command === 'compare' && files.length < 2) problems.push('compare takes two or more scenario files');
  if (command === 'sweep' && files.length !== 1) problems.push('sweep takes exactly one scenario file');
  if (command === 'sweep' && !values.set?.length) problems.push('sweep needs at least one --set <field.path>=<v1>,<v2>,...');
  if (command === 'sweep' && values.redis !== undefined) problems.push('sweep runs embedded, in parallel on this machine; --redis is not supported');
  if (command !== 'sweep' && values.set !== undefined) problems.push('--set is only for sweep');
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1_000_000) problems.push('--batch-size must be a whole number from 1 to 1000000');
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) problems.push('--seed must be a whole number, 0 or more');
  const replicas: Partial<Record<ServiceName, number>> = {};
  if (values.replicas !== undefined) {
    if (!values.redis) problems.push('--replicas needs --redis <url>');
    for (const part of values.replicas.split(',')) {
      const [name, count] = part.split('=');
      const n = Number(count);
      if (!SERVICES.includes(name as ServiceName)) problems.push(`--replicas: unknown service "${name}" (services: ${SERVICES.join(', ')})`);
      else if (!Number.isInteger(n) || n < 1 || n > 64) problems.push(`--replicas: ${name} needs a whole number of processes from 1 to 64`);
      else replicas[name as ServiceName] = n;
    }
  }
  const timeout = Number(values.timeout);
  if (!(timeout > 0)) problems.push('--timeout must be a positive number of seconds');
  if (values['external-services'] && !values.redis) problems.push('--external-services needs --redis <url>');
  if (values.redis !== undefined && !/^rediss?:\/\/\S+$/.test(values.redis)) problems.push('--redis must be a redis:// or rediss:// URL');
  if (!/^\{[A-Za-z0-9_.-]+\}$/.test(values.prefix)) problems.push('--prefix must be a Redis hash tag such as {blindspot}');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(values['log-level']))
    problems.push('--log-level must be one of fatal, error, warn, info, debug, trace, silent');
  if (problems.length > 0) throw new InputError([...problems, USAGE]);
  return {
    command: command as string,
    files,
    options: {
      json: values.json,
      ...(values.redis ? { redis: values.redis } : {}),
      external: values['external-services'],
      prefix: values.prefix,
      batchSize,
      timeoutMs: timeout * 1000,
      logLevel: values['log-level'],
      out: values.out ?? (process.env.BLINDSPOT_OUT || 'results'),
      ...(seed !== undefined ? { seed } : {}),
      ...(values.from ? { from: values.from } : {}),
      ...(minMessagesPerSecond !== undefined ? { minMessagesPerSecond } : {}),
      ...(maxRedisMb !== undefined ? { maxRedisMb } : {}),
      replicas,
      set: values.set ?? [],
    },
  };
}

async function runAll(scenarios: LoadedScenario[], options: Options): Promise<RunResult[]> {
  if (!options.redis) {
    const results: RunResult[] = [];
    for (const { scenario, file } of scenarios) {
      const progress = new Progress(scenario.name, scenario.durationDays);
      results.push(await runEmbeddedParallel(scenario, { file, batchSize: options.batchSize, onProgress: (m, day) => progress.update(m, day) }));
      progress.done();
    }
    return results;
  }
  const url = options.redis;
  const redis = await connectClient(url);
  let services: ServiceProcesses | undefined;
  const stop = () => {
    void services?.stop().then(() => process.exit(130));
  };
  try {
    if (!options.external) {
      services = spawnServices({ REDIS_URL: url, BLINDSPOT_PREFIX: options.prefix, LOG_LEVEL: options.logLevel }, options.replicas);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
    const results: RunResult[] = [];
    for (const { scenario, file } of scenarios) {
      const progress = new Progress(scenario.name, scenario.durationDays);
      results.push(
        await submitAndWait(redis, scenario, {
          url,
          prefix: options.prefix,
          file,
          batchSize: options.batchSize,
          timeoutMs: options.timeoutMs,
          check: () => services?.problem() ?? null,
          onProgress: (messages, day) => progress.update(messages, day),
        }),
      );
      progress.done();
    }
    return results;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await services?.stop();
    redis.disconnect();
  }
}

/**
 * Refuses a sweep whose runs would not fit in memory: each runs on one thread, as many
 * at once as the sweep has worker threads (one per core, at most one per run). Other
 * problems with the sweep are left to sweep(), which reports them in its own order.
 */
function checkSweepMemory(path: string, options: Options): void {
  let variants: Variant[];
  let file: string;
  try {
    const sets = parseSets(options.set);
    const read = readScenarioData(path, sets);
    file = read.file;
    variants = buildVariants(read.data, file, sets);
  } catch (err) {
    if (err instanceof InputError) return;
    throw err;
  }
  const runsAtOnce = Math.min(availableParallelism(), variants.length);
  const problems = new Set<string>();
  for (const v of variants) {
    const problem = memoryCheck(v.scenario, { scanThreads: 0, runsAtOnce });
    const sets = Object.entries(v.raw)
      .map(([field, raw]) => `--set ${field}=${raw}`)
      .join(' ');
    if (problem) problems.add(`${sets}: ${formatProblem(file, problem)}`);
  }
  if (problems.size > 0) throw new InputError([...problems]);
}

async function main(argv: string[]): Promise<number> {
  try {
    const { command, files, options } = parse(argv);
    if (command === 'sweep') {
      checkSweepMemory(files[0] as string, options);
      await sweep(files[0] as string, options);
      return 0;
    }
    if (command === 'validate') {
      const checked = validateFiles(files);
      if (options.json) process.stdout.write(`${JSON.stringify(checked, null, 2)}\n`);
      for (const c of checked) {
        if (c.ok && !options.json) process.stdout.write(`${c.file}: ok (${c.name})\n`);
        for (const line of c.problems) process.stderr.write(`${line}\n`);
      }
      return checked.every((c) => c.ok) ? 0 : 2;
    }
    if (command === 'load') {
      const [loaded] = loadAll(files).map((s) => (options.seed === undefined ? s : { ...s, scenario: { ...s.scenario, seed: options.seed } }));
      const { report, code } = await loadCommand(loaded as LoadedScenario, { ...options, redis: options.redis as string });
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatLoad(report)}\n`);
      if (!options.json && code !== 0) process.stderr.write('load: a gate was missed\n');
      return code;
    }
    if (command === 'new') {
      const path = newScenario(files[0] as string, options.from);
      process.stdout.write(`wrote ${path}: edit it, then: pnpm blindspot run ${path}\n`);
      return 0;
    }
    const scenarios = loadAll(files).map((s) => (options.seed === undefined ? s : { ...s, scenario: { ...s.scenario, seed: options.seed } }));
    const results = await runAll(scenarios, options);
    const written: string[] = [];
    const write = (file: string, content: string) => {
      mkdirSync(options.out, { recursive: true });
      const path = join(options.out, file);
      writeFileSync(path, content);
      written.push(path);
    };
    const safe = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '-');
    const save = (name: string, doc: unknown) => write(`${safe(name)}.json`, `${JSON.stringify(doc, null, 2)}\n`);
    // The HTML report and the per-day CSV, beside the JSON.
    const report = (stem: string, title: string) => {
      const labels = results.map((r) => r.scenario.name);
      write(`${safe(stem)}.html`, renderHtml({ title, labels, results }));
      write(`${safe(stem)}-per-day.csv`, perDayCsv(labels, results));
      write(`${safe(stem)}-figures.csv`, figuresCsv(labels, results));
      for (const r of results) write(`${safe(r.scenario.name)}-reports.csv`, reportsCsv(r));
    };
    if (command === 'run') {
      const [r] = results as [RunResult];
      save(r.scenario.name, r);
      report(r.scenario.name, `Blindspot: ${r.scenario.name}`);
      process.stdout.write(options.json ? `${JSON.stringify(r, null, 2)}\n` : `${summarize(r)}\n`);
    } else if (results.length === 2) {
      const [a, b] = results as [RunResult, RunResult];
      const c = compareResults(a, b);
      save(a.scenario.name, a);
      save(b.scenario.name, b);
      save('comparison', c);
      report('comparison', `Blindspot: ${a.scenario.name} and ${b.scenario.name}`);
      process.stdout.write(options.json ? `${JSON.stringify(c, null, 2)}\n` : `${formatComparison(c)}\n`);
    } else {
      // More than two: every result, and each one's change against the first.
      const [first, ...rest] = results as [RunResult, ...RunResult[]];
      const doc = { results, changes: rest.map((r) => ({ against: first.scenario.name, scenario: r.scenario.name, ...compareResults(first, r).change })) };
      for (const r of results) save(r.scenario.name, r);
      save('comparison', doc);
      report('comparison', `Blindspot: ${results.map((r) => r.scenario.name).join(', ')}`);
      process.stdout.write(options.json ? `${JSON.stringify(doc, null, 2)}\n` : `${formatTable(results)}\n`);
    }
    // Paths go to stderr under --json so stdout stays one JSON document.
    for (const path of written) (options.json ? process.stderr : process.stdout).write(`wrote ${path}\n`);
    return 0;
  } catch (err) {
    if (err instanceof InputError) {
      process.stderr.write(`${err.lines.join('\n')}\n`);
      return 2;
    }
    process.stderr.write(`blindspot: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
