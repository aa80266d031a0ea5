import { describe, expect, it } from 'vitest';
import { ROUTES, type RunResult } from '@blindspot/core';
import { csvCell, headlineFigures } from './figures';
import { formatSweep, movement, shortHeaders, sweepCsv } from './sweep-format';
import type { SweepDocument } from './sweep';
import { testScenario } from '@blindspot/core/testing';
import { runEmbedded } from '@blindspot/pipeline/embedded';

/** The parts of a result document the sweep table reads. */
function result(
  f: {
    total: number;
    byRoute: Record<string, number>;
    byFirstRoute: Record<string, number>;
    tp: number;
    fp: number;
    reported: number;
    offenders: number;
    innocent: number;
    unscannable: number;
  },
  warnings: string[] = [],
): RunResult {
  return {
    scenario: { name: 'e2ee', file: 'scenarios/e2ee.yaml', seed: 7 },
    messages: { total: 1_000_000, encrypted: f.unscannable, scanned: 1_000_000 - f.unscannable, unscannable: f.unscannable, deadLettered: 0 },
    reports: {
      total: f.total,
      perDay: [],
      truePositive: f.tp,
      falsePositive: f.fp,
      byRoute: f.byRoute,
      byFirstRoute: f.byFirstRoute,
      falsePositiveByRoute: {},
    },
    offenders: { total: f.offenders, reported: f.reported, byKind: {} },
    innocentReported: f.innocent,
    warnings,
  } as unknown as RunResult;
}

const plain = result({
  total: 1570,
  byRoute: { hashMatch: 1000, metadata: 250, userReport: 320 },
  byFirstRoute: { hashMatch: 1000, metadata: 250, userReport: 320 },
  tp: 1569,
  fp: 1,
  reported: 125,
  offenders: 125,
  innocent: 1,
  unscannable: 0,
});
const e2ee = result(
  {
    total: 780,
    byRoute: { hashMatch: 210, metadata: 250, userReport: 420 },
    byFirstRoute: { hashMatch: 210, metadata: 250, userReport: 320 },
    tp: 780,
    fp: 0,
    reported: 52,
    offenders: 125,
    innocent: 0,
    unscannable: 419_840,
  },
  ['something odd'],
);

const doc: SweepDocument = {
  scenario: { name: 'e2ee', file: 'scenarios/e2ee.yaml' },
  set: [{ path: 'surfaces.directMessages.encryption', values: ['none', 'e2ee'] }],
  runs: [
    { values: { 'surfaces.directMessages.encryption': 'none' }, result: plain },
    { values: { 'surfaces.directMessages.encryption': 'e2ee' }, result: e2ee },
  ],
};
const raw = [{ 'surfaces.directMessages.encryption': 'none' }, { 'surfaces.directMessages.encryption': 'e2ee' }];

