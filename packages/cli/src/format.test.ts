import { describe, expect, it } from 'vitest';
import { validateScenario, type RunResult, type Scenario } from '@blindspot/core';
import { runEmbedded } from '@blindspot/pipeline/embedded';
import { compareResults, formatComparison, formatTable, summarize } from './format';

function tiny(name: string, dm: 'none' | 'e2ee'): Scenario {
  const r = validateScenario(
    {
      name,
      seed: 5,
      durationDays: 3,
      population: { adults: 300, minors: 80, offenders: { sharers: { count: 15 }, groomers: { count: 4 } } },
      surfaces: { directMessages: { encryption: dm } },
    },
    `${name}.yaml`,
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

const plain: RunResult = runEmbedded(tiny('plain', 'none'), { file: 'plain.yaml' });
const e2ee: RunResult = runEmbedded(tiny('sealed', 'e2ee'), { file: 'sealed.yaml' });

describe('formatting results', () => {
  it('summarizes one run with its headline figures', () => {
    const text = summarize(plain);
    expect(text).toContain('Blindspot: plain (plain.yaml, seed 5)');
    expect(text).toContain(`Reports to police   ${plain.reports.total.toLocaleString('en-US')}`);
  });

  it('compares two runs with the change in reports', () => {
    expect(plain.messages.unscannable).toBe(0);
    expect(e2ee.messages.unscannable).toBeGreaterThan(0);
    const c = compareResults(plain, e2ee);
    expect(c.change.reports.delta).toBe(e2ee.reports.total - plain.reports.total);
    const text = formatComparison(c);
    const line = text.split('\n').find((l) => l.startsWith('  unscannable')) as string;
    expect(line).toContain(e2ee.messages.unscannable.toLocaleString('en-US'));
    expect(line).toMatch(/\+[\d,]+$/);
  });

  it('lays several runs side by side, each later one against the first', () => {
    const text = formatTable([plain, e2ee, plain]);
    const [header, ...rows] = text.split('\n');
    expect(header?.trim().split(/\s+/)).toEqual(['plain', 'sealed', 'plain']);
    const unscannable = rows.find((l) => l.startsWith('  unscannable')) as string;
    // the first column is the baseline; the second shows its value; the third equals the first
    expect(unscannable.trim().split(/\s{2,}/)).toEqual(['unscannable', '0', e2ee.messages.unscannable.toLocaleString('en-US'), '0']);
    expect(text).toContain('Changes are against plain.');
  });
});
