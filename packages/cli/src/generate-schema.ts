/**
 * `pnpm schema`: writes the scenario JSON Schema and the scenario reference from the zod
 * schema. `--check` only compares them with the committed files (exit 1 when stale).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchema, scenarioReference } from '@blindspot/core/schema-doc';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The generated files, path (relative to the repository) → content. */
export function generatedFiles(): Record<string, string> {
  return {
    'schema/scenario.schema.json': `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`,
    'docs/scenario-reference.md': scenarioReference(),
  };
}

function main(): number {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [path, content] of Object.entries(generatedFiles())) {
    const full = join(root, path);
    let current = '';
    try {
      current = readFileSync(full, 'utf8');
    } catch {
      // missing: stale
    }
    if (current === content) continue;
    if (check) {
      process.stderr.write(`${path} is stale: run pnpm schema\n`);
      stale++;
    } else {
      writeFileSync(full, content);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
  return stale > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
