import { describe, expect, it } from 'vitest';
import { OptionProblem, closest, editDistance, readOptions, splitArgs, type OptionDef } from './args';

const flag: OptionDef<boolean> = { name: 'json', help: '', read: (g) => g.length > 0 };
const seed: OptionDef<number | undefined> = {
  name: 'seed',
  takes: '<n>',
  help: '',
  read: (g) => {
    if (g[0] === undefined) return undefined;
    if (!/^\d+$/.test(g[0])) throw new OptionProblem(`must be a whole number, got "${g[0]}"`);
    return Number(g[0]);
  },
};
const set: OptionDef<string[]> = { name: 'set', takes: '<p>=<v>', multiple: true, help: '', read: (g) => g };
const help: OptionDef<boolean> = { name: 'help', short: 'h', help: '', read: (g) => g.length > 0 };
const defs = [flag, seed, set, help];
const unknown = (o: string) => `unknown ${o}`;

describe('splitArgs', () => {
  it('takes --name value, --name=value, short flags, repeats and negative numbers as values', () => {
    const s = splitArgs(['a.yaml', '--seed', '3', '--json', '--set=x=1,2', '--set', 'y=3', '-h', '-5', '--', '--json'], defs, unknown);
    expect(s.problems).toEqual([]);
    expect(s.positionals).toEqual(['a.yaml', '-5', '--json']);
    expect(s.given.get('seed')).toEqual(['3']);
    expect(s.given.get('set')).toEqual(['x=1,2', 'y=3']);
    expect(s.given.get('json')).toEqual(['']);
    expect(s.given.get('help')).toEqual(['']);
  });

  it('names each mistake in one line', () => {
    const s = splitArgs(['--sede', '3', '--json=yes', '--seed', '1', '--seed', '2', '-x', '--set'], defs, unknown);
    expect(s.problems).toEqual([
      'unknown --sede',
      '--json takes no value (remove "=yes")',
      '--seed is given twice (1 and 2); give it once',
      'unknown -x',
      '--set needs a value: --set <p>=<v>',
    ]);
  });

  it('does not take the next option as a value', () => {
    expect(splitArgs(['--seed', '--json'], defs, unknown).problems).toEqual(['--seed needs a value: --seed <n>']);
  });
});

describe('readOptions', () => {
  it('reads each option under its key and names the option in a problem', () => {
    const problems: string[] = [];
    const values = readOptions({ json: flag, seed }, new Map([['seed', ['x']]]), problems);
    expect(values).toEqual({ json: false });
    expect(problems).toEqual(['--seed must be a whole number, got "x"']);
  });
});

describe('suggestions', () => {
  it('counts a swap of two neighbouring letters as one edit', () => {
    expect(editDistance('sede', 'seed')).toBe(1);
    expect(editDistance('seed', 'seed')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('finds the meant word, by a unique prefix or a small edit, and nothing far off', () => {
    const options = ['seed', 'set', 'json', 'out', 'batch-size', 'external-services'];
    expect(closest('sede', options)).toBe('seed');
    expect(closest('jsno', options)).toBe('json');
    expect(closest('batchsize', options)).toBe('batch-size');
    expect(closest('ext', options)).toBe('external-services');
    expect(closest('Out', options)).toBe('out');
    expect(closest('colour', options)).toBeUndefined();
    expect(closest('q', options)).toBeUndefined();
    expect(closest('rn', ['run', 'compare', 'sweep'])).toBe('run');
    expect(closest('comapre', ['run', 'compare', 'sweep'])).toBe('compare');
  });
});
