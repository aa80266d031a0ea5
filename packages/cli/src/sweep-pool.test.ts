import { describe, expect, it } from 'vitest';
import type { Scenario } from '@blindspot/core/scenario';
import { testScenario } from '@blindspot/core/testing';
import { runEmbedded } from '@blindspot/pipeline/embedded';
import { runInWorkers } from './sweep-pool';

function tiny(seed: number, encryption: 'none' | 'e2ee'): Scenario {
  return testScenario({
    seed,
    durationDays: 3,
    population: { adults: 150, minors: 40, offenders: { sharers: { count: 10 }, groomers: { count: 3 } } },
    surfaces: { directMessages: { encryption } },
  });
}

const withoutTiming = <T extends { timing: unknown }>({ timing: _t, ...rest }: T) => rest;

describe('the sweep worker pool', () => {
  it('gives, in task order, exactly what running each scenario in this process gives', async () => {
    const scenarios = [tiny(1, 'none'), tiny(1, 'e2ee'), tiny(2, 'none'), tiny(3, 'e2ee'), tiny(4, 'none')];
    const done: number[] = [];
    const results = await runInWorkers(
      scenarios.map((scenario) => ({ scenario, file: 'tiny.yaml', batchSize: 250 })),
      { workers: 2, onDone: (n) => done.push(n) },
    );
    expect(done).toEqual([1, 2, 3, 4, 5]);
    expect(results.map(withoutTiming)).toEqual(scenarios.map((s) => withoutTiming(runEmbedded(s, { file: 'tiny.yaml', batchSize: 250 }))));
    // The variants really differ, so a mix-up of order would show.
    expect(new Set(results.map((r) => JSON.stringify(withoutTiming(r)))).size).toBe(5);
  });

  it('rejects, naming the run, when a run fails', async () => {
    const broken = { ...tiny(1, 'none'), population: undefined } as unknown as Scenario;
    await expect(
      runInWorkers(
        [
          { scenario: tiny(1, 'none'), file: 'a.yaml', batchSize: 100 },
          { scenario: broken, file: 'b.yaml', batchSize: 100 },
        ],
        { workers: 2 },
      ),
    ).rejects.toThrow(/^run 2 of 2 failed: /);
  });

  it('returns nothing for no jobs, starting no thread', async () => {
    expect(await runInWorkers([])).toEqual([]);
  });
});
