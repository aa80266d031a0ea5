/**
 * What a detection route is: one module per route (its name, label, review rank,
 * scenario block and detector), registered with one line in ./index.ts. The stages
 * read the registry, so a route's parts live together and nothing else names it.
 */
import type { z } from 'zod';
import type { ContentModel } from '../scenario/content';
import type { BankMatcher } from '../bank-match';
import type { Content, UserReport } from '../types';
import type { Media, Surface } from '../vocabulary';

export type { BankMatcher };

/** One item's verdict: flagged or not, or flagged as a match of this bank entry. */
export type Verdict = boolean | { bankEntry: number };

/**
 * A content route: the scanner runs its check on every readable item of its media on
 * the surfaces it is on, one scan batch at a time.
 */
export interface ContentDetector<S> {
  kind: 'content';
  stage: 'scanner';
  media: Media;
  /** Surfaces the route runs on under these settings; none when it is off. */
  surfaces(settings: S): readonly Surface[];
  /**
   * The check of one scan batch: given the batch's readable items of its media on its
   * surfaces, in batch order, whether each is flagged (for a bank match, the entry it matched), in the same order. A route that
   * matches against the bank puts all of the batch's queries into one matchMany call.
   */
  prepare(settings: S, bank: BankMatcher): (contents: readonly Content[]) => readonly Verdict[];
  /** Share of readable benign items of its media it flags (for the memory estimate). */
  benignShare(settings: S, content: ContentModel): number;
}

/**
 * Client-side scanning: the scanner learns the share of each safety voucher whose image
 * matched (private set intersection); the reporter opens an account's vouchers once it
 * holds the threshold number of shares.
 */
export interface VoucherDetector<S> {
  kind: 'voucher';
  stage: 'scanner';
  enabled(settings: S): boolean;
  threshold(settings: S): number;
}

/** Behavioural patterns: the metadata detector runs the registered metadata rules (see metadata/rules). */
export interface PatternDetector<S> {
  kind: 'pattern';
  stage: 'metadata-detector';
  enabled(settings: S): boolean;
}

/** Reports by recipients: the reporter verifies each one and turns it into a detection. */
export interface ReportDetector<S> {
  kind: 'report';
  stage: 'reporter';
  /** The platform acts on reports (users make them either way). */
  enabled(settings: S): boolean;
  /** Whether the platform accepts a report as genuine (with franking: it verifies; without: it cannot tell). */
  accept(settings: S, platformKey: Uint8Array, report: UserReport): boolean;
}

export type Detector<S> = ContentDetector<S> | VoucherDetector<S> | PatternDetector<S> | ReportDetector<S>;
export type DetectorKind = Detector<unknown>['kind'];

export interface RouteModule<Name extends string = string, Key extends string = string, Block extends z.ZodType = z.ZodType> {
  /** The route's name in results, on the wire and in `review.priority`. */
  name: Name;
  /** How tables and charts name it. */
  label: string;
  /** Its place in the default `review.priority` (0 most urgent); each route has its own. */
  reviewRank: number;
  /** Its block of the scenario, `detection.<key>`. */
  block: { key: Key; schema: Block };
  /** Which stage detects it, and how. Required: a route nothing detects is refused. */
  detect: Detector<z.output<Block>>;
}

/** Declares a route module, keeping its name and block key as literal types. */
export function defineRoute<const Name extends string, const Key extends string, Block extends z.ZodType>(
  route: RouteModule<Name, Key, Block>,
): RouteModule<Name, Key, Block> {
  return route;
}
