import type { Scenario } from '@blindspot/core';
import { describe, expect, it } from 'vitest';
import type { LoadedScenario } from '../load';
import { planFiles } from './simulate';

const loaded = (...names: string[]): LoadedScenario[] => names.map((name) => ({ file: `${name}.yaml`, scenario: { name } as Scenario }));
const names = (command: 'run' | 'compare', ...scenarios: string[]) => planFiles(command, loaded(...scenarios)).map((f) => f.name);

describe('planFiles', () => {
  it('run: the result, the report, the per-day, per-month, figures and reports CSV, named after the scenario', () => {
    expect(names('run', 'e2ee')).toEqual(['e2ee.json', 'e2ee.html', 'e2ee-per-day.csv', 'e2ee-per-month.csv', 'e2ee-figures.csv', 'e2ee-reports.csv']);
    expect(names('run', '暗号化')).toEqual([
      '暗号化.json',
      '暗号化.html',
      '暗号化-per-day.csv',
      '暗号化-per-month.csv',
      '暗号化-figures.csv',
      '暗号化-reports.csv',
    ]);
  });

  it('a world of several platforms: a CSV of its platforms too', () => {
    const world: LoadedScenario = { file: 'world.yaml', scenario: { name: 'world', platforms: [{ name: 'chat' }] } as Scenario };
    expect(planFiles('run', [world]).map((f) => f.name)).toEqual([
      'world.json',
      'world.html',
      'world-per-day.csv',
      'world-per-month.csv',
      'world-figures.csv',
      'world-reports.csv',
      'world-platforms.csv',
    ]);
    expect(planFiles('compare', [world, ...loaded('one')]).map((f) => f.name)).toContain('world-platforms.csv');
    expect(planFiles('compare', [world, ...loaded('one')]).map((f) => f.name)).not.toContain('one-platforms.csv');
  });

  it('compare: no two files of one name, whatever the scenarios are called', () => {
    const all = names('compare', 'e2ee', 'e2ee', 'comparison', 'Ende zu Ende', 'エンド');
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual([
      'e2ee.json',
      'e2ee-2.json',
      'comparison-2.json',
      'Ende-zu-Ende.json',
      'エンド.json',
      'comparison.json',
      'comparison.html',
      'comparison-per-day.csv',
      'comparison-per-month.csv',
      'comparison-figures.csv',
      'e2ee-reports.csv',
      'e2ee-2-reports.csv',
      'comparison-2-reports.csv',
      'Ende-zu-Ende-reports.csv',
      'エンド-reports.csv',
    ]);
  });
});
