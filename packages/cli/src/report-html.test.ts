import { describe, expect, it } from 'vitest';
import type { RunResult } from '@blindspot/core';
import { testScenario } from '@blindspot/core/testing';
import { runEmbedded } from '@blindspot/pipeline/embedded';
import { combinePlatforms, ROUTES } from '@blindspot/core';
import { FUNNEL, figuresCsv, perDayCsv, perMonthCsv, platformsCsv, ROUTE_COLOURS, renderHtml, reportsCsv, rolloutBands, SCENARIO_COLOURS } from './report-html';

function run(name: string): RunResult {
  const scenario = testScenario({ name, seed: 3, durationDays: 3, population: { adults: 200, minors: 50, offenders: { sharers: { count: 10 } } } });
  return runEmbedded(scenario, { file: `${name}.yaml` });
}

const a = run('a');
const b = run('b</script><b>');

describe('renderHtml', () => {
  it('is one self-contained document: the chart library inlined, nothing loaded from elsewhere', () => {
    const html = renderHtml({ title: 'T', labels: ['a', 'b'], results: [a, b] });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toMatch(/Chart\.js v4/);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    for (const id of [
      'per-day',
      'encrypted-per-day',
      'incidents-per-day',
      'investigations-per-day',
      'filed-by-route',
      'part-by-route',
      'funnel',
      'false-reports',
    ])
      expect(html).toContain(`<canvas id="${id}">`);
    expect(html).not.toContain('sweep-0');
  });

  it('escapes names, even inside the embedded chart data', () => {
    const html = renderHtml({ title: 'T', labels: ['a', b.scenario.name], results: [a, b] });
    expect(html).not.toContain('b</script><b>');
    expect(html).toContain('b&lt;/script&gt;&lt;b&gt;');
  });

  it('has a headline table with change and percentage columns against the first, the privacy costs, and both counts by route', () => {
    const html = renderHtml({ title: 'T', labels: ['a', 'b'], results: [a, b] });
    const table = html.slice(html.indexOf('<table id="headline">'), html.indexOf('</table>'));
    const headers = [...(/<thead>(.*?)<\/thead>/.exec(table)?.[1] ?? '').matchAll(/<th[^>]*>(.*?)<\/th>/g)].map((m) => m[1]?.replace(/<[^>]+>/g, ''));
    expect(headers).toEqual(['', 'a', 'b', 'change', '%']);
    for (const row of [
      'privacy-costs',
      'privacy-costs.innocent-dms-readable',
      'privacy-costs.innocent-users-exposed',
      'privacy-costs.innocent-accounts-reviewed',
    ])
      expect(table).toContain(`data-row="${row}"`);
    expect(table).toContain('data-row="reports-to-police.by-route-that-had-a-part.hash-match"');
    expect(table).toContain('data-row="reports-to-police.by-route-that-filed-it.hash-match"');
    expect(table).toContain('>by route that had a part</th>');
    expect(table).toContain('>by route that filed it</th>');
    expect(html).toContain('<strong>By route that had a part</strong>: a report counts under every route confirmed in it');
    // The same run twice: every change is 0.
    const exposed = /<tr class="privacy" data-row="privacy-costs.innocent-users-exposed">(.*?)<\/tr>/.exec(table)?.[1] ?? '';
    const n = a.privacy.innocentUsersExposed.toLocaleString('en-US');
    expect(exposed).toContain(`<td>${n}</td><td>${n}</td><td class="change">0</td><td class="change">0%</td>`);
  });

  it('uses one colour per scenario and another, disjoint, per route', () => {
    expect(new Set(SCENARIO_COLOURS).size).toBe(SCENARIO_COLOURS.length);
    expect(ROUTE_COLOURS.length).toBeGreaterThanOrEqual(ROUTES.length);
    expect(SCENARIO_COLOURS.filter((c) => ROUTE_COLOURS.includes(c))).toEqual([]);
  });

  it('has a funnel that only narrows', () => {
    for (const r of [a, b]) {
      const values = FUNNEL.map((s) => s.value(r));
      for (let i = 1; i < values.length; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1] as number);
    }
  });

  it('adds a trend chart per headline figure for a sweep', () => {
    const html = renderHtml({ title: 'T', labels: ['p=0.1', 'p=0.2'], results: [a, a], sweep: { fields: ['detection.userReports.probability'] } });
    for (let i = 0; i < 5; i++) expect(html).toContain(`<canvas id="sweep-${i}">`);
  });
});

