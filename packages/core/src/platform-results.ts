/**
 * A world of several platforms is run once per platform: run i plays the shared world
 * and sees only platform i's messages, reports and blocks. combinePlatforms joins those
 * results into one document whose headline figures are the world's, with each
 * platform's key figures in `platforms`.
 *
 * How each field is combined:
 * - counts are summed, per-day and per-month series summed day by day (month by month);
 * - ratios (recall, precision) are recomputed from the summed numerators and
 *   denominators, never averaged; the time to report is recomputed from the reported
 *   offenders' delays (reports.list: filedAtHours − firstAbuseHours, so to 0.01 h);
 * - lists are concatenated, each entry naming its platform: reports.list by account
 *   (then platform, in the scenario's order), cyberTips.list merged in filing order
 *   (then account, number and platform);
 * - bundling of viral incidents stays per platform: each platform reports to NCMEC
 *   itself and NCMEC bundles a reporting platform's own duplicates, so the parts'
 *   `bundled` flags and counts are kept and summed;
 * - triage stays as each part drew it (the same top-level police, seed and draw keys);
 * - police are one force for the world: its queue, investigations and arrests are run
 *   again over the merged incident list with the top-level police settings (policeQueue:
 *   one capacity a day, first filed first, one investigation per account), and each
 *   investigation is counted for the platform whose incident opened it;
 * - review capacity is the sum of the platforms' (each platform has its own reviewers);
 *   police capacity is the scenario's;
 * - `surfaces` is the scenario's top-level block (the platforms' own are in `platforms`);
 * - scenario echo (name, seed) from the scenario, the file from the first part;
 * - timing: the runs are sequential, so wall seconds are summed and messages per second
 *   is the world's messages over that; the transport is the first part's;
 * - warnings: each part's, prefixed with its platform's name, and any of the joining.
 */
import { rolloutSummary } from './rollout-summary';
import type { Scenario } from './scenario';
import { ROUTES, type Route } from './routes';
import { ABUSE_KINDS, OFFENDER_KINDS, type AbuseKind, type OffenderKind } from './vocabulary';
import { percentile } from './stats';
import { perMonth, policeQueue, type IncidentEntry, type PlatformSummary, type ReportEntry, type RunResult, type Truth } from './result';

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;
const OFFENDER_TRUTHS: ReadonlySet<Truth> = new Set(OFFENDER_KINDS);

const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((s, x) => s + f(x), 0);

/** Element by element; a shorter series counts as zeros past its end. */
function sumSeries(series: readonly (readonly number[])[]): number[] {
  const out = new Array<number>(Math.max(0, ...series.map((s) => s.length))).fill(0);
  for (const s of series)
    s.forEach((v, i) => {
      out[i] = (out[i] as number) + v;
    });
  return out;
}

function sumRecord<K extends string>(keys: readonly K[], parts: readonly Record<K, number>[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, sum(parts, (p) => p[k])])) as Record<K, number>;
}

const sumRoutes = (parts: readonly Record<Route, number>[]) => sumRecord(ROUTES, parts);

/**
 * Recall over several parts: each part's hits are its recall × its abusive messages of the
 * type (exact while a part has fewer than 10,000 of them, as recall is rounded to 4
 * digits; within 0.00005 of the share beyond), summed, over the summed messages.
 */
function recallOf(parts: readonly RunResult[], recall: (r: RunResult) => Record<AbuseKind, number | null>): Record<AbuseKind, number | null> {
  return Object.fromEntries(
    ABUSE_KINDS.map((k) => {
      const total = sum(parts, (r) => r.abuse[k]);
      if (total === 0) return [k, null];
      const hits = sum(parts, (r) => Math.round((recall(r)[k] ?? 0) * r.abuse[k]));
      return [k, round(hits / total)];
    }),
  ) as Record<AbuseKind, number | null>;
}

/**
 * A result's key figures as a platform summary (a copy): for a platform's own run, or,
 * named as a total, for the world's combined result. combinePlatforms then puts in the
 * platform's share of the world's police.
 */
