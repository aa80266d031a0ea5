/** The image classifier: scores readable images for abuse, new imagery included. */
import { z } from 'zod';
import { shareAbove } from '../normal';
import { probability, surfaceList } from '../scenario/fields';
import { defineRoute } from './route';

export const imageClassifier = defineRoute({
  name: 'imageClassifier',
  label: 'image classifier',
  reviewRank: 3,
  block: {
    key: 'imageClassifier',
    schema: z
      .strictObject({
        enabled: z.boolean().default(true).describe('A classifier scoring readable images for abuse (new imagery included).'),
        surfaces: surfaceList(['dm', 'public', 'profile'], 'the image classifier'),
        threshold: probability.default(0.51).describe('Images scoring at least this are flagged.'),
      })
      .prefault({})
      .describe('Route: an image classifier scoring readable images.'),
  },
  detect: {
    kind: 'content',
    stage: 'scanner',
    media: 'image',
    surfaces: (s) => (s.enabled ? s.surfaces : []),
    prepare: (s) => (content) => content.score >= s.threshold,
    // Benign images score like abuse when borderline.
    benignShare: (s, c) =>
      (1 - c.images.borderlineShare) * shareAbove(s.threshold, c.images.benign.score) +
      c.images.borderlineShare * shareAbove(s.threshold, c.images.abusive.score),
  },
});