describe('sweep output', () => {
  it('has both counts by route, had a part and filed it, for every route with reports', () => {
    const more = result({
      total: 3,
      byRoute: { hashMatch: 1, metadata: 1, userReport: 0, imageClassifier: 2 },
      byFirstRoute: { hashMatch: 1, metadata: 1, userReport: 0, imageClassifier: 1 },
      tp: 3,
      fp: 0,
      reported: 3,
      offenders: 3,
      innocent: 0,
      unscannable: 0,
    });
    const figures = headlineFigures([more]);
    expect(figures.map((f) => f.key)).toEqual([
      'reports.total',
      'reports.byRoute.hashMatch',
      'reports.byRoute.imageClassifier',
      'reports.byRoute.metadata',
      'reports.byFirstRoute.hashMatch',
      'reports.byFirstRoute.imageClassifier',
      'reports.byFirstRoute.metadata',
      'reports.truePositive',
      'reports.falsePositive',
      'offenders.reported',
      'innocentReported',
      'messages.unscannable',
    ]);
    expect(figures.find((f) => f.key === 'reports.byRoute.imageClassifier')?.value(more)).toBe(2);
    expect(figures.find((f) => f.key === 'reports.byFirstRoute.imageClassifier')?.value(more)).toBe(1);
    expect(figures.find((f) => f.key === 'reports.byRoute.imageClassifier')?.label).toBe('  image classifier (had a part)');
    expect(figures.find((f) => f.key === 'reports.byFirstRoute.imageClassifier')?.label).toBe('  image classifier (filed it)');
    // CSV columns do not depend on the results: every route, both counts.
    expect(headlineFigures([more], { allRoutes: true }).filter((f) => f.route).length).toBe(2 * ROUTES.length);
  });

  it('shortens set paths to the last field names that tell them apart', () => {
    expect(shortHeaders(['surfaces.directMessages.encryption', 'detection.userReports.probability'])).toEqual(['encryption', 'probability']);
    expect(shortHeaders(['surfaces.directMessages.encryption', 'surfaces.publicPosts.encryption', 'seed'])).toEqual([
      'directMessages.encryption',
      'publicPosts.encryption',
      'seed',
    ]);
  });

  it('describes how a figure moves', () => {
    expect(movement(157, 78)).toBe('157 → 78 (−50.3%)');
    expect(movement(100, 21)).toBe('100 → 21 (−79%)');
    expect(movement(25, 25)).toBe('25 → 25 (no change)');
    expect(movement(0, 419_840)).toBe('0 → 419,840');
    expect(movement(1_000, 1_500)).toBe('1,000 → 1,500 (+50%)');
    expect(movement(420_542, 420_579)).toBe('420,542 → 420,579 (+<0.1%)');
  });

  it('prints one row per variant with thousands separators, both counts by route under their labels, then the movement of each figure', () => {
    const text = formatSweep(doc, raw, '2 runs on 2 workers in 3.0 s');
    const lines = text.split('\n');
    expect(lines[0]).toBe('Sweep of e2ee (scenarios/e2ee.yaml, seed 7): 2 runs on 2 workers in 3.0 s');
    // A line above the header names the two groups of route columns.
    expect(lines[2]).toMatch(/^ +─* by route that had a part ─* +─* by route that filed it ─*$/);
    expect(lines[3]?.split(/\s{2,}/)).toEqual([
      'encryption',
      'reports',
      'hash match',
      'metadata',
      'user report',
      'hash match',
      'metadata',
      'user report',
      'true',
      'false',
      'offenders',
      'innocent',
      'unscannable',
    ]);
    expect(lines[4]?.trim().split(/\s{2,}/)).toEqual(['none', '1,570', '1,000', '250', '320', '1,000', '250', '320', '1,569', '1', '125 of 125', '1', '0']);
    expect(lines[5]?.trim().split(/\s{2,}/)).toEqual(['e2ee', '780', '210', '250', '420', '210', '250', '320', '780', '0', '52 of 125', '0', '419,840']);
    // Columns line up: every row as long as the header's cells, groups over their columns.
    expect(lines[4]?.length).toBe(lines[3]?.length);
    const groupEnd = (lines[2] ?? '').lastIndexOf('─') + 1;
    expect(groupEnd).toBe((lines[3] ?? '').lastIndexOf('user report') + 'user report'.length);
    expect(text).toContain('By route that had a part: a report counts under every route confirmed in it, so these add up to more than the reports.');
    expect(text).toContain('By route that filed it: the route whose confirmed flag got the report filed; these add up to the reports.');
    expect(text).toContain('From the first run to the last (encryption=none → encryption=e2ee):');
    const moves = text.split('\n').map((l) => l.replace(/\s+/g, ' '));
    expect(moves).toContain('reports to police: 1,570 → 780 (−50.3%)');
    expect(moves).toContain(' hash match (had a part): 1,000 → 210 (−79%)');
    expect(moves).toContain(' user report (had a part): 320 → 420 (+31.3%)');
    expect(moves).toContain(' user report (filed it): 320 → 320 (no change)');
    expect(moves).toContain('offenders reported: 125 → 52 (−58.4%)');
    expect(moves).toContain('messages unscannable: 0 → 419,840');
    expect(text).toContain('WARNING: surfaces.directMessages.encryption=e2ee: something odd');
  });

  it('writes a CSV: the set paths, then the figures by their result-document names, both counts by route', () => {
    const csv = sweepCsv({ ...doc, runs: [{ values: { 'surfaces.directMessages.encryption': 'a, "b"' }, result: plain }] });
    const perRoute = (counts: Record<string, number>) => ROUTES.map((r) => String(counts[r] ?? 0));
    expect(csv.split('\n')).toEqual([
      [
        'surfaces.directMessages.encryption',
        'reports.total',
        ...ROUTES.map((r) => `reports.byRoute.${r}`),
        ...ROUTES.map((r) => `reports.byFirstRoute.${r}`),
        'reports.truePositive,reports.falsePositive,offenders.reported,offenders.total,innocentReported,messages.unscannable',
      ].join(','),
      [
        '"a, ""b"""',
        '1570',
        ...perRoute({ hashMatch: 1000, metadata: 250, userReport: 320 }),
        ...perRoute({ hashMatch: 1000, metadata: 250, userReport: 320 }),
        '1569,1,125,125,1,0',
      ].join(','),
      '',
    ]);
  });

  it('keeps a spreadsheet from reading a cell as a formula', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('a\r\nb')).toBe('"a\r\nb"');
    // Numbers are numbers, negative ones too.
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell('e2ee')).toBe('e2ee');
    const csv = sweepCsv({ ...doc, runs: [{ values: { 'surfaces.directMessages.encryption': '=cmd|x' }, result: plain }] });
    expect(csv.split('\n')[1]?.startsWith("'=cmd|x,")).toBe(true);
  });
});

describe('sweep output of a world of several platforms', () => {
  it('gives each run’s table of its platforms, named by its values', () => {
    const world = (members: number) =>
      runEmbedded(
        testScenario({
          name: 'two',
          seed: 8,
          durationDays: 2,
          population: { adults: 200, minors: 50, offenders: { sharers: { count: 10 } } },
          platforms: [{ name: 'open' }, { name: 'chat', members }],
        }),
        { file: 'two.yaml' },
      );
    const [a, b] = [world(0.3), world(0.9)];
    const sweepDoc: SweepDocument = {
      scenario: { name: 'two', file: 'two.yaml' },
      set: [{ path: 'platforms.chat.members', values: [0.3, 0.9] }],
      runs: [
        { values: { 'platforms.chat.members': 0.3 }, result: a as RunResult },
        { values: { 'platforms.chat.members': 0.9 }, result: b as RunResult },
      ],
    };
    const lines = formatSweep(sweepDoc, [{ 'platforms.chat.members': '0.3' }, { 'platforms.chat.members': '0.9' }], '2 runs').split('\n');
    const titles = lines.filter((l) => l.startsWith('Platforms with'));
    expect(titles.map((t) => t.split(':')[0])).toEqual(['Platforms with members=0.3', 'Platforms with members=0.9']);
    const first = lines.indexOf(titles[0] as string);
    expect(lines.slice(first + 2, first + 5).map((l) => l.split(/\s+/)[0])).toEqual(['open', 'chat', 'all']);
    // More people on chat: more of the world's messages there.
    const chatMessages = (r: RunResult) => r.platforms?.[1]?.messages.total ?? 0;
    expect(chatMessages(b)).toBeGreaterThan(chatMessages(a));
  });
});