describe('the figures CSV', () => {
  it('has one row per scenario with both counts by route, named as in the result document', () => {
    const [header, ...rows] = figuresCsv(['a', '=b'], [a, b]).trim().split('\n');
    const columns = (header ?? '').split(',');
    expect(columns.slice(0, 4)).toEqual(['scenario', 'file', 'seed', 'reports.total']);
    for (const route of ROUTES) {
      expect(columns).toContain(`reports.byRoute.${route}`);
      expect(columns).toContain(`reports.byFirstRoute.${route}`);
    }
    expect(columns).toContain('privacy.innocentUsersExposed');
    expect(rows).toHaveLength(2);
    const cells = (rows[0] ?? '').split(',');
    expect(cells[columns.indexOf('reports.total')]).toBe(String(a.reports.total));
    expect(cells[columns.indexOf('reports.byFirstRoute.hashMatch')]).toBe(String(a.reports.byFirstRoute.hashMatch));
    expect(cells[columns.indexOf('privacy.innocentAccountsReviewed')]).toBe(String(a.privacy.innocentAccountsReviewed));
    expect(cells[columns.indexOf('cyberTips.reports')]).toBe(String(a.cyberTips.reports));
    expect(cells[columns.indexOf('cyberTips.incidents')]).toBe(String(a.cyberTips.incidents));
    expect(cells[columns.indexOf('police.investigations')]).toBe(String(a.police.investigations));
    expect(cells[columns.indexOf('police.arrests')]).toBe(String(a.police.arrests));
    // A name a spreadsheet would take for a formula is written as text.
    expect(rows[1]?.startsWith("'=b,")).toBe(true);
  });
});

describe('perDayCsv', () => {
  it('has a row per simulated day and seven columns per run', () => {
    const rows = perDayCsv(['a', 'b, quoted'], [a, a]).trim().split('\n');
    const columns = (l: string) => [
      `${l} reports to police`,
      `${l} flags raised`,
      `${l} messages`,
      `${l} encrypted messages`,
      `${l} incidents filed`,
      `${l} incidents after bundling`,
      `${l} investigations opened`,
    ];
    expect(rows[0]).toBe(['day', ...columns('a'), ...columns('"b, quoted').map((c) => `${c}"`)].join(','));
    expect(rows).toHaveLength(4);
    const day = (d: number) => [
      a.reports.perDay[d],
      a.review.flagsPerDay[d],
      a.messages.perDay[d],
      a.messages.encryptedPerDay[d],
      a.cyberTips.reportsPerDay[d],
      a.cyberTips.incidentsPerDay[d],
      a.police.investigationsPerDay[d],
    ];
    expect(a.messages.perDay[0]).toBeGreaterThan(0);
    expect(rows[1]).toBe([1, ...day(0), ...day(0)].join(','));
  });
});

describe('perMonthCsv', () => {
  it('has a row per 30-day month, with its days, the per-day columns summed', () => {
    const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
    const rows = perMonthCsv(['a'], [a]).trim().split('\n');
    expect(rows).toEqual([
      'month,days,a reports to police,a flags raised,a messages,a encrypted messages,a incidents filed,a incidents after bundling,a investigations opened',
      `1,1-3,${sum(a.reports.perDay)},${sum(a.review.flagsPerDay)},${a.messages.total},${a.messages.encrypted},${sum(a.cyberTips.reportsPerDay)},${sum(a.cyberTips.incidentsPerDay)},${sum(a.police.investigationsPerDay)}`,
    ]);
    // 65 days: two months of 30 and one of 5.
    const long = { ...a, reports: { ...a.reports, perDay: new Array(65).fill(1), perMonth: [30, 30, 5] } };
    expect(
      perMonthCsv(['x'], [long])
        .trim()
        .split('\n')
        .slice(1)
        .map((row) => row.split(',').slice(0, 3).join(',')),
    ).toEqual(['1,1-30,30', '2,31-60,30', '3,61-65,5']);
  });
});

