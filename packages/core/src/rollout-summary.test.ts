import { describe, expect, it } from 'vitest';
import { rolloutSummary } from './rollout-summary';
import { testScenario } from './testing';

const base = { seed: 1, population: { adults: 30, minors: 10 } };

describe('rolloutSummary', () => {
  it('compares CyberTips a day before a rollout, since its start and once complete', () => {
    const s = testScenario(base, { durationDays: 10, burnInDays: 2, surfaces: { directMessages: { encryption: 'e2ee', fromDay: 4, rampDays: 3 } } });
    // Days 0-1 burn-in (left out), 2-3 before, 4-9 since, 7-9 complete.
    const reports = [50, 50, 4, 6, 5, 4, 3, 2, 2, 2];
    const incidents = [40, 40, 4, 4, 4, 4, 2, 2, 1, 1];
    expect(rolloutSummary(s, reports, incidents)).toEqual({
      surface: 'dm',
      fromDay: 4,
      rampDays: 3,
      before: { fromDay: 2, toDay: 4, reportsPerDay: 5, incidentsPerDay: 4 },
      since: { fromDay: 4, toDay: 10, reportsPerDay: 3, incidentsPerDay: 2.333 },
      complete: { fromDay: 7, toDay: 10, reportsPerDay: 2, incidentsPerDay: 1.333 },
      ratio: { reports: 0.6, incidents: 0.583 },
    });
  });

  it('has nothing to compare without a rollout after the burn-in, and no complete window for a ramp past the end', () => {
    const series = Array.from({ length: 10 }, () => 1);
    expect(rolloutSummary(testScenario(base, { durationDays: 10 }), series, series)).toBeNull();
    expect(rolloutSummary(testScenario(base, { durationDays: 10, surfaces: { directMessages: { encryption: 'e2ee' } } }), series, series)).toBeNull();
    const late = rolloutSummary(
      testScenario(base, {
        durationDays: 10,
        surfaces: { publicPosts: { encryption: 'e2ee', fromDay: 6, rampDays: 20 }, directMessages: { encryption: 'e2ee', fromDay: 8 } },
      }),
      series,
      series,
    );
    expect(late?.surface).toBe('public');
    expect(late?.complete).toBeNull();
    expect(late?.ratio).toEqual({ reports: 1, incidents: 1 });
  });
});
