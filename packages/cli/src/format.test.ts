import { describe, expect, it } from 'vitest';
import { combinePlatforms, type RunResult, type Scenario } from '@blindspot/core';
import { testScenario } from '@blindspot/core/testing';
import { runEmbedded } from '@blindspot/pipeline/embedded';
import { compareResults, formatComparison, formatTable, platformTable, summarize } from './format';

function tiny(name: string, dm: 'none' | 'e2ee'): Scenario {
  return testScenario({
    name,
    seed: 5,
    durationDays: 3,
    population: { adults: 300, minors: 80, offenders: { sharers: { count: 15 }, groomers: { count: 4 } } },
    surfaces: { directMessages: { encryption: dm } },
  });
}

const plain: RunResult = runEmbedded(tiny('plain', 'none'), { file: 'plain.yaml' });
const e2ee: RunResult = runEmbedded(tiny('sealed', 'e2ee'), { file: 'sealed.yaml' });

describe('formatting results', () => {
  it('summarizes one run with its headline figures', () => {
    const text = summarize(plain);
    expect(text).toContain('Blindspot: plain (plain.yaml, seed 5)');
    expect(text).toContain(`Reports to police   ${plain.reports.total.toLocaleString('en-US')}`);
  });

  it('names a rollout of encryption, in the days of the per-day series, and only when there is one', () => {
    const rolled = runEmbedded(
      testScenario({ ...tiny('rolled', 'e2ee'), name: 'rolled' }, { surfaces: { directMessages: { encryption: 'e2ee', fromDay: 1, rampDays: 1 } } }),
      { file: 'rolled.yaml' },
    );
    expect(summarize(rolled).split('\n')[3]).toBe(
      'Rollout             DMs: e2ee from the start of day 2 (fromDay 1), reaching every account by the end of day 2 (first encrypted message on day 2)',
    );
    expect(summarize(plain)).not.toContain('Rollout');
    expect(summarize(e2ee)).not.toContain('Rollout');
  });

  it('summarizes incidents, police and per-route flags, and names the burn-in', () => {
    const text = summarize(plain);
    const n = (x: number) => x.toLocaleString('en-US');
    expect(plain.cyberTips.reports).toBeGreaterThanOrEqual(plain.reports.total);
    expect(text).toContain(
      `CyberTips           ${n(plain.cyberTips.reports)} reports (incidents as filed), ${n(plain.cyberTips.incidents)} incidents after bundling`,
    );
    expect(text).toContain(
      `Police              ${n(plain.police.referred)} referred, ${n(plain.police.relevant)} relevant, ${n(plain.police.investigations)} investigations`,
    );
    const hm = plain.routes.hashMatch;
    expect(hm.flags).toBeGreaterThan(0);
    expect(text).toContain(`hash match ${n(hm.flags)} (${Math.round((hm.precision as number) * 1000) / 10}% about abuse, ${n(hm.confirmed)} confirmed)`);
    expect(text).not.toContain('Burn-in');
    expect(summarize({ ...plain, burnInDays: 1 })).toContain('Burn-in             the first 1 days are left out of the headline counts');
  });

  it('compares incidents, investigations and arrests', () => {
    const rows = formatComparison(compareResults(plain, e2ee)).split('\n');
    const row = (label: string) =>
      rows
        .find((l) => l.startsWith(label))
        ?.trim()
        .split(/\s{2,}/);
    expect(row('CyberTips (incidents as filed)')?.slice(1, 3)).toEqual([plain.cyberTips.reports, e2ee.cyberTips.reports].map((x) => x.toLocaleString('en-US')));
    expect(row('Police investigations')?.slice(1, 3)).toEqual([plain.police.investigations, e2ee.police.investigations].map((x) => x.toLocaleString('en-US')));
    expect(row('  arrests')?.slice(1, 3)).toEqual([plain.police.arrests, e2ee.police.arrests].map((x) => x.toLocaleString('en-US')));
  });

  it('says what the protections for minors did, and nothing of them when they did nothing', () => {
    expect(summarize(plain)).not.toContain('Protections');
    const p = {
      refusedRequests: 1200,
      restrictedMessages: 30,
      refusedAbusive: 41,
      restrictedAccounts: 2,
      restrictedInnocent: 1,
      prompted: 9,
      promptedReports: 3,
      promptedBlocks: 4,
    };
    const line = summarize({ ...plain, protections: p })
      .split('\n')
      .find((l) => l.startsWith('Protections'));
    expect(line).toBe(
      'Protections         1,200 DMs refused for want of an accepted request, 30 from 2 restricted adults (1 innocent); 41 of them abusive; 9 safety notices on abuse, then 3 reports and 4 blocks',
    );
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

describe('one definition of "by route"', () => {
  const n = (x: number) => x.toLocaleString('en-US');

  it('shows both counts, each under its label: had a part (byRoute) and filed it (byFirstRoute)', () => {
    const rows = formatComparison(compareResults(plain, e2ee)).split('\n');
    const part = rows.indexOf('  by route that had a part');
    const filed = rows.indexOf('  by route that filed it');
    expect(part).toBeGreaterThan(0);
    expect(filed).toBeGreaterThan(part);
    const cells = (l: string | undefined) => (l ?? '').trim().split(/\s{2,}/);
    expect(cells(rows[part + 1]).slice(0, 3)).toEqual(['hash match', n(plain.reports.byRoute.hashMatch), n(e2ee.reports.byRoute.hashMatch)]);
    expect(cells(rows[filed + 1]).slice(0, 3)).toEqual(['hash match', n(plain.reports.byFirstRoute.hashMatch), n(e2ee.reports.byFirstRoute.hashMatch)]);
    // Filed it adds up to the reports; had a part to at least as many.
    const sum = (from: number) => rows.slice(from + 1, from + 7).reduce((s, l) => s + Number(cells(l)[1]?.replace(/,/g, '')), 0);
    expect(sum(filed)).toBe(plain.reports.total);
    expect(sum(part)).toBeGreaterThanOrEqual(plain.reports.total);
    const c = compareResults(plain, e2ee);
    expect(rows).toContain('By route that had a part: a report counts under every route confirmed in it, so these add up to more than the reports.');
    expect(rows).toContain('By route that filed it: the route whose confirmed flag got the report filed; these add up to the reports.');
    expect(c.change.byFirstRoute.hashMatch.b).toBe(e2ee.reports.byFirstRoute.hashMatch);
    expect(c.change.byRoute.hashMatch.b).toBe(e2ee.reports.byRoute.hashMatch);
  });

  it('lists the privacy costs with their change', () => {
    const text = formatTable([plain, e2ee]);
    const rows = text.split('\n');
    expect(rows.some((l) => l.trim() === 'Privacy costs')).toBe(true);
    const exposed = rows.find((l) => l.startsWith('  Innocent users exposed')) as string;
    expect(exposed.trim().split(/\s{2,}/)).toEqual(['Innocent users exposed', n(plain.privacy.innocentUsersExposed), `0 (−100%)`]);
    expect(rows.some((l) => l.startsWith('  Innocent DMs readable'))).toBe(true);
    expect(rows.some((l) => l.startsWith('  Innocent accounts reviewed'))).toBe(true);
  });

  it('a single run names both counts too', () => {
    const text = summarize(plain);
    expect(text).toContain('  by route that had a part  ');
    expect(text).toContain('  by route that filed it    ');
  });
});

describe('a world of several platforms', () => {
  const n = (x: number) => x.toLocaleString('en-US');
  const world = combinePlatforms(
    testScenario({ ...tiny('world', 'none'), platforms: [{ name: 'chat' }, { name: 'vault' }] }),
    ['chat', 'vault'],
    [plain, e2ee],
  );
  const cells = (l: string | undefined) => (l ?? '').trim().split(/\s{2,}/);

  it('shows a table of the platforms, with their encryption, and a total row of the headline figures', () => {
    const lines = summarize(world).split('\n');
    const at = lines.findIndex((l) => l.startsWith('Platforms: '));
    expect(at).toBeGreaterThan(0);
    const header = cells(lines[at + 1]);
    expect(header.slice(0, 4)).toEqual(['DMs', 'posts', 'photos', 'messages']);
    const rows = lines.slice(at + 2, at + 5).map(cells);
    expect(rows.map((r) => r[0])).toEqual(['chat', 'vault', 'all platforms']);
    expect(rows.slice(0, 2).map((r) => r.slice(1, 4))).toEqual([
      ['none', 'none', 'none'],
      ['e2ee', 'none', 'none'],
    ]);
    // The total row leaves the encryption columns blank.
    const column = (h: string) => rows.map((r) => r[header.indexOf(h) + (r[0] === 'all platforms' ? -2 : 1)]);
    expect(column('messages')).toEqual([plain, e2ee, world].map((r) => n(r.messages.total)));
    expect(column('unscannable')).toEqual([plain, e2ee, world].map((r) => n(r.messages.unscannable)));
    expect(column('reports')).toEqual([plain, e2ee, world].map((r) => n(r.reports.total)));
    expect(column('offenders reported')).toEqual([plain, e2ee, world].map((r) => `${n(r.offenders.reported)} of ${n(r.offenders.total)}`));
    expect(world.reports.total).toBe(plain.reports.total + e2ee.reports.total);
    // Police are the world's: the platforms' investigations add up to the total row's.
    const investigated = column('investigated').map((x) => Number(x?.replace(/,/g, '')));
    expect((investigated[0] ?? 0) + (investigated[1] ?? 0)).toBe(investigated[2]);
    expect(investigated[2]).toBe(world.police.investigations);
  });

  it('shows no table for a result of one platform', () => {
    expect(platformTable(plain)).toEqual([]);
    expect(summarize(plain)).not.toContain('Platforms');
    expect(formatTable([plain, e2ee])).not.toContain('Platforms');
  });

  it('shows the table of each result that has platforms under a comparison', () => {
    const two = formatComparison(compareResults(plain, world)).split('\n');
    expect(two).toContain(platformTable(world, 'Platforms of world')[0]);
    expect(two.filter((l) => l.startsWith('Platforms of '))).toHaveLength(1);
    const many = formatTable([world, plain, world]).split('\n');
    expect(many.filter((l) => l.startsWith('Platforms of world'))).toHaveLength(2);
    expect(many.some((l) => l.startsWith('all platforms'))).toBe(true);
  });
});
