import { describe, expect, it } from 'vitest';
import type { Scenario } from './scenario';
import { testScenario } from './testing';
import { applyReporter, initialReporterState } from './reporter';
import { buildResult, type LedgerView, type RunResult, type Timing } from './result';
import { combinePlatforms, summaryOf } from './platform-results';
import { newPlatformKey } from './franking';
import { DAY, type Detection, type ScanCounts } from './types';
import { ROUTES, type Route } from './routes';
import { emptyLedger } from './world/ledger';

const platformKey = newPlatformKey();
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

function scenario(over: { durationDays?: number; police?: Record<string, unknown>; review?: Record<string, unknown> } = {}): Scenario {
  return testScenario(
    {
      seed: 7,
      name: 'world',
      durationDays: over.durationDays ?? 3,
      population: { adults: 40, minors: 10 },
      review: { capacityPerDay: 1000, metadataMinRules: 2, metadataMinStrength: 2, ...over.review },
    },
    { police: over.police ?? { triage: { offenderRelevant: 1, innocentRelevant: 1 }, capacityPerDay: 100, arrestRate: 1 } },
  );
}

const det = (route: Route, account: number, t: number, evidence: number, messageId: number): Detection => ({
  route,
  account,
  t,
  messageId,
  event: Math.floor(t),
  evidence,
});

interface PartSpec {
  detections: Detection[];
  ledger: Partial<LedgerView>;
  messages: number;
  encrypted: number;
  wallSeconds: number;
}

/** One platform's run: the reporter over one batch, joined with its ledger. */
function part(s: Scenario, spec: PartSpec): RunResult {
  const counts: ScanCounts = {
    messages: spec.messages,
    encrypted: spec.encrypted,
    scanned: spec.messages - spec.encrypted,
    unscannable: spec.encrypted,
    deadLettered: 0,
    vouchers: 0,
    vouchersMatched: 0,
  };
  const state = initialReporterState(s);
  const detected = applyReporter(
    { scenario: s, platformKey },
    state,
    { run: 'r', seq: 0, final: true, detections: spec.detections, vouchers: [], counts },
    { run: 'r', seq: 0, final: true, detections: [], reports: [] },
  );
  const ledger: LedgerView = {
    ...emptyLedger(),
    messages: spec.messages,
    encrypted: spec.encrypted,
    privacy: { readableInnocentMessages: 10, innocentUsersExposed: 3, innocentUsers: 30 },
    ...spec.ledger,
  };
  const timing: Timing = { transport: 'embedded', wallSeconds: spec.wallSeconds, messagesPerSecond: 0 };
  return buildResult(s, 'world.yaml', state, detected, ledger, timing);
}

// Platform "chat": sharers 1 and 4, a groomer 2, a producer 5; innocent 3 and 6 flagged by
// the hash match (one reported, one rejected). Platform "photos": sharers 11 and 12, all
// its hash flags right; an innocent 13 flagged by the image classifier.
const chatSpec = (s: Scenario): PartSpec => ({
  detections: [
    det('hashMatch', 1, 100, 0.9, 100),
    det('imageClassifier', 1, 110, 0.8, 101),
    det('textClassifier', 2, 310, 0.9, 300),
    det('hashMatch', 3, 400, 0.7, 999),
    det('hashMatch', 6, 600, 0.1, 600),
    det('imageClassifier', 5, DAY + 100, 0.9, 200),
  ],
  ledger: {
    offenders: { sharer: [1, 4], producer: [5], groomer: [2] },
    abusiveMessages: { knownImage: 4, newImage: 2, grooming: 3 },
    abusiveIds: { knownImage: [100, 101, 102, 103], newImage: [200, 201], grooming: [300, 301, 302] },
    abusiveEncrypted: 2,
    firstAbuse: [
      [1, 50],
      [2, 250],
      [5, 60],
    ],
    messagesPerDay: [60, 30, 10].slice(0, s.durationDays),
    encryptedPerDay: [20, 10, 0].slice(0, s.durationDays),
  },
  messages: 100,
  encrypted: 30,
  wallSeconds: 1.25,
});
const photosSpec = (s: Scenario): PartSpec => ({
  detections: [det('hashMatch', 11, 200, 0.9, 1100), det('hashMatch', 12, DAY + 300, 0.95, 1101), det('imageClassifier', 13, 500, 0.9, 1900)],
  ledger: {
    offenders: { sharer: [11, 12, 14], producer: [], groomer: [] },
    abusiveMessages: { knownImage: 3, newImage: 0, grooming: 0 },
    abusiveIds: { knownImage: [1100, 1101, 1102], newImage: [], grooming: [] },
    firstAbuse: [
      [11, 20 * 3600],
      [12, DAY + 200],
    ],
    messagesPerDay: [5, 15, 20].slice(0, s.durationDays),
    encryptedPerDay: [0, 5, 5].slice(0, s.durationDays),
  },
  messages: 40,
  encrypted: 10,
  wallSeconds: 0.5,
});

