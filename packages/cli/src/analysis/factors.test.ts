import { describe, expect, it } from 'vitest';
import { refusal } from '../test-support';
import { applyFactors, assumptionFactors, factorValue, fieldInfo, parseVary } from './factors';

const TEXT = [
  'name: x',
  'population:',
  '  adults: 100',
  '  accountAgeDays: 700      # mean lifetime (assumption)',
  '  offenders:',
  '    sharers: { count: 9, ringShare: 0.9 }   # assumption',
  '    groomers:',
  '      count: 0             # assumption',
  '      conversationDays: 6  # from a study',
  'platforms:',
  '  - name: facebook',
  '    members: 0.8           # assumption',
  '',
].join('\n');

describe('assumption factors', () => {
  it('finds every number marked "assumption", a flow mapping’s included, a platform’s by name', () => {
    const { factors, skipped } = assumptionFactors(TEXT);
    expect(factors.map((f) => [f.path, f.low, f.high, f.integer, f.base])).toEqual([
      ['population.accountAgeDays', 350, 1050, false, 700],
      ['population.offenders.sharers.count', 4, 14, true, 9],
      ['population.offenders.sharers.ringShare', 0.45, 1, false, 0.9],
      ['platforms.facebook.members', 0.4, 1, false, 0.8],
    ]);
    expect(skipped).toEqual(['population.offenders.groomers.count (0: no range to take by default; give one with --vary)']);
  });

  it('puts whole-number fields on whole values and sets them in the file', () => {
    const [f] = parseVary(['population.offenders.sharers.count=5..40'], {});
    expect(f?.integer).toBe(true);
    expect(factorValue(f as never, 0.5)).toBe(23);
    const data = { population: { offenders: { sharers: { count: 9 } } }, platforms: [{ name: 'facebook', members: 0.8 }] };
    const members = parseVary(['platforms.facebook.members=0.2..0.6'], data);
    const applied = applyFactors(data, [f as never, ...members], [1, 0.5]);
    expect(applied.ok && applied.doc).toEqual({ population: { offenders: { sharers: { count: 40 } } }, platforms: [{ name: 'facebook', members: 0.4 }] });
    expect(members[0]?.base).toBe(0.8);
  });

  it('knows a platform’s own sections by the scenario’s sections of the same names', () => {
    // A platform's rollout ramp is a whole number of days, as the scenario's is.
    const [ramp] = parseVary(['platforms.facebook.surfaces.directMessages.rampDays=10..40'], {});
    expect(ramp?.integer).toBe(true);
    expect(factorValue(ramp as never, 0.55)).toBe(27);
    expect(fieldInfo('platforms.facebook.detection.userReports.probability')).toMatchObject({ integer: false, min: 0, max: 1 });
    expect(fieldInfo('platforms.facebook.members')).toMatchObject({ integer: false });
    expect(fieldInfo('platforms.facebook.nothing.here')).toBeNull();
    expect(() => parseVary(['platforms.facebook.surfaces.directMessages.rampDays=-1..40'], {})).toThrow(/must be at least 0/);
  });

  it('refuses what is not a range within the field’s bounds, naming the option', () => {
    expect(
      refusal(() =>
        parseVary(['traffic.mediaShare=0.1', 'traffic.mediaShare=0.1..2', 'a..b=1..2', 'traffic.mediaShare=0.2..0.3', 'traffic.mediaShare=0.1..0.4'], {}),
      ),
    ).toEqual([
      '--vary traffic.mediaShare=0.1: expected --vary <field.path>=<low>..<high>, e.g. --vary detection.userReports.probability=0.01..0.1',
      '--vary traffic.mediaShare=0.1..2: traffic.mediaShare must be at most 1',
      expect.stringMatching(/^--vary a\.\.b=1\.\.2: "a\.\.b" is not a field path/),
      '--vary traffic.mediaShare is given twice',
    ]);
  });
});
