/** `blindspot validate` and `blindspot new`: scenario files, checked or started, nothing run. */
import * as opt from '../options';
import { printedProblems } from '../load';
import { jsonText, printable } from '../output';
import { newScenario, validateFiles } from '../scaffold';
import { defineCommand } from './command';

export const validateCommand = defineCommand({
  name: 'validate',
  summary: 'check scenario files without running them',
  usage: ['validate <scenario.yaml> [<more.yaml> ...] [--json]'],
  about:
    'Names the file, line, field and allowed values of every mistake in every file, and\nwhether a run of it would fit in memory. Exits 2 if any file has a problem.',
  operands: { min: 1, max: Number.POSITIVE_INFINITY, problem: 'validate takes one or more scenario files' },
  options: { json: opt.json },
  async run(v, files, io) {
    const checked = validateFiles(files);
    // The JSON carries every problem; the terminal gets the first few of each file.
    if (v.json) io.stdout.write(jsonText(checked));
    for (const c of checked) {
      if (c.ok && !v.json) io.stdout.write(`${printable(`${c.file}: ok (${c.name})`)}\n`);
      for (const line of printedProblems(c.problems)) io.stderr.write(`${printable(line)}\n`);
    }
    return checked.every((c) => c.ok) ? 0 : 2;
  },
});

export const newCommand = defineCommand({
  name: 'new',
  summary: 'write a commented scenario file to start from',
  usage: ['new <name> [--from <scenario.yaml>]'],
  about: 'A plain name writes scenarios/<name>.yaml; a path ending in .yaml is used as given.\nNever overwrites a file.',
  operands: { min: 1, max: 1, problem: 'new takes exactly one name, e.g. blindspot new my-scenario' },
  options: { from: opt.from },
  async run(v, [name]) {
    const path = newScenario(name as string, v.from);
    process.stdout.write(`${printable(`wrote ${path}: edit it, then: pnpm blindspot run ${path}`)}\n`);
    return 0;
  },
});
