/** `blindspot sensitivity`: which assumptions move an output the most (see ../analysis/sensitivity.ts). */
import { sensitivity } from '../analysis/sensitivity';
import * as opt from '../options';
import { defineCommand } from './command';

export const sensitivityCommand = defineCommand({
  name: 'sensitivity',
  summary: 'rank which assumptions move an output the most (Morris or Sobol)',
  usage: ['sensitivity <scenario.yaml> [--vary <field.path>=<low>..<high> ...] [--against <baseline.yaml>] [--output <figure>] [options]'],
  about: `Screens many fields at once with Morris elementary effects: --trajectories r runs of\n(fields + 1) runs each, every trajectory at its own seed; or, with --method sobol, Sobol'\nindices from --samples n rows of (fields + 2) runs. Without --vary, every number the\nfile marks "assumption" varies from half to 1.5 times its value. With --against, every run\nalso runs the baseline with the same values and seed, and the output defaults to the\ndrop in reports to police (drop:reports.total). Prints the ranking and writes\nsensitivity-<name>.json, .csv, -points.csv and .html (a tornado chart).`,
  operands: { min: 1, max: 1, problem: 'sensitivity takes exactly one scenario file' },
  options: {
    vary: opt.vary,
    against: opt.against,
    output: opt.output,
    method: opt.method,
    trajectories: opt.trajectories,
    levels: opt.levels,
    samples: opt.samples,
    seed: opt.seed,
    workers: opt.workers,
    json: opt.json,
    out: opt.out,
    force: opt.force,
    batchSize: opt.batchSize,
  },
  refuse: { redis: 'sensitivity runs embedded, in parallel on this machine; --redis is not supported' },
  async run(v, [file]) {
    await sensitivity(file as string, {
      vary: v.vary,
      method: v.method,
      trajectories: v.trajectories,
      levels: v.levels,
      samples: v.samples,
      batchSize: v.batchSize,
      json: v.json,
      force: v.force,
      ...(v.against === undefined ? {} : { against: v.against }),
      ...(v.output === undefined ? {} : { output: v.output }),
      ...(v.seed === undefined ? {} : { seed: v.seed }),
      ...(v.workers === undefined ? {} : { workers: v.workers }),
      ...(v.out === undefined ? {} : { out: v.out }),
    });
    return 0;
  },
});
