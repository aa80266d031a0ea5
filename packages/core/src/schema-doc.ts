/**
 * The scenario schema for editors and readers, generated from the zod schema (never
 * written by hand): a JSON Schema that VS Code's YAML extension uses to complete and
 * check fields, and a Markdown reference of every field.
 */
import { z } from 'zod';
import { scenarioSchema } from './scenario';

const SCHEMA_ID = 'https://blindspot.invalid/schema/scenario.schema.json';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  [key: string]: unknown;
};

/** The JSON Schema of a scenario file (draft 2020-12), with a description on every field. */
export function scenarioJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-2020-12' }) as JsonSchema;
  return {
    $schema: schema.$schema,
    $id: SCHEMA_ID,
    title: 'Blindspot scenario',
    description:
      'A Blindspot scenario: a synthetic messaging platform, its offenders and its detection pipeline. Generated from the zod schema in packages/core/src/scenario/schema.ts by `pnpm schema`; do not edit by hand.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}

export interface FieldDoc {
  path: string;
  type: string;
  required: boolean;
  default?: unknown;
  range?: string;
  description: string;
}

function typeOf(node: JsonSchema): string {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (node.type === 'array' && node.items) return `list of ${typeOf(node.items)}`;
  if (node.type === 'integer') return 'whole number';
  if (node.type === 'object') return 'section';
  return String(node.type ?? 'any');
}

function rangeOf(node: JsonSchema): string | undefined {
  const lo = node.minimum ?? node.exclusiveMinimum;
  const hi = node.maximum ?? node.exclusiveMaximum;
  if (lo === undefined && hi === undefined) return undefined;
  const left = lo === undefined ? '' : `${node.exclusiveMinimum !== undefined ? '>' : '≥'} ${lo}`;
  const right = hi === undefined ? '' : `${node.exclusiveMaximum !== undefined ? '<' : '≤'} ${hi}`;
  return [left, right].filter(Boolean).join(', ');
}

/** Every field of the schema, depth first, with its description, type, default and range. */
export function scenarioFields(schema: JsonSchema = scenarioJsonSchema()): FieldDoc[] {
  const out: FieldDoc[] = [];
  const walk = (node: JsonSchema, prefix: string) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      const range = rangeOf(child);
      out.push({
        path,
        type: typeOf(child),
        required: (node.required ?? []).includes(key) && child.default === undefined,
        ...(child.default !== undefined && child.type !== 'object' ? { default: child.default } : {}),
        ...(range ? { range } : {}),
        description: child.description ?? '',
      });
      if (child.properties) walk(child, path);
      // A list of sections (platforms): each entry's own fields, one level deep; its
      // sections are the top-level ones again, so are listed once, at the top.
      else if (child.type === 'array' && child.items?.properties) {
        for (const [field, item] of Object.entries(child.items.properties)) {
          const itemRange = rangeOf(item);
          out.push({
            path: `${path}[].${field}`,
            type: typeOf(item),
            required: (child.items.required ?? []).includes(field) && item.default === undefined,
            ...(item.default !== undefined && item.type !== 'object' ? { default: item.default } : {}),
            ...(itemRange ? { range: itemRange } : {}),
            description: item.description ?? '',
          });
        }
      }
    }
  };
  walk(schema, '');
  return out;
}

/** The Markdown scenario reference. */
export function scenarioReference(): string {
  const rows = scenarioFields().map((f) => {
    const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
    const def = f.required ? '**required**' : f.default === undefined ? '' : `\`${JSON.stringify(f.default)}\``;
    return `| \`${f.path}\` | ${cell(f.type)} | ${def} | ${cell(f.range ?? '')} | ${cell(f.description)} |`;
  });
  return [
    '# Scenario reference',
    '',
    'Every field of a scenario file, generated from the schema (`pnpm schema`); do not edit by hand.',
    'A field left out takes its default. Scores and shares are on 0..1; times are simulated.',
    'The shipped `scenarios/plaintext.yaml` sets every field; [model.md](model.md) gives the basis of every default (sourced, with its citation, or assumption).',
    '',
    '| field | type | default | range | meaning |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
