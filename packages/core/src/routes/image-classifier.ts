/** The image classifier: scores readable images for abuse, new imagery included. */
import { classifierRoute } from './classifier';

export const imageClassifier = classifierRoute({
  name: 'imageClassifier',
  label: 'image classifier',
  reviewRank: 3,
  media: 'image',
  describe: {
    block: 'Route: an image classifier scoring readable images.',
    enabled: 'A classifier scoring readable images for abuse (new imagery included).',
    threshold: 'Images scoring at least this are flagged.',
    surfacesOf: 'the image classifier',
  },
  // Benign images score like abuse when borderline.
  scores: (c) => ({ benign: c.images.benign.score, abusive: c.images.abusive.score, borderlineShare: c.images.borderlineShare }),
});
