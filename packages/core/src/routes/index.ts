/**
 * The registry of detection routes: one line per route, in the order results list them
 * (append, never reorder: it is the key order of every per-route table). Everything else
 * about a route (label, review rank, scenario block, detector) is in its module; names,
 * labels, the default review order and the per-route tables are derived here.
 */
import { STAGES, type Stage } from '../vocabulary';
import { clientSideScanning } from './client-side-scanning';
import { hashMatch } from './hash-match';
import { imageClassifier } from './image-classifier';
import { metadata } from './metadata';
import type { Detector, DetectorKind, RouteModule } from './route';
import { textClassifier } from './text-classifier';
import { userReport } from './user-report';

export const ROUTE_REGISTRY = [hashMatch, imageClassifier, textClassifier, metadata, userReport, clientSideScanning] as const;

export type Route = (typeof ROUTE_REGISTRY)[number]['name'];
export const ROUTES = ROUTE_REGISTRY.map((r) => r.name) as readonly Route[] as readonly [Route, ...Route[]];
export const ROUTE_LABELS = Object.fromEntries(ROUTE_REGISTRY.map((r) => [r.name, r.label])) as Record<Route, string>;

const modules = ROUTE_REGISTRY as readonly RouteModule[];
checkRouteRegistry(modules);
const byName = new Map(modules.map((r) => [r.name, r]));

/** A route's module. */
export function routeModule(route: Route): RouteModule {
  return byName.get(route) as RouteModule;
}

/** The detection block's route entries, `detection.<key>`, in registry order. */
type RouteBlocks = { [R in (typeof ROUTE_REGISTRY)[number] as R['block']['key']]: R['block']['schema'] };
export const ROUTE_BLOCKS = Object.fromEntries(ROUTE_REGISTRY.map((r) => [r.block.key, r.block.schema])) as RouteBlocks;

/** A route's settings in a scenario's `detection` block. */
export function routeSettings(detection: object, route: RouteModule): unknown {
  return (detection as Record<string, unknown>)[route.block.key];
}

/** The default `review.priority`: every route, by its review rank. */
export const DEFAULT_REVIEW_PRIORITY: Route[] = [...modules].sort((a, b) => a.reviewRank - b.reviewRank).map((r) => r.name as Route);

/**
 * The order in which detections of one stream event are applied: pipeline order (by the
 * stage that makes them), then registry order. It keeps the reporter's merge of the
 * scanner's and the metadata detector's outputs independent of their arrival.
 */
export const MERGE_RANK = Object.fromEntries(
  [...modules]
    .map((r, i) => ({ name: r.name, key: STAGES.indexOf(r.detect.stage) * modules.length + i }))
    .sort((a, b) => a.key - b.key)
    .map((r, rank) => [r.name, rank]),
) as Record<Route, number>;

/** A table with a zero for every route, in registry order. */
export const zeroRoutes = (): Record<Route, number> => Object.fromEntries(ROUTES.map((r) => [r, 0])) as Record<Route, number>;

/** The routes a stage detects, each with its detector. */
export function routesOf(stage: Stage): { route: Route; module: RouteModule; detect: Detector<unknown> }[] {
  return modules.filter((r) => r.detect.stage === stage).map((r) => ({ route: r.name as Route, module: r, detect: r.detect as Detector<unknown> }));
}

/**
 * The one route whose detector is of this kind (user reports, vouchers, patterns each
 * have one route that the stage handling them names in its detections).
 */
export function routeOfKind(kind: Exclude<DetectorKind, 'content'>): Route {
  const found = modules.filter((r) => r.detect.kind === kind);
  if (found.length !== 1) {
    throw new Error(
      `route registry: ${found.length} routes have a "${kind}" detector (${found.map((r) => r.name).join(', ') || 'none'}); the stages handle exactly one`,
    );
  }
  return (found[0] as RouteModule).name as Route;
}

/**
 * Refuses, at start-up of a stage, a registered route assigned to it whose detector kind
 * it does not run: such a route would never detect anything.
 */
export function checkStageHandles(stage: Stage, kinds: readonly DetectorKind[], routes: readonly RouteModule[] = modules): void {
  for (const r of routes) {
    if (r.detect?.stage === stage && !kinds.includes(r.detect.kind)) {
      throw new Error(`route "${r.name}": its detector is of kind "${r.detect.kind}" for the ${stage}, which runs only ${kinds.join(', ')} detectors`);
    }
  }
}

/**
 * Refuses a registry whose routes clash (a name, a scenario block or a review rank
 * taken twice) or a route without a detector for a stage of the pipeline. The compiler
 * already requires `detect`; this catches what types cannot.
 */
export function checkRouteRegistry(routes: readonly RouteModule[]): void {
  const seen = { name: new Set<string>(), key: new Set<string>(), rank: new Set<number>() };
  for (const r of routes) {
    if (seen.name.has(r.name)) throw new Error(`route registry: two routes are named "${r.name}"`);
    if (seen.key.has(r.block.key) || r.block.key === 'hashBank') {
      throw new Error(`route registry: route "${r.name}" uses the block detection.${r.block.key}, which is taken`);
    }
    if (!Number.isInteger(r.reviewRank) || seen.rank.has(r.reviewRank)) {
      throw new Error(`route registry: route "${r.name}" has review rank ${r.reviewRank}; each route needs a whole number of its own`);
    }
    if (!r.detect || !STAGES.includes(r.detect.stage))
      throw new Error(`route registry: route "${r.name}" has no detector (detect) for a stage of the pipeline`);
    seen.name.add(r.name);
    seen.key.add(r.block.key);
    seen.rank.add(r.reviewRank);
  }
}

export { defineRoute, type BankMatcher, type ContentDetector, type Detector, type DetectorKind, type RouteModule, type Verdict } from './route';
