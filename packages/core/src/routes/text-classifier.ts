/** The grooming classifier: scores readable text. */
import { z } from 'zod';
import { shareAbove } from '../normal';
import { probability, surfaceList } from '../scenario/fields';
import { defineRoute } from './route';

export const textClassifier = defineRoute({
  name: 'textClassifier',
  label: 'text classifier',
  reviewRank: 4,
  block: {
    key: 'textClassifier',
    schema: z
      .strictObject({
        enabled: z.boolean().default(true).describe('A classifier scoring readable text for grooming.'),
        surfaces: surfaceList(['dm', 'public', 'profile'], 'the grooming text classifier'),
        threshold: probability.default(0.51).describe('Messages scoring at least this are flagged.'),
      })
      .prefault({})
      .describe('Route: a grooming classifier scoring readable text.'),
  },
  detect: {
    kind: 'content',
    stage: 'scanner',
    media: 'text',
    surfaces: (s) => (s.enabled ? s.surfaces : []),
    prepare: (s) => (content) => content.score >= s.threshold,
    // Benign messages score like grooming when borderline.
    benignShare: (s, c) =>
      (1 - c.text.borderlineShare) * shareAbove(s.threshold, c.text.benign.score) + c.text.borderlineShare * shareAbove(s.threshold, c.text.grooming.score),
  },
});
