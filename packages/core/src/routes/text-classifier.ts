/** The grooming classifier: scores readable text. */
import { classifierRoute } from './classifier';

export const textClassifier = classifierRoute({
  name: 'textClassifier',
  label: 'text classifier',
  reviewRank: 4,
  media: 'text',
  describe: {
    block: 'Route: a grooming classifier scoring readable text.',
    enabled: 'A classifier scoring readable text for grooming.',
    threshold: 'Messages scoring at least this are flagged.',
    surfacesOf: 'the grooming text classifier',
  },
  // Benign messages score like grooming when borderline.
  scores: (c) => ({ benign: c.text.benign.score, abusive: c.text.grooming.score, borderlineShare: c.text.borderlineShare }),
});
