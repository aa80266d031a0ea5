/**
 * What content looks like: the observable features (classifier score, look to a human
 * reviewer) whose distribution depends on the hidden truth. Apart from the rest of the
 * schema because the content routes' modules read it (to estimate what they flag).
 */
import { z } from 'zod';
import { probability } from './fields';

const normal = (mean: number, sd: number, what: string) =>
  z
    .strictObject({
      mean: z.number().min(-10).max(10).default(mean).describe(`Mean of ${what} (a score on 0..1; draws are clipped to 0..1).`),
      sd: z.number().min(0).max(10).default(sd).describe(`Standard deviation of ${what}.`),
    })
    .prefault({})
    .describe(`Normal distribution of ${what}.`);

const feature = (score: [number, number], look: [number, number], what: string) =>
  z
    .strictObject({
      score: normal(score[0], score[1], `the classifier's score for ${what}`),
      look: normal(look[0], look[1], `how explicit ${what} looks to a human reviewer`),
    })
    .prefault({})
    .describe(`Observable features of ${what}.`);

export const contentSchema = z
  .strictObject({
    images: z
      .strictObject({
        abusive: feature([0.56, 0.2], [0.85, 0.12], 'an abusive image'),
        benign: feature([0.2, 0.1], [0.1, 0.1], 'a benign image'),
        borderlineShare: probability
          .default(0.0005)
          .describe(
            'Share of benign images that classifiers score like abuse (adult content, beach photos): their score is drawn as for abusive images, their look stays benign-ish.',
          ),
        lowQualityShare: probability.default(0.05).describe('Share of images whose hash quality is below 50 (blurred, tiny, heavily compressed). Assumption.'),
      })
      .prefault({})
      .describe('Image features. Defaults: at threshold 0.51 the image classifier has recall about 0.6 and false-positive rate about 1e-3 (Safer, reported).'),
    text: z
      .strictObject({
        grooming: feature([0.6, 0.2], [0.8, 0.15], 'an abusive (grooming) message'),
        benign: feature([0.2, 0.1], [0.1, 0.1], 'a benign message'),
        borderlineShare: probability
          .default(0.0005)
          .describe('Share of benign messages that classifiers score like grooming (flirting between adults, banter).'),
      })
      .prefault({})
      .describe(
        'Text features. Defaults: at threshold 0.51 the grooming classifier has recall about 0.7 and false-positive rate about 1e-3 (PAN-2012; FPR assumption).',
      ),
  })
  .prefault({})
  .describe(
    'What content looks like: observable features whose distribution depends on the hidden truth. Classifiers see `score`, human reviewers see `look`.',
  );

export type ContentModel = z.output<typeof contentSchema>;
