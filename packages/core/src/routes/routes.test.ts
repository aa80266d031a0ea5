import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { METADATA_RULES } from '../metadata/rules';
import { scenarioSchema, validateScenario } from '../scenario';
import {
  DEFAULT_REVIEW_PRIORITY,
  MERGE_RANK,
  ROUTE_LABELS,
  ROUTE_REGISTRY,
  ROUTES,
  checkRouteRegistry,
  checkStageHandles,
  defineRoute,
  type RouteModule,
} from '.';

const minimal = { seed: 1, durationDays: 2, population: { adults: 30, minors: 10 } };

/** A content route as a new module would declare it. */
const extra = (over: Partial<RouteModule> = {}): RouteModule =>
  defineRoute({
    name: 'extra',
    label: 'extra',
    reviewRank: 99,
    block: { key: 'extra', schema: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}) },
    detect: {
      kind: 'content',
      stage: 'scanner',
      media: 'text',
      surfaces: () => ['dm'],
      prepare: () => (contents) => contents.map(() => true),
      benignShare: () => 0,
    },
    ...over,
  }) as RouteModule;

describe('the route registry', () => {
  it('lists the routes in the order every per-route table of a result keeps', () => {
    expect(ROUTES).toEqual(['hashMatch', 'imageClassifier', 'textClassifier', 'metadata', 'userReport', 'clientSideScanning']);
    expect(Object.keys(ROUTE_LABELS)).toEqual([...ROUTES]);
    for (const r of ROUTES) expect(ROUTE_LABELS[r]).toMatch(/\S/);
  });

  it('derives the default review order from the routes’ ranks, and the scenario uses it', () => {
    expect(DEFAULT_REVIEW_PRIORITY).toEqual(['hashMatch', 'clientSideScanning', 'userReport', 'imageClassifier', 'textClassifier', 'metadata']);
    const r = validateScenario(minimal, 't.yaml');
    expect(r.ok && r.scenario.review.priority).toEqual(DEFAULT_REVIEW_PRIORITY);
  });

  it('merges one event’s detections in pipeline order: scanner routes, then the metadata detector’s, then the reporter’s', () => {
    expect(MERGE_RANK).toEqual({ hashMatch: 0, imageClassifier: 1, textClassifier: 2, clientSideScanning: 3, metadata: 4, userReport: 5 });
  });

  it('composes detection from the bank and each route’s block, in registry order', () => {
    const detection = scenarioSchema.shape.detection.unwrap();
    expect(Object.keys(detection.shape)).toEqual(['hashBank', ...ROUTE_REGISTRY.map((r) => r.block.key)]);
  });

  it('accepts a well-formed new route', () => {
    expect(() => checkRouteRegistry([...(ROUTE_REGISTRY as readonly RouteModule[]), extra()])).not.toThrow();
  });

  it('refuses a route without a detector: the compiler, and the registry check naming it', () => {
    // @ts-expect-error: `detect` is required, so a route without a detector does not compile (pnpm check fails if this line compiles).
    const broken: RouteModule = { name: 'extra', label: 'extra', reviewRank: 99, block: { key: 'extra', schema: z.strictObject({}) } };
    expect(() => checkRouteRegistry([broken])).toThrow('route "extra" has no detector');
  });

  it('refuses a route whose name, block or review rank another route has', () => {
    const routes = ROUTE_REGISTRY as readonly RouteModule[];
    expect(() => checkRouteRegistry([...routes, extra({ name: 'hashMatch' })])).toThrow('two routes are named "hashMatch"');
    expect(() => checkRouteRegistry([...routes, extra({ block: { key: 'hashMatching', schema: z.strictObject({}) } })])).toThrow('detection.hashMatching');
    expect(() => checkRouteRegistry([...routes, extra({ block: { key: 'hashBank', schema: z.strictObject({}) } })])).toThrow('detection.hashBank');
    expect(() => checkRouteRegistry([...routes, extra({ reviewRank: 0 })])).toThrow('route "extra" has review rank 0');
  });

  it('makes a stage refuse, at start-up, a route whose detector it does not run', () => {
    expect(() => checkStageHandles('scanner', ['content', 'voucher'])).not.toThrow();
    expect(() => checkStageHandles('scanner', ['voucher'])).toThrow('route "hashMatch": its detector is of kind "content" for the scanner');
    const misplaced = extra({ detect: { kind: 'report', stage: 'scanner', enabled: () => true, accept: () => true } as unknown as RouteModule['detect'] });
    expect(() => checkStageHandles('scanner', ['content', 'voucher'], [misplaced])).toThrow('route "extra"');
  });
});

describe('review settings checked against the registries', () => {
  const problemsOf = (review: unknown) => {
    const r = validateScenario({ ...minimal, review }, 't.yaml');
    return r.ok ? [] : r.problems;
  };

  it('refuses a route listed twice in review.priority, pointing at the second place', () => {
    expect(problemsOf({ priority: ['userReport', 'hashMatch', 'userReport'] })).toEqual([
      { path: 'review.priority[2]', message: 'userReport is listed twice; each route may appear at most once' },
    ]);
  });

  it('refuses a name in review.priority that is no registered route', () => {
    const [p] = problemsOf({ priority: ['hashMatch', 'hashMatching'] });
    expect(p?.path).toBe('review.priority[1]');
    expect(p?.message).toContain('must be one of "hashMatch", "imageClassifier"');
  });

  it('caps review.metadataMinRules at the number of registered rules', () => {
    expect(problemsOf({ metadataMinRules: METADATA_RULES.length })).toEqual([]);
    expect(problemsOf({ metadataMinRules: METADATA_RULES.length + 1 })).toEqual([
      { path: 'review.metadataMinRules', message: `must be at most ${METADATA_RULES.length}, got ${METADATA_RULES.length + 1}` },
    ]);
  });
});
