/**
 * What the two classifier routes share: a score threshold on readable items of one
 * medium, on the surfaces the scenario puts them on. Each classifier is still its own
 * route module (image-classifier.ts, text-classifier.ts) built from this.
 */
import { z } from 'zod';
import { shareAbove } from '../normal';
import type { ContentModel } from '../scenario/content';
import { probability, surfaceList } from '../scenario/fields';
import type { Media } from '../vocabulary';
import { defineRoute } from './route';

interface Score {
  mean: number;
  sd: number;
}

export interface ClassifierOptions<Name extends string> {
  /** Route name, and its block `detection.<name>`. */
  name: Name;
  label: string;
  reviewRank: number;
  media: Media;
  /** The descriptions of its scenario block: the block, `enabled`, `threshold`, and what `surfaces` says it is. */
  describe: { block: string; enabled: string; threshold: string; surfacesOf: string };
  /**
   * How the content model scores its benign items: most like benign content, the
   * borderline share like abuse (the memory estimate counts what it flags).
   */
  scores(content: ContentModel): { benign: Score; abusive: Score; borderlineShare: number };
}

export function classifierRoute<const Name extends string>(o: ClassifierOptions<Name>) {
  return defineRoute({
    name: o.name,
    label: o.label,
    reviewRank: o.reviewRank,
    block: {
      key: o.name,
      schema: z
        .strictObject({
          enabled: z.boolean().default(true).describe(o.describe.enabled),
          surfaces: surfaceList(['dm', 'public', 'profile'], o.describe.surfacesOf),
          threshold: probability.default(0.51).describe(o.describe.threshold),
        })
        .prefault({})
        .describe(o.describe.block),
    },
    detect: {
      kind: 'content',
      stage: 'scanner',
      media: o.media,
      surfaces: (s) => (s.enabled ? s.surfaces : []),
      prepare: (s) => (contents) => contents.map((content) => content.score >= s.threshold),
      benignShare: (s, c) => {
        const { benign, abusive, borderlineShare } = o.scores(c);
        return (1 - borderlineShare) * shareAbove(s.threshold, benign) + borderlineShare * shareAbove(s.threshold, abusive);
      },
    },
  });
}
