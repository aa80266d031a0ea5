import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from './load';
import {
  FileNames,
  checkCollisions,
  destinationOf,
  fileStem,
  folderName,
  folderProblem,
  pointLatest,
  writeFiles,
  writtenLines,
  type PlannedFile,
} from './output';

const fresh = () => mkdtempSync(join(tmpdir(), 'blindspot-output-'));

function linesOf(f: () => unknown): string[] {
  try {
    f();
  } catch (err) {
    if (err instanceof InputError) return err.lines;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('folderProblem', () => {
  it('accepts a folder, or one that can be created; refuses a file and a path through a file', () => {
    const dir = fresh();
    const file = join(dir, 'README.md');
    writeFileSync(file, '# hi\n');
    expect(folderProblem(dir)).toBeNull();
    expect(folderProblem(join(dir, 'new', 'deeper'))).toBeNull();
    expect(folderProblem(file)).toBe('is a file, not a folder; give a folder for the results');
    expect(folderProblem(join(file, 'inside'))).toBe(`cannot be created: ${file} is a file`);
  });
});

describe('destinationOf', () => {
  it('uses --out as given, else a fresh folder under BLINDSPOT_OUT or results', () => {
    const dir = fresh();
    expect(destinationOf(dir, false, {})).toEqual({ kind: 'given', dir, force: false });
    expect(destinationOf(undefined, false, { BLINDSPOT_OUT: dir })).toEqual({ kind: 'fresh', root: dir });
    expect(destinationOf(undefined, false, {})).toEqual({ kind: 'fresh', root: 'results' });
  });

  it('names the option or variable in one line', () => {
    const dir = fresh();
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'x');
    expect(linesOf(() => destinationOf(file, false, {}))).toEqual([`--out ${file}: is a file, not a folder; give a folder for the results`]);
    expect(linesOf(() => destinationOf(undefined, false, { BLINDSPOT_OUT: file }))).toEqual([
      `BLINDSPOT_OUT=${file} is a file, not a folder; give a folder for the results (or give --out <dir>)`,
    ]);
    expect(linesOf(() => destinationOf(undefined, true, {}))[0]).toMatch(/^--force is only for --out <dir>/);
  });
});

describe('checkCollisions', () => {
  it('refuses a --out folder holding a file of the plan, unless --force; a fresh folder never collides', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'e2ee.json'), '{}');
    writeFileSync(join(dir, 'e2ee.html'), '');
    const names = ['e2ee.json', 'e2ee.html', 'e2ee-per-day.csv'];
    expect(linesOf(() => checkCollisions({ kind: 'given', dir, force: false }, names))).toEqual([
      `--out ${dir}: already holds e2ee.json and 1 more file this command writes; give another folder, leave out --out for a new folder, or add --force to overwrite`,
    ]);
    expect(() => checkCollisions({ kind: 'given', dir, force: true }, names)).not.toThrow();
    expect(() => checkCollisions({ kind: 'given', dir, force: false }, ['other.json'])).not.toThrow();
    expect(() => checkCollisions({ kind: 'fresh', root: dir }, names)).not.toThrow();
  });
});

describe('file names', () => {
  it('keep letters of any script and never come out empty or hidden', () => {
    expect(fileStem('e2ee-metadata')).toBe('e2ee-metadata');
    expect(fileStem('暗号化')).toBe('暗号化');
    expect(fileStem('Ende-zu-Ende (Größe 2)')).toBe('Ende-zu-Ende-Größe-2');
    expect(fileStem('../../etc/passwd')).toBe('etc-passwd');
    expect(fileStem('.hidden')).toBe('hidden');
    expect(fileStem('!!!')).toBe('scenario');
    expect(fileStem('x'.repeat(100))).toHaveLength(60);
  });

  it('give equal names, names differing only in case, and a reserved name a suffix', () => {
    const names = new FileNames();
    const files = (stem: string): PlannedFile<null>[] => [
      { name: `${stem}.json`, render: () => '' },
      { name: `${stem}-reports.csv`, render: () => '' },
    ];
    const claimed = (stem: string) => names.claim(stem, files).map((f) => f.name);
    expect(names.claim('comparison', (s) => [{ name: `${s}.json`, render: () => '' }]).map((f) => f.name)).toEqual(['comparison.json']);
    expect(claimed('e2ee')).toEqual(['e2ee.json', 'e2ee-reports.csv']);
    expect(claimed('e2ee')).toEqual(['e2ee-2.json', 'e2ee-2-reports.csv']);
    expect(claimed('E2EE')).toEqual(['E2EE-3.json', 'E2EE-3-reports.csv']);
    expect(claimed('comparison')).toEqual(['comparison-2.json', 'comparison-2-reports.csv']);
  });

  it('name a fresh folder after the start time, the command and the scenarios', () => {
    const at = new Date(2026, 11, 1, 7, 5);
    expect(folderName(at, 'compare', ['plaintext', 'e2ee'])).toBe('2026-12-01-0705-compare-plaintext-e2ee');
    expect(folderName(at, 'run', ['a'.repeat(80)])).toBe(`2026-12-01-0705-run-${'a'.repeat(60)}-and-more`);
  });
});

describe('writeFiles', () => {
  const plan: PlannedFile<string>[] = [
    { name: 'a.json', render: (r) => `${r}\n` },
    { name: 'a.html', render: (r) => `<p>${r}</p>` },
  ];

  it('writes each invocation into a new folder and points latest at the newest; earlier files stay', () => {
    const root = fresh();
    const first = writeFiles({ kind: 'fresh', root }, () => 'same-name', plan, 'one');
    const second = writeFiles({ kind: 'fresh', root }, () => 'same-name', plan, 'two');
    expect(first.dir).toBe(join(root, 'same-name'));
    expect(second.dir).toBe(join(root, 'same-name-2'));
    expect(readFileSync(join(first.dir, 'a.json'), 'utf8')).toBe('one\n');
    expect(readFileSync(join(second.dir, 'a.json'), 'utf8')).toBe('two\n');
    expect(readlinkSync(join(root, 'latest'))).toBe('same-name-2');
    expect(readFileSync(join(root, 'latest', 'a.html'), 'utf8')).toBe('<p>two</p>');
    expect(writtenLines(second)).toEqual([
      `wrote ${join(second.dir, 'a.json')}`,
      `wrote ${join(second.dir, 'a.html')}`,
      `${join(root, 'latest')} now points to ${second.dir}`,
    ]);
  });

  it('writes into a given folder as it is, with no latest', () => {
    const dir = join(fresh(), 'made');
    const w = writeFiles({ kind: 'given', dir, force: false }, () => 'unused', plan, 'x');
    expect(w).toEqual({ dir, paths: [join(dir, 'a.json'), join(dir, 'a.html')] });
  });

  it('falls back to latest.txt where latest is not a link', () => {
    const root = fresh();
    mkdirSync(join(root, 'latest'));
    expect(pointLatest(root, 'run-1')).toBe(join(root, 'latest.txt'));
    expect(readFileSync(join(root, 'latest.txt'), 'utf8')).toBe('run-1\n');
  });
});
