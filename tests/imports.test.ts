/**
 * The scanner cannot reach key material or ground truth: walking the static imports of
 * its service entry point never reaches the world module (population, clients with
 * keys, ledger). The same walk from the generator must reach it, which shows the walker
 * can see such an import at all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/cli';

const WORKSPACE: Record<string, string> = {
  '@blindspot/core': 'packages/core',
  '@blindspot/pipeline': 'packages/pipeline',
  '@blindspot/cli': 'packages/cli',
  '@blindspot/native': 'packages/native',
};

function resolveWorkspace(spec: string): string | null {
  for (const [name, dir] of Object.entries(WORKSPACE)) {
    if (spec !== name && !spec.startsWith(`${name}/`)) continue;
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as { exports: Record<string, string> };
    const sub = spec === name ? '.' : `.${spec.slice(name.length)}`;
    const target = pkg.exports[sub];
    if (!target) throw new Error(`${spec}: not exported by ${name}`);
    return resolve(REPO_ROOT, dir, target);
  }
  return null;
}

function resolveRelative(from: string, spec: string): string {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts')]) {
    if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  }
  throw new Error(`cannot resolve ${spec} from ${from}`);
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every project source file reachable from `entry`, and every external module it names. */
function closure(entry: string): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
  const queue = [resolve(REPO_ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2] ?? m[3]) as string;
      if (spec.startsWith('.')) queue.push(resolveRelative(file, spec));
      else {
        const ws = resolveWorkspace(spec);
        if (ws) queue.push(ws);
        else external.add(spec);
      }
    }
  }
  return { files, external };
}

const rel = (files: Set<string>) => [...files].map((f) => relative(REPO_ROOT, f)).sort();
const WORLD = 'packages/core/src/world/';

describe('import boundaries', () => {
  it('the generator reaches the world (the walker sees such imports)', () => {
    const { files } = closure('services/generator/src/main.ts');
    expect(rel(files).some((f) => f.startsWith(WORLD))).toBe(true);
    expect(rel(files)).toContain('packages/core/src/world/clients.ts');
  });

  it.each(['services/scanner/src/main.ts', 'services/metadata-detector/src/main.ts'])('%s reaches no key material and no ledger', (entry) => {
    // node:crypto is fine here (the scanner opens PSI-sealed voucher shares with keys
    // derived from the bank); what must stay out of reach is the world: the clients'
    // secret, conversation keys and the ledger.
    const { files } = closure(entry);
    expect(rel(files).length).toBeGreaterThan(5);
    expect(rel(files).filter((f) => f.startsWith(WORLD))).toEqual([]);
    expect(rel(files).filter((f) => f.includes('embedded'))).toEqual([]);
  });

  it('core imports no BullMQ, ioredis, pino or node:fs', () => {
    const { external } = closure('packages/core/src/index.ts');
    const world = closure('packages/core/src/world/index.ts').external;
    const all = [...external, ...world];
    expect(all.filter((m) => /^(bullmq|ioredis|pino)$|^(node:)?fs(\/|$)/.test(m))).toEqual([]);
    expect(all).toContain('zod');
  });
});