describe('rollout bands', () => {
  const rolled = runEmbedded(
    testScenario({
      name: 'rolled',
      seed: 3,
      durationDays: 3,
      population: { adults: 200, minors: 50, offenders: { sharers: { count: 10 } } },
      surfaces: { directMessages: { encryption: 'e2ee', fromDay: 1, rampDays: 1 }, profilePhotos: { encryption: 'e2ee', fromDay: 2 } },
    }),
    { file: 'rolled.yaml' },
  );

  it('shade each rollout on the per-day charts, a line for one that reaches every account at once, and nothing without one', () => {
    expect(rolloutBands(['a', 'r'], [a, rolled])).toEqual([
      {
        from: 1,
        to: 2,
        label: 'r: DMs e2ee from the start of day 2 (fromDay 1), reaching every account by the end of day 2',
        colour: SCENARIO_COLOURS[1],
        fill: `${SCENARIO_COLOURS[1]}1f`,
      },
      { from: 2, to: 2, label: 'r: profile photos e2ee from the start of day 3 (fromDay 2)', colour: SCENARIO_COLOURS[1], fill: `${SCENARIO_COLOURS[1]}1f` },
    ]);
    const html = renderHtml({ title: 'T', labels: ['a', 'r'], results: [a, rolled] });
    expect(html).toContain('"blindspotBands":{"bands":[{"from":1,"to":2,');
    expect(html).toContain('The shaded days are a rollout of encryption');
    expect(rolloutBands(['a', 'b'], [a, b])).toEqual([]);
    expect(renderHtml({ title: 'T', labels: ['a'], results: [a] })).not.toContain('"blindspotBands"');
  });
});

describe('rollout bands of a world of several platforms', () => {
  it('shade each platform’s rollout, named by the platform', () => {
    const world = runEmbedded(
      testScenario({
        name: 'two',
        seed: 4,
        durationDays: 3,
        population: { adults: 200, minors: 50, offenders: { sharers: { count: 10 } } },
        platforms: [{ name: 'open' }, { name: 'chat', surfaces: { directMessages: { encryption: 'e2ee', fromDay: 1, rampDays: 1 } } }],
      }),
      { file: 'two.yaml' },
    );
    expect(world.platforms?.map((p) => p.name)).toEqual(['open', 'chat']);
    expect(rolloutBands(['w'], [world])).toEqual([
      {
        from: 1,
        to: 2,
        label: 'w chat: DMs e2ee from the start of day 2 (fromDay 1), reaching every account by the end of day 2',
        colour: SCENARIO_COLOURS[0],
        fill: `${SCENARIO_COLOURS[0]}1f`,
      },
    ]);
    // Each platform's CyberTips a day, in a chart of their own: they add up to the world's.
    const [open, chat] = world.platforms ?? [];
    expect(open?.cyberTipsPerDay.reports.map((n, d) => n + (chat?.cyberTipsPerDay.reports[d] ?? 0))).toEqual(world.cyberTips.reportsPerDay);
    const html = renderHtml({ title: 'T', labels: ['w'], results: [world] });
    expect(html).toContain('<canvas id="platform-incidents-per-day">');
    expect(html).toContain(`"label":"w open","data":${JSON.stringify(open?.cyberTipsPerDay.reports)}`);
    expect(renderHtml({ title: 'T', labels: ['a'], results: [a] })).not.toContain('platform-incidents-per-day');
  });
});

describe('the list of reports', () => {
  it('has one entry per report to police, joined with the truth, and a CSV row each', () => {
    const r = a;
    expect(r.reports.total).toBeGreaterThan(0);
    expect(r.reports.list).toHaveLength(r.reports.total);
    const offenders = r.reports.list.filter((e) => e.truth !== 'innocent' && e.truth !== 'mentor');
    expect(offenders).toHaveLength(r.reports.truePositive);
    expect(r.reports.list.filter((e) => e.investigated)).toHaveLength(r.referrals.investigated);
    for (const e of r.reports.list) {
      expect(e.routes.length).toBeGreaterThan(0);
      expect(e.firstDetectionHours).toBeLessThanOrEqual(e.lastDetectionHours);
      expect(e.firstDetectionHours).toBeLessThanOrEqual(e.filedAtHours);
    }
  });

  it('has one CSV row per incident, with its number, bundling, triage, investigation and arrest', () => {
    const r = a;
    expect(r.cyberTips.list.length).toBeGreaterThanOrEqual(r.reports.total);
    const rows = reportsCsv(r).trim().split('\n');
    expect(rows[0]).toBe(
      'account,incident,truth,routes,filed at (h),first detection (h),last detection (h),detections,bank entry,bundled,burn-in,relevant,investigated,arrested',
    );
    expect(rows).toHaveLength(r.cyberTips.list.length + 1);
    const first = r.cyberTips.list[0];
    if (!first) throw new Error('premise: the run filed an incident');
    expect(rows[1]?.split(',').slice(0, 3)).toEqual([String(first.account), String(first.n), first.truth]);
    expect(rows.slice(1).filter((row) => row.endsWith(',yes,yes') || row.endsWith(',yes,no')).length).toBe(
      r.cyberTips.list.filter((e) => e.investigated).length,
    );
  });
});

