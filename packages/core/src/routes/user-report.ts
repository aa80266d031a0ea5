/** User reports: recipients hold the plaintext and hand it over, whatever the encryption. */
import { z } from 'zod';
import { frankingOf, verifyReport } from '../franking';
import { probability, rate } from '../scenario/fields';
import { defineRoute } from './route';

export const userReport = defineRoute({
  name: 'userReport',
  label: 'user report',
  reviewRank: 2,
  block: {
    key: 'userReports',
    schema: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            'The platform acts on user reports (a report hands over the plaintext, so this works under encryption). Users report either way, and reports still feed the blocksAndReports rule.',
          ),
        probability: probability
          .default(0.03)
          .describe(
            'Probability that the (non-offender) recipient of an abusive message reports it. Assumption, consistent with 96-99.6% proactive detection (Meta).',
          ),
        blockProbability: probability.default(0.1).describe('Probability that a minor who receives an abusive message blocks the sender.'),
        meanDelayHours: z
          .number()
          .min(0)
          .max(24 * 365)
          .default(6)
          .describe('Mean delay between receiving and reporting, in hours.'),
        franking: z
          .boolean()
          .default(true)
          .describe('Message franking: reports are verified against the commitment the platform countersigned at delivery; forged reports are rejected.'),
        forgedPerDay: rate(1_000_000).default(0.5).describe('Forged reports per day: malicious users reporting innocent accounts with fabricated content.'),
      })
      .prefault({})
      .describe('Route: reports by recipients, who hold the plaintext.'),
  },
  detect: {
    kind: 'report',
    stage: 'reporter',
    enabled: (s) => s.enabled,
    // Franking: a report is genuine only if the commitment and the platform's countersignature verify.
    accept: (s, platformKey, report) => !s.franking || verifyReport(platformKey, frankingOf(report)) === 'valid',
  },
});
