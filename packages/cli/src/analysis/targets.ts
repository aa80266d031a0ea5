/**
 * A calibration's targets file: what the model should reproduce (each a figure of a
 * run, or a comparison with a baseline scenario, with the value and the tolerance it
 * is held to, and where the figure comes from), and optionally the fields to fit, each
 * with its range. Scenario paths are relative to the targets file. Every problem names
 * the file, line and field.
 *
 *   targets:
 *     - name: NCMEC, reports lost with E2EE
 *       scenario: platform-e2ee.yaml      # default: the scenario given to calibrate
 *       against: platform.yaml            # the baseline of drop:, ratio: and change:
 *       output: ratio:cyberTips.reports
 *       value: 0.30
 *       tolerance: 0.05
 *       source: NCMEC 2023, "up to 70%"
 *   fit:
 *     - field: population.lookalikes.viralSharers.publicShare
 *       range: [0.02, 0.3]
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { z } from 'zod';
import { describeIssue, formatProblem, position, type Problem } from '@blindspot/core/scenario';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { InputError, readScenarioText } from '../load';
import { parseOutput, type OutputSpec } from './outputs';

const targetSchema = z
  .object({
    name: z.string().min(1).describe('What the target is, for the fit table.'),
    scenario: z
      .string()
      .min(1)
      .optional()
      .describe('The scenario whose runs give the figure (relative to this file); default: the scenario given to calibrate.'),
    against: z.string().min(1).optional().describe('The baseline scenario of a drop:, ratio: or change: output (relative to this file).'),
    output: z.string().min(1).describe('A figure of the result (reports.total), or drop:, ratio: or change: before it against `against`.'),
    value: z.number().describe('The value the figure should have.'),
    tolerance: z.number().positive().describe('How far from the value the simulated mean may be and still count as a fit.'),
    source: z.string().optional().describe('Where the value comes from.'),
  })
  .strict();

const fitSchema = z
  .object({
    field: z.string().min(1).describe('A scenario field to fit, as --vary takes it.'),
    range: z.tuple([z.number(), z.number()]).describe('[low, high]: the values the fit may take.'),
  })
  .strict();

const targetsSchema = z
  .object({
    description: z.string().optional(),
    targets: z.array(targetSchema).min(1),
    fit: z.array(fitSchema).optional(),
  })
  .strict();

export interface Target {
  name: string;
  /** The scenario files, relative to the working folder (null: the scenario given to calibrate). */
  scenario: string | null;
  against: string | null;
  output: OutputSpec;
  value: number;
  tolerance: number;
  source?: string;
}

export interface TargetsFile {
  file: string;
  targets: Target[];
  /** `--vary` texts for the fields the file says to fit. */
  fit: string[];
}

export function readTargets(path: string): TargetsFile {
  const { text, file } = readScenarioText(path);
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.map((e) =>
        formatProblem(file, {
          path: '',
          message: e.message.split('\n')[0] ?? e.message,
          ...(e.linePos ? { line: e.linePos[0].line, column: e.linePos[0].col } : {}),
        }),
      ),
    );
  }
  const data = doc.toJS({ maxAliasCount: 0 });
  const parsed = targetsSchema.safeParse(data);
  if (!parsed.success) {
    const problems: Problem[] = parsed.error.issues.map((issue) => ({
      path: issue.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
        .join('.')
        .replace(/\.\[/g, '['),
      message: issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : describeIssue(issue),
      ...position(doc, counter, issue.path),
    }));
    throw new InputError(problems.map((p) => formatProblem(file, p)));
  }
  const here = dirname(resolve(path));
  // As a scenario given on the command line is recorded: relative to where the command runs (so runs match the cache's).
  const near = (p: string) => (isAbsolute(p) ? p : relative(process.cwd(), resolve(here, p)) || p);
  const problems: string[] = [];
  const targets: Target[] = [];
  parsed.data.targets.forEach((t, i) => {
    const at = (field: string) => {
      const pos = position(doc, counter, ['targets', i, field]);
      return (message: string) => formatProblem(file, { path: `targets[${i}].${field}`, message, ...pos });
    };
    try {
      const output = parseOutput(t.output, t.against !== undefined, 'output');
      targets.push({
        name: t.name,
        scenario: t.scenario === undefined ? null : near(t.scenario),
        against: t.against === undefined ? null : near(t.against),
        output,
        value: t.value,
        tolerance: t.tolerance,
        ...(t.source === undefined ? {} : { source: t.source }),
      });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      problems.push(
        ...err.lines.map((l) =>
          at('output')(l.replace(/^output [^:]*: /, '').replace('give one with --against <baseline.yaml>', 'give one with against: <baseline.yaml>')),
        ),
      );
    }
  });
  const fit = (parsed.data.fit ?? []).map((f) => `${f.field}=${f.range[0]}..${f.range[1]}`);
  // Keep the map and list checks honest: the document must be a mapping with a list of targets.
  if (!isMap(doc.contents) || !isSeq(doc.getIn(['targets'], true))) problems.push(`${file}: targets: expected a list of targets`);
  if (problems.length > 0) throw new InputError(problems);
  return { file, targets, fit };
}
