import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scenarioFields, scenarioJsonSchema } from '@blindspot/core/schema-doc';
import { generatedFiles } from './generate-schema';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('the generated scenario schema and reference', () => {
  it('are committed as generated (run `pnpm schema` after changing the zod schema)', () => {
    for (const [path, content] of Object.entries(generatedFiles())) {
      expect(readFileSync(join(root, path), 'utf8'), `${path} is stale: run pnpm schema`).toBe(content);
    }
  });

  it('describe every field', () => {
    const fields = scenarioFields();
    expect(fields.length).toBeGreaterThan(100);
    expect(fields.filter((f) => f.description.trim() === '').map((f) => f.path)).toEqual([]);
    // spot checks: defaults and ranges come from the zod schema
    expect(fields.find((f) => f.path === 'detection.hashMatching.matchDistance')).toMatchObject({ default: 31, range: '≥ 0, ≤ 256' });
    expect(fields.find((f) => f.path === 'seed')).toMatchObject({ required: true });
    expect(fields.find((f) => f.path === 'surfaces.directMessages.encryption')?.type).toBe('"none" | "e2ee"');
  });

  it('is strict, like the loader: unknown fields are not allowed', () => {
    const schema = scenarioJsonSchema() as { additionalProperties?: boolean; properties: Record<string, { additionalProperties?: boolean }> };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.population?.additionalProperties).toBe(false);
  });

  it('is referenced from every shipped scenario with a yaml-language-server modeline', () => {
    const files = readdirSync(join(root, 'scenarios')).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) {
      expect(readFileSync(join(root, 'scenarios', f), 'utf8').split('\n')[0], f).toBe('# yaml-language-server: $schema=../schema/scenario.schema.json');
    }
  });
});
