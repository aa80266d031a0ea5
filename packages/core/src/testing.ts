/**
 * The one scenario builder for tests: a small scenario written as plain data, with
 * overrides merged into it, validated by the same loader analysts' files go through.
 * Tests import it from `@blindspot/core/testing` (never the product's own code).
 */
import { formatProblem, type Scenario, validateScenario } from './scenario';

/** A scenario as plain data: what a test would write in a YAML file. */
export type ScenarioData = Record<string, unknown>;

const isPlainObject = (v: unknown): v is ScenarioData => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge of plain objects: nested sections merge, arrays and scalars replace. */
export function mergeData(base: ScenarioData, over: ScenarioData): ScenarioData {
  const out: ScenarioData = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    out[k] = isPlainObject(v) && isPlainObject(prev) ? mergeData(prev, v) : v;
  }
  return out;
}

/**
 * A validated scenario from `base` with each of `overrides` merged in turn. Throws with
 * every problem, one line each as the CLI prints them, when the result does not validate:
 * a test's scenario that does not load is a bug in the test.
 */
export function testScenario(base: ScenarioData, ...overrides: ScenarioData[]): Scenario {
  const data = overrides.reduce(mergeData, base);
  const file = typeof data.name === 'string' ? `${data.name}.yaml` : 'test.yaml';
  const r = validateScenario(data, file);
  if (!r.ok) throw new Error(`test scenario does not validate:\n${r.problems.map((p) => formatProblem(file, p)).join('\n')}`);
  return r.scenario;
}

/**
 * The fields of an envelope, sorted: what the platform may know of a message. Written out
 * by hand on purpose, apart from the Envelope type: a test that holds every envelope to
 * this list fails when a field (a truth label, say) is added to what travels, until
 * someone decides here that the server may see it.
 */
export const ENVELOPE_FIELDS: readonly string[] = [
  'connected',
  'encrypted',
  'id',
  'media',
  'recipient',
  'recipientMinor',
  'sender',
  'senderAccountAgeDays',
  'senderMinor',
  'size',
  'surface',
  't',
];