describe('a world of several platforms', () => {
  const worldScenario = testScenario({
    name: 'world',
    seed: 3,
    durationDays: 3,
    population: { adults: 200, minors: 50, offenders: { sharers: { count: 10 } } },
    platforms: [{ name: 'chat' }, { name: 'forum' }],
  });
  const world = combinePlatforms(worldScenario, ['chat', 'forum'], [a, b]);

  it('has a table of the platforms in the report, with a total row, and none for a result of one platform', () => {
    const html = renderHtml({ title: 'T', labels: ['world', 'a'], results: [world, a] });
    const table = html.slice(html.indexOf('<table class="platforms" id="platforms-0">'), html.indexOf('</table>', html.indexOf('id="platforms-0"')));
    expect(table.length).toBeGreaterThan(100);
    expect([...table.matchAll(/data-platform="([^"]+)"/g)].map((m) => m[1])).toEqual(['chat', 'forum', 'all platforms']);
    const cell = (platform: string, key: string) => new RegExp(`data-platform="${platform}"[^]*?data-key="${key}">([^<]*)<`).exec(table)?.[1];
    const n = (x: number) => x.toLocaleString('en-US');
    expect(cell('chat', 'reports.total')).toBe(n(a.reports.total));
    expect(cell('forum', 'reports.total')).toBe(n(b.reports.total));
    expect(cell('all platforms', 'reports.total')).toBe(n(world.reports.total));
    expect(cell('all platforms', 'police.investigations')).toBe(n(world.police.investigations));
    expect(html).not.toContain('id="platforms-1"');
    expect(renderHtml({ title: 'T', labels: ['a'], results: [a] })).not.toContain('<h2>Platforms</h2>');
  });

  it('writes a CSV of the platforms whose rows add up to the total row', () => {
    const [header, ...rows] = platformsCsv(world).trim().split('\n');
    const columns = (header ?? '').split(',');
    expect(columns.slice(0, 4)).toEqual(['platform', 'surfaces.directMessages', 'surfaces.publicPosts', 'surfaces.profilePhotos']);
    for (const key of ['messages.total', 'cyberTips.bundled', 'police.arrests', 'offenders.total', 'routes.hashMatch.confirmed', 'review.backlogAtEnd'])
      expect(columns).toContain(key);
    const cells = rows.map((r) => r.split(','));
    expect(cells.map((r) => r[0])).toEqual(['chat', 'forum', 'all platforms']);
    expect(cells[0]?.slice(1, 4)).toEqual(['none', 'none', 'none']);
    const [chat, forum, total] = cells as [string[], string[], string[]];
    for (let c = 4; c < columns.length; c++) expect([columns[c], Number(chat[c]) + Number(forum[c])]).toEqual([columns[c], Number(total[c])]);
    expect(total[columns.indexOf('messages.total')]).toBe(String(world.messages.total));
    expect(Number(total[columns.indexOf('reports.total')])).toBeGreaterThan(0);
    // A result of one platform: the header and its total.
    expect(platformsCsv(a).trim().split('\n')).toHaveLength(2);
  });

  it('names the platform of each incident in the reports CSV', () => {
    const rows = reportsCsv(world).trim().split('\n');
    expect(rows[0]?.startsWith('platform,account,incident,')).toBe(true);
    expect(rows).toHaveLength(world.cyberTips.list.length + 1);
    expect(new Set(rows.slice(1).map((r) => r.split(',')[0]))).toEqual(new Set(['chat', 'forum']));
    expect(reportsCsv(a).startsWith('account,')).toBe(true);
  });
});
