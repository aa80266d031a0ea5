/**
 * docs/model.md is where an analyst checks what each default rests on. It has to stay
 * complete as fields come and go, agree with the schema and the base scenario, and the
 * repository must cite no source that lives outside it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarioFields } from '@blindspot/core/schema-doc';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const PAGE = 'docs/model.md';
const page = readFileSync(join(root, PAGE), 'utf8');

const cellsOf = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => c.trim());

/** The body rows (as cells) of the first table after the heading line `heading`. */
function tableUnder(heading: string): string[][] {
  const lines = page.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`${PAGE} has no line "${heading}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (line.startsWith('|')) rows.push(cellsOf(line));
    else if (rows.length > 0) break;
  }
  // The header row and the |---| row.
  return rows.slice(2);
}

/** `x` → x: the default and plaintext.yaml cells are JSON in backticks. */
const code = (cell: string) => /^`(.*)`$/.exec(cell)?.[1];

/** Anchors a link inside the page can reach: explicit ids and GitHub's heading slugs. */
function anchors(): Set<string> {
  const ids = [...page.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1] as string);
  const slugs = page
    .split('\n')
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) =>
      l
        .replace(/^#+ /, '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N} -]/gu, '')
        .replace(/ /g, '-'),
    );
  return new Set([...ids, ...slugs]);
}

const links = (text: string) => [...text.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] as string);

const leaves = scenarioFields().filter((f) => f.type !== 'section');
const withDefault = leaves.filter((f) => f.default !== undefined);
const withoutDefault = leaves.filter((f) => f.default === undefined);

const plaintext = parse(readFileSync(join(root, 'scenarios/plaintext.yaml'), 'utf8')) as unknown;
const valueAt = (path: string) =>
  path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), plaintext);

/** Every file git tracks (or, outside a git checkout, every file but dependencies and results). */
function repositoryFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\0')
      .filter(Boolean);
  } catch {
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        if (name.startsWith('.') || name === 'node_modules' || name === 'results') continue;
        const full = join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else out.push(relative(root, full));
      }
    };
    walk(root);
    return out;
  }
}

describe('docs/model.md', () => {
  const defaults = tableUnder('## Defaults');
  const byField = new Map(defaults.map((row) => [code(row[0] ?? ''), row]));

  it('has one row per field with a default, with the schema default, the plaintext.yaml value and a basis', () => {
    expect(withDefault.length).toBeGreaterThan(100);
    expect(defaults.length).toBe(byField.size); // no field listed twice
    const problems: string[] = [];
    for (const f of withDefault) {
      const row = byField.get(f.path);
      if (!row) {
        problems.push(`${f.path}: no row in the defaults table`);
        continue;
      }
      const [, def, shipped, basis, why] = row;
      if (code(def ?? '') !== JSON.stringify(f.default)) problems.push(`${f.path}: default ${def}, the schema says \`${JSON.stringify(f.default)}\``);
      if (code(shipped ?? '') !== JSON.stringify(valueAt(f.path))) {
        problems.push(`${f.path}: plaintext.yaml ${shipped}, the file sets \`${JSON.stringify(valueAt(f.path))}\``);
      }
      if (basis !== 'sourced' && basis !== 'assumption') problems.push(`${f.path}: basis "${basis}", expected sourced or assumption`);
      if (!why) problems.push(`${f.path}: no reason given`);
      if (basis === 'sourced' && !links(why ?? '').some((l) => l.startsWith('f-'))) problems.push(`${f.path}: sourced, but links no figure`);
    }
    expect(problems).toEqual([]);
  });

  it('lists no field the schema does not have', () => {
    const known = new Set(withDefault.map((f) => f.path));
    expect([...byField.keys()].filter((path) => !known.has(path ?? ''))).toEqual([]);
  });

  it('lists every field without a default', () => {
    const listed = new Set(tableUnder('### Fields without a default').map((row) => code(row[0] ?? '')));
    expect(withoutDefault.length).toBeGreaterThan(0);
    expect(withoutDefault.map((f) => f.path).filter((path) => !listed.has(path))).toEqual([]);
  });

  it('cites every figure and links only to anchors it has', () => {
    const figures = tableUnder('## Figures');
    expect(figures.length).toBeGreaterThan(10);
    for (const [name, value, source] of figures) {
      expect(name, 'a figure without its anchor').toMatch(/^<a id="f-[a-z0-9-]+"><\/a>\S/);
      expect(value, `${name}: no value`).toBeTruthy();
      expect(source, `${name}: no source`).toBeTruthy();
    }
    const reachable = anchors();
    expect(links(page).filter((l) => !reachable.has(l))).toEqual([]);
  });
});

describe('sources', () => {
  it('every shipped scenario points its comments at docs/model.md', () => {
    const files = readdirSync(join(root, 'scenarios')).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) expect(readFileSync(join(root, 'scenarios', f), 'utf8'), f).toContain(`# Sources are in ${PAGE}`);
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain(`](${PAGE})`);
  });

  it('no file in the repository cites a source outside it', () => {
    // Spelled in pieces so that this file does not match itself.
    const outside = [['DOM', 'AIN'].join(''), ['..', 'shared'].join('/'), ['', 'shared', 'docs'].join('/')];
    const files = repositoryFiles();
    expect(files).toContain(PAGE);
    const hits: string[] = [];
    for (const file of files) {
      const full = join(root, file);
      if (!existsSync(full) || statSync(full).isDirectory()) continue;
      const text = readFileSync(full, 'utf8');
      if (text.includes('\0')) continue; // images and other binaries
      text.split('\n').forEach((line, i) => {
        for (const s of outside) if (line.includes(s)) hits.push(`${file}:${i + 1}: ${s}`);
      });
    }
    expect(hits).toEqual([]);
  });
});
