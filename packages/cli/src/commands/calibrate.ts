/** `blindspot calibrate`: fit chosen fields to targets (see ../analysis/calibrate.ts). */
import { calibrate } from '../analysis/calibrate';
import * as opt from '../options';
import { defineCommand } from './command';

export const calibrateCommand = defineCommand({
  name: 'calibrate',
  summary: 'fit chosen fields of a scenario to target figures',
  usage: ['calibrate <scenario.yaml> --targets <targets.yaml> [--vary <field.path>=<low>..<high> ...] [options]'],
  about:
    'Fits the fields the targets file lists under fit: (or the --vary fields) within their\nranges, with Nelder-Mead on the squared misses in tolerances; every evaluation runs the\nscenarios the targets need at the same --replications seeds. Prints the fit table and\nwrites calibrate-<name>.yaml (the fitted scenario, each fitted value commented), .json,\n-fit.csv, -trace.csv and .html.',
  operands: { min: 1, max: 1, problem: 'calibrate takes exactly one scenario file' },
  options: {
    targets: opt.targets,
    vary: opt.vary,
    replications: opt.calibrationReplications,
    budget: opt.budget,
    check: opt.check,
    seed: opt.seed,
    workers: opt.workers,
    json: opt.json,
    out: opt.out,
    force: opt.force,
    batchSize: opt.batchSize,
  },
  refuse: { redis: 'calibrate runs embedded, in parallel on this machine; --redis is not supported' },
  check: (v) => (v.targets === undefined ? ['calibrate needs --targets <targets.yaml>'] : []),
  async run(v, [file]) {
    await calibrate(file as string, {
      targets: v.targets as string,
      vary: v.vary,
      replications: v.replications,
      budget: v.budget,
      check: v.check,
      batchSize: v.batchSize,
      json: v.json,
      force: v.force,
      ...(v.seed === undefined ? {} : { seed: v.seed }),
      ...(v.workers === undefined ? {} : { workers: v.workers }),
      ...(v.out === undefined ? {} : { out: v.out }),
    });
    return 0;
  },
});