/** Every numeric leaf of an object, by its path. */
function leaves(x: unknown, path = ''): [string, number][] {
  if (typeof x === 'number') return [[path, x]];
  if (typeof x !== 'object' || x === null) return [];
  return Object.entries(x).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k));
}
const at = (x: unknown, path: string) => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], x);

describe('combinePlatforms', () => {
  const s = scenario();
  const chat = part(s, chatSpec(s));
  const photos = part(s, photosSpec(s));
  const world = combinePlatforms(s, ['chat', 'photos'], [chat, photos]);

  it("gives each platform's key figures, and every count of them sums to the world's", () => {
    expect(world.platforms?.map((p) => p.name)).toEqual(['chat', 'photos']);
    // The per-day series have their own test below; surfaces are settings.
    const counted = ([p]: [string, unknown]) => !p.startsWith('surfaces.') && !p.startsWith('cyberTipsPerDay.');
    const paths = leaves(world.platforms?.[0]).filter(counted);
    expect(paths.length).toBeGreaterThan(40);
    for (const [path] of paths) {
      const total = (world.platforms ?? []).reduce((sum, p) => sum + (at(p, path) as number), 0);
      expect([path, total]).toEqual([path, at(world, path)]);
    }
    // The figures are the parts' (police apart), and not zero: the sums above mean something.
    expect(world.platforms?.[0]?.messages.total).toBe(100);
    expect(world.platforms?.[1]?.reports).toMatchObject({ total: 3, truePositive: 2, falsePositive: 1 });
    expect(world.reports.total).toBe(chat.reports.total + photos.reports.total);
    expect(world.offenders).toMatchObject({ total: 7, reported: 5 });
    expect(world.offenders.byKind.sharer).toEqual({ total: 5, reported: 3 });
    // A total row from the world's result has the same figures.
    const total = leaves(summaryOf('all', world)).filter(counted);
    for (const [path, value] of total) expect([path, value]).toEqual([path, at(world, path)]);
  });

  it('sums the series day by day and month by month', () => {
    expect(world.messages.perDay).toEqual([65, 45, 30]);
    expect(world.messages.encryptedPerDay).toEqual([20, 15, 5]);
    for (const pick of [
      (r: RunResult) => r.reports.perDay,
      (r: RunResult) => r.review.flagsPerDay,
      (r: RunResult) => r.cyberTips.reportsPerDay,
      (r: RunResult) => r.cyberTips.incidentsPerDay,
      (r: RunResult) => r.messages.perMonth,
      (r: RunResult) => r.cyberTips.incidentsPerMonth,
    ]) {
      expect(pick(world)).toEqual(pick(chat).map((x, i) => x + (pick(photos)[i] ?? 0)));
    }
    expect(world.reports.perDay).toEqual([5, 2, 0]);
    // Each platform keeps its own CyberTips a day.
    expect(world.platforms?.map((p) => p.cyberTipsPerDay)).toEqual(
      [chat, photos].map((r) => ({ reports: r.cyberTips.reportsPerDay, incidents: r.cyberTips.incidentsPerDay })),
    );
  });

  it('recomputes ratios from the summed counts, not as the mean of the parts', () => {
    // Hash match: chat 1 of 3 flags about abuse, photos 2 of 2: 3 of 5, not (1/3 + 1)/2.
    expect(chat.routes.hashMatch.precision).toBe(0.3333);
    expect(photos.routes.hashMatch.precision).toBe(1);
    expect(world.routes.hashMatch).toMatchObject({ flags: 5, flagsAbusive: 3, precision: 0.6 });
    // Known images: chat 2 of 4 detected, photos 2 of 3: 4 of 7.
    expect([chat.recall.knownImage, photos.recall.knownImage]).toEqual([0.5, 0.6667]);
    expect(world.recall.knownImage).toBe(0.5714);
    expect(world.routes.hashMatch.recall.knownImage).toBe(round4(3 / 7));
    // New images only on chat: its share; grooming likewise.
    expect(world.recall.newImage).toBe(chat.recall.newImage);
    expect(world.recall.grooming).toBe(chat.recall.grooming);
  });

  it("takes the time to report over every platform's reported offenders", () => {
    const delays = world.reports.list.filter((e) => e.firstAbuseHours !== undefined).map((e) => e.filedAtHours - (e.firstAbuseHours as number));
    expect(delays).toHaveLength(5);
    expect(world.timeToReport.reported).toBe(5);
    // Chat's offenders reported 23.93, 23.99 and 47.98 hours after their first abuse, photos' 4 and 23.94:
    // the nearest-rank median of the five is the third, 23.94.
    const sorted = [...delays].sort((a, b) => a - b);
    expect(sorted.map((d) => Math.round(d * 100) / 100)).toEqual([4, 23.93, 23.94, 23.99, 47.98]);
    expect(world.timeToReport.medianHours).toBe(23.9);
    expect(world.timeToReport.p90Hours).toBe(48);
    expect([chat.timeToReport.medianHours, photos.timeToReport.medianHours]).toEqual([24, 4]);
  });

  it('tags every list entry with its platform, in the order buildResult sorts them', () => {
    expect(world.reports.list.map((e) => [e.platform, e.account])).toEqual([
      ['chat', 1],
      ['chat', 2],
      ['chat', 3],
      ['chat', 5],
      ['photos', 11],
      ['photos', 12],
      ['photos', 13],
    ]);
    const filed = world.cyberTips.list.map((e) => e.filedAtHours);
    expect(filed).toEqual([...filed].sort((a, b) => a - b));
    expect(world.cyberTips.list).toHaveLength(chat.cyberTips.list.length + photos.cyberTips.list.length);
    expect(new Set(world.cyberTips.list.map((e) => e.platform))).toEqual(new Set(['chat', 'photos']));
    // The parts themselves are left as they were.
    expect(chat.cyberTips.list.every((e) => e.platform === undefined)).toBe(true);
  });

  it('sums the wall seconds of the sequential runs, and the review capacity of the platforms', () => {
    expect(world.timing.wallSeconds).toBe(1.75);
    expect(world.timing.messagesPerSecond).toBe(Math.round(140 / 1.75));
    expect(world.review.capacityPerDay).toBe(2000);
    expect(world.scenario).toEqual({ name: 'world', file: 'world.yaml', seed: 7 });
    expect(world.warnings).toEqual([]);
  });

  it('of one platform gives back its own result, with the platform named', () => {
    const one = combinePlatforms(s, ['chat'], [chat]);
    const { platforms, timing, ...rest } = one;
    const strip = (r: Omit<RunResult, 'platforms' | 'timing'>) => ({
      ...r,
      reports: { ...r.reports, list: r.reports.list.map(({ platform: _p, ...e }) => e) },
      cyberTips: { ...r.cyberTips, list: r.cyberTips.list.map(({ platform: _p, ...e }) => e) },
    });
    const { timing: _t, ...own } = chat;
    expect(strip(rest)).toEqual(strip(own));
    expect(platforms).toHaveLength(1);
    expect(timing.wallSeconds).toBe(chat.timing.wallSeconds);
  });

  it('runs one police queue for the world: never more investigations a day than its capacity, though each platform alone fills it', () => {
    const ps = scenario({ durationDays: 10, police: { triage: { offenderRelevant: 1, innocentRelevant: 1 }, capacityPerDay: 2, arrestRate: 1 } });
    // Twenty sharers on each platform, all reported at the end of day 1.
    const many = (from: number): PartSpec => {
      const accounts = Array.from({ length: 20 }, (_, i) => from + i);
      return {
        detections: accounts.map((a, i) => det('hashMatch', a, 10 + i + (from === 100 ? 0.5 : 0), 0.9, a)),
        ledger: { offenders: { sharer: accounts, producer: [], groomer: [] } },
        messages: 50,
        encrypted: 0,
        wallSeconds: 1,
      };
    };
    const a = part(ps, many(0));
    const b = part(ps, many(100));
    expect(a.police.investigationsPerDay).toEqual([0, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(b.police.investigationsPerDay).toEqual(a.police.investigationsPerDay);
    const w = combinePlatforms(ps, ['a', 'b'], [a, b]);
    for (const n of w.police.investigationsPerDay) expect(n).toBeLessThanOrEqual(2);
    expect(w.police.investigations).toBe(18);
    expect(w.police.investigations).toBeLessThan(a.police.investigations + b.police.investigations);
    expect(w.police.backlogAtEnd).toBe(40 - 18);
    expect(w.police.arrests).toBe(18);
    // First filed first: all of a's and b's incidents are filed at 24 h, so by account: a's twenty (0..19) come first.
    expect(w.platforms?.map((p) => [p.name, p.police.investigations, p.police.arrests, p.police.backlogAtEnd])).toEqual([
      ['a', 18, 18, 2],
      ['b', 0, 0, 20],
    ]);
    expect(w.reports.list.filter((e) => e.investigated)).toHaveLength(18);
    expect(w.cyberTips.list.filter((e) => e.investigated).every((e) => e.platform === 'a')).toBe(true);
  });

  it('opens one investigation per account across platforms: a later incident about it on another platform joins it', () => {
    const ps = scenario({ durationDays: 5 });
    const spec = (t: number): PartSpec => ({
      detections: [det('hashMatch', 1, t, 0.9, 10)],
      ledger: { offenders: { sharer: [1], producer: [], groomer: [] } },
      messages: 10,
      encrypted: 0,
      wallSeconds: 1,
    });
    const w = combinePlatforms(ps, ['early', 'late'], [part(ps, spec(100)), part(ps, spec(2 * DAY + 100))]);
    expect(w.police.investigations).toBe(1);
    expect(w.cyberTips.list.map((e) => [e.platform, e.investigated, e.arrested])).toEqual([
      ['early', true, true],
      ['late', true, true],
    ]);
    expect(w.platforms?.map((p) => p.police.investigations)).toEqual([1, 0]);
  });

  it('refuses names that do not match the results', () => {
    expect(() => combinePlatforms(s, ['chat'], [chat, photos])).toThrow(/1 platform names for 2 results/);
    expect(() => combinePlatforms(s, ['x', 'x'], [chat, photos])).toThrow(/two platforms of one name/);
    expect(() => combinePlatforms(s, [], [])).toThrow(/no platform results/);
  });
});

describe('ROUTES in platform summaries', () => {
  it('has every route', () => {
    const s = scenario();
    const w = combinePlatforms(s, ['chat'], [part(s, chatSpec(s))]);
    expect(Object.keys(w.platforms?.[0]?.routes ?? {})).toEqual([...ROUTES]);
  });
});
