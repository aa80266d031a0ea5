/** `blindspot sweep`: one scenario, once per value of one or more fields (see ../sweep.ts). */
import * as opt from '../options';
import { sweep } from '../sweep';
import { defineCommand } from './command';

export const sweepCommand = defineCommand({
  name: 'sweep',
  summary: 'run one scenario once per value of a field, side by side',
  usage: ['sweep <scenario.yaml> --set <field.path>=<v1>,<v2>,... [--set ...] [options]'],
  about:
    'Runs the scenario once per value (every combination of several --set options, at most\n64 runs), in parallel on this machine, prints a table with one row per run and writes\nsweep-<name>.json, .csv, .html, -per-day.csv and -per-month.csv. Every variant is\nchecked first.',
  operands: { min: 1, max: 1, problem: 'sweep takes exactly one scenario file' },
  options: {
    set: opt.set,
    replications: opt.replications,
    workers: opt.workers,
    json: opt.json,
    out: opt.out,
    force: opt.force,
    seed: opt.seed,
    batchSize: opt.batchSize,
  },
  refuse: { redis: 'sweep runs embedded, in parallel on this machine; --redis is not supported' },
  check: (v) => (v.set.length === 0 ? ['sweep needs at least one --set <field.path>=<v1>,<v2>,...'] : []),
  async run(v, [file]) {
    await sweep(file as string, {
      json: v.json,
      force: v.force,
      batchSize: v.batchSize,
      set: v.set,
      replications: v.replications,
      ...(v.workers === undefined ? {} : { workers: v.workers }),
      ...(v.out === undefined ? {} : { out: v.out }),
      ...(v.seed === undefined ? {} : { seed: v.seed }),
    });
    return 0;
  },
});