export function summaryOf(name: string, r: RunResult): PlatformSummary {
  return {
    name,
    surfaces: {
      directMessages: { ...r.surfaces.directMessages },
      publicPosts: { ...r.surfaces.publicPosts },
      profilePhotos: { ...r.surfaces.profilePhotos },
    },
    rollout: r.rollout,
    cyberTipsPerDay: { reports: [...r.cyberTips.reportsPerDay], incidents: [...r.cyberTips.incidentsPerDay] },
    messages: {
      total: r.messages.total,
      encrypted: r.messages.encrypted,
      scanned: r.messages.scanned,
      unscannable: r.messages.unscannable,
      deadLettered: r.messages.deadLettered,
    },
    detections: { ...r.detections },
    reports: {
      total: r.reports.total,
      truePositive: r.reports.truePositive,
      falsePositive: r.reports.falsePositive,
      byRoute: { ...r.reports.byRoute },
      byFirstRoute: { ...r.reports.byFirstRoute },
    },
    offenders: { total: r.offenders.total, reported: r.offenders.reported },
    enforcement: { ...r.enforcement },
    innocentReported: r.innocentReported,
    lookalikesReported: r.lookalikesReported,
    cyberTips: { reports: r.cyberTips.reports, incidents: r.cyberTips.incidents, bundled: r.cyberTips.bundled, accounts: r.cyberTips.accounts },
    referrals: { ...r.referrals },
    police: {
      referred: r.police.referred,
      relevant: r.police.relevant,
      investigations: r.police.investigations,
      offendersInvestigated: r.police.offendersInvestigated,
      innocentInvestigated: r.police.innocentInvestigated,
      arrests: r.police.arrests,
      backlogAtEnd: r.police.backlogAtEnd,
    },
    routes: Object.fromEntries(ROUTES.map((k) => [k, { flags: r.routes[k].flags, confirmed: r.routes[k].confirmed }])) as PlatformSummary['routes'],
    review: {
      capacityPerDay: r.review.capacityPerDay,
      flags: r.review.flags,
      reviewed: r.review.reviewed,
      confirmed: r.review.confirmed,
      rejected: r.review.rejected,
      backlogAtEnd: r.review.backlogAtEnd,
    },
    privacy: { ...r.privacy },
  };
}

/** The world's result from its platforms' results: `parts[i]` is platform `names[i]`'s run. */
export function combinePlatforms(scenario: Scenario, names: readonly string[], parts: readonly RunResult[]): RunResult {
  if (parts.length === 0) throw new Error('combinePlatforms: no platform results');
  if (names.length !== parts.length) throw new Error(`combinePlatforms: ${names.length} platform names for ${parts.length} results`);
  if (new Set(names).size !== names.length) throw new Error('combinePlatforms: two platforms of one name');
  const first = parts[0] as RunResult;
  const { burnInDays } = scenario;
  const warnings: string[] = [];
  parts.forEach((r, i) => {
    for (const w of r.warnings) warnings.push(`${names[i]}: ${w}`);
    if (r.scenario.seed !== scenario.seed) warnings.push(`${names[i]}: run with seed ${r.scenario.seed}, not the scenario's ${scenario.seed}`);
    if (r.burnInDays !== burnInDays) warnings.push(`${names[i]}: run with ${r.burnInDays} burn-in days, not the scenario's ${burnInDays}`);
  });

  // Incidents: every platform's, in filing order (a merge, so each part keeps its own order).
  const incidents: IncidentEntry[] = [];
  const platformOf: number[] = [];
  const heads = parts.map(() => 0);
  for (;;) {
    let best = -1;
    for (let p = 0; p < parts.length; p++) {
      const e = (parts[p] as RunResult).cyberTips.list[heads[p] as number];
      if (!e) continue;
      const b = best < 0 ? undefined : (parts[best] as RunResult).cyberTips.list[heads[best] as number];
      if (!b || e.filedAtHours < b.filedAtHours || (e.filedAtHours === b.filedAtHours && (e.account < b.account || (e.account === b.account && e.n < b.n))))
        best = p;
    }
    if (best < 0) break;
    const e = (parts[best] as RunResult).cyberTips.list[heads[best] as number] as IncidentEntry;
    heads[best] = (heads[best] as number) + 1;
    // Police decide again below: what each part's own police did does not carry over.
    incidents.push({ ...e, routes: [...e.routes], evidence: { ...e.evidence }, investigated: false, arrested: false, platform: names[best] as string });
    platformOf.push(best);
  }
  // Filing times to 0.01 h, as the parts' lists carry them: an incident filed within 18 s of
  // the start of a day may reach the joint queue a day apart from its own platform's.
  const police = policeQueue(scenario, incidents, (k) => (incidents[k] as IncidentEntry).filedAtHours * 3600);

  // Each investigation (of the headline days) counts for the platform whose incident opened it.
  const perPlatform = parts.map(() => ({ investigated: 0, offendersInvestigated: 0, arrests: 0, backlogAtEnd: 0 }));
  let investigated = 0;
  let offendersInvestigated = 0;
  for (const inv of police.investigations) {
    if (inv.day < burnInDays) continue;
    const own = perPlatform[platformOf[inv.opener] as number] as (typeof perPlatform)[number];
    const offender = OFFENDER_TRUTHS.has((incidents[inv.opener] as IncidentEntry).truth);
    investigated++;
    own.investigated++;
    if (offender) {
      offendersInvestigated++;
      own.offendersInvestigated++;
    }
    if (inv.arrested) own.arrests++;
  }
  for (const k of police.waiting) (perPlatform[platformOf[k] as number] as (typeof perPlatform)[number]).backlogAtEnd++;

  // Reports: by account, then platform; investigated when one of its platform's incidents about the account was.
  const investigatedKeys = new Set(incidents.filter((e) => e.investigated).map((e) => `${e.platform}:${e.account}`));
  const reports: ReportEntry[] = parts
    .flatMap((r, p) =>
      r.reports.list.map((e) => ({
        p,
        e: {
          ...e,
          routes: [...e.routes],
          evidence: { ...e.evidence },
          platform: names[p] as string,
          investigated: investigatedKeys.has(`${names[p]}:${e.account}`),
        },
      })),
    )
    .sort((a, b) => a.e.account - b.e.account || a.p - b.p)
    .map((x) => x.e);

  const delays = reports.flatMap((e) => (e.firstAbuseHours === undefined ? [] : [e.filedAtHours - e.firstAbuseHours])).sort((a, b) => a - b);
  const reported = sum(parts, (r) => r.timeToReport.reported);
  if (delays.length !== reported)
    warnings.push(`${reported} reported offenders but the first abuse of only ${delays.length} known: the time to report is of those`);
  const median = percentile(delays, 0.5);
  const p90 = percentile(delays, 0.9);

  const messagesPerDay = sumSeries(parts.map((r) => r.messages.perDay));
  const encryptedPerDay = sumSeries(parts.map((r) => r.messages.encryptedPerDay));
  const reportsPerDay = sumSeries(parts.map((r) => r.reports.perDay));
  const flagsPerDay = sumSeries(parts.map((r) => r.review.flagsPerDay));
  const tipsPerDay = sumSeries(parts.map((r) => r.cyberTips.reportsPerDay));
  const incidentsPerDay = sumSeries(parts.map((r) => r.cyberTips.incidentsPerDay));
  const totalMessages = sum(parts, (r) => r.messages.total);
  const wallSeconds = round(
    sum(parts, (r) => r.timing.wallSeconds),
    3,
  );
  const referred = sum(parts, (r) => r.cyberTips.reports);

  const platforms: PlatformSummary[] = parts.map((r, p) => {
    const own = perPlatform[p] as (typeof perPlatform)[number];
    const summary = summaryOf(names[p] as string, r);
    summary.referrals = { referred: r.referrals.referred, investigated: own.investigated, offendersInvestigated: own.offendersInvestigated };
    summary.police = {
      referred: r.police.referred,
      relevant: r.police.relevant,
      investigations: own.investigated,
      offendersInvestigated: own.offendersInvestigated,
      innocentInvestigated: own.investigated - own.offendersInvestigated,
      arrests: own.arrests,
      backlogAtEnd: own.backlogAtEnd,
    };
    return summary;
  });

  const byKind = Object.fromEntries(
    OFFENDER_KINDS.map((k) => [k, { total: sum(parts, (r) => r.offenders.byKind[k].total), reported: sum(parts, (r) => r.offenders.byKind[k].reported) }]),
  ) as Record<OffenderKind, { total: number; reported: number }>;
  const truePositive = sum(parts, (r) => r.reports.truePositive);
  const falsePositive = sum(parts, (r) => r.reports.falsePositive);
  const arrests = sum(perPlatform, (x) => x.arrests);
  if (arrests !== police.arrests) warnings.push(`${police.arrests} arrests but ${arrests} attributed to platforms`);

  return {
    scenario: { name: scenario.name, file: first.scenario.file, seed: scenario.seed },
    burnInDays,
    surfaces: {
      directMessages: { ...scenario.surfaces.directMessages },
      publicPosts: { ...scenario.surfaces.publicPosts },
      profilePhotos: { ...scenario.surfaces.profilePhotos },
    },
    rollout: rolloutSummary(scenario, tipsPerDay, incidentsPerDay),
    messages: {
      total: totalMessages,
      encrypted: sum(parts, (r) => r.messages.encrypted),
      scanned: sum(parts, (r) => r.messages.scanned),
      unscannable: sum(parts, (r) => r.messages.unscannable),
      deadLettered: sum(parts, (r) => r.messages.deadLettered),
      perDay: messagesPerDay,
      encryptedPerDay,
      perMonth: perMonth(messagesPerDay),
      encryptedPerMonth: perMonth(encryptedPerDay),
    },
    detections: sumRoutes(parts.map((r) => r.detections)),
    reports: {
      total: sum(parts, (r) => r.reports.total),
      perDay: reportsPerDay,
      perMonth: perMonth(reportsPerDay),
      truePositive,
      falsePositive,
      byRoute: sumRoutes(parts.map((r) => r.reports.byRoute)),
      byFirstRoute: sumRoutes(parts.map((r) => r.reports.byFirstRoute)),
      falsePositiveByRoute: sumRoutes(parts.map((r) => r.reports.falsePositiveByRoute)),
      byAbuseType: sumRecord(
        [...ABUSE_KINDS, 'none'] as const,
        parts.map((r) => r.reports.byAbuseType),
      ),
      routeReports: sumRoutes(parts.map((r) => r.reports.routeReports)),
      list: reports,
    },
    recall: recallOf(parts, (r) => r.recall),
    offenders: {
      total: sum(parts, (r) => r.offenders.total),
      reported: sum(parts, (r) => r.offenders.reported),
      returns: sum(parts, (r) => r.offenders.returns),
      byKind,
    },
    enforcement: {
      closed: sum(parts, (r) => r.enforcement.closed),
      offendersClosed: sum(parts, (r) => r.enforcement.offendersClosed),
      innocentClosed: sum(parts, (r) => r.enforcement.innocentClosed),
      returnsAfterClosing: sum(parts, (r) => r.enforcement.returnsAfterClosing),
    },
    innocentReported: sum(parts, (r) => r.innocentReported),
    lookalikesReported: sum(parts, (r) => r.lookalikesReported),
    viralSharersReported: sum(parts, (r) => r.viralSharersReported),
    timeToReport: {
      reported,
      medianHours: median === null ? null : round(median, 1),
      p90Hours: p90 === null ? null : round(p90, 1),
    },
    abuse: {
      ...sumRecord(
        ABUSE_KINDS,
        parts.map((r) => r.abuse),
      ),
      encrypted: sum(parts, (r) => r.abuse.encrypted),
    },
    userReports: sumRecord(
      ['made', 'forged', 'received', 'accepted', 'rejected'] as const,
      parts.map((r) => r.userReports),
    ),
    clientSideScanning: sumRecord(
      ['vouchers', 'matched', 'opened', 'accountsOpened', 'innocentAccountsOpened'] as const,
      parts.map((r) => r.clientSideScanning),
    ),
    privacy: sumRecord(
      ['readableInnocentMessages', 'innocentUsersExposed', 'innocentUsers', 'innocentAccountsReviewed'] as const,
      parts.map((r) => r.privacy),
    ),
    review: {
      capacityPerDay: sum(parts, (r) => r.review.capacityPerDay),
      flags: sum(parts, (r) => r.review.flags),
      flagsPerDay,
      flagsPerMonth: perMonth(flagsPerDay),
      reviewed: sum(parts, (r) => r.review.reviewed),
      confirmed: sum(parts, (r) => r.review.confirmed),
      rejected: sum(parts, (r) => r.review.rejected),
      backlogAtEnd: sum(parts, (r) => r.review.backlogAtEnd),
    },
    referrals: { referred, investigated, offendersInvestigated },
    cyberTips: {
      reports: referred,
      incidents: sum(parts, (r) => r.cyberTips.incidents),
      bundled: sum(parts, (r) => r.cyberTips.bundled),
      accounts: sum(parts, (r) => r.cyberTips.accounts),
      reportsPerDay: tipsPerDay,
      incidentsPerDay,
      reportsPerMonth: perMonth(tipsPerDay),
      incidentsPerMonth: perMonth(incidentsPerDay),
      list: incidents,
    },
    police: {
      capacityPerDay: scenario.police.capacityPerDay,
      referred: sum(parts, (r) => r.police.referred),
      relevant: sum(parts, (r) => r.police.relevant),
      investigations: investigated,
      offendersInvestigated,
      innocentInvestigated: investigated - offendersInvestigated,
      arrests: police.arrests,
      backlogAtEnd: police.backlogAtEnd,
      investigationsPerDay: police.investigationsPerDay,
    },
    routes: Object.fromEntries(
      ROUTES.map((k) => {
        const flags = sum(parts, (r) => r.routes[k].flags);
        const flagsAbusive = sum(parts, (r) => r.routes[k].flagsAbusive);
        return [
          k,
          {
            flags,
            flagsAbusive,
            precision: flags === 0 ? null : round(flagsAbusive / flags),
            confirmed: sum(parts, (r) => r.routes[k].confirmed),
            recall: recallOf(parts, (r) => r.routes[k].recall),
          },
        ];
      }),
    ) as RunResult['routes'],
    protections: sumRecord(
      [
        'refusedRequests',
        'restrictedMessages',
        'refusedAbusive',
        'restrictedAccounts',
        'restrictedInnocent',
        'prompted',
        'promptedReports',
        'promptedBlocks',
      ] as const,
      parts.map((r) => r.protections),
    ),
    warnings,
    timing: { transport: first.timing.transport, wallSeconds, messagesPerSecond: Math.round(totalMessages / Math.max(wallSeconds, 1e-9)) },
    platforms,
  };
}
