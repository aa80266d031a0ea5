import { randomBytes } from 'node:crypto';
import { defineConfig } from 'vitest/config';

/** The job key every service and command of the integration tests is given (and inherits). */
const JOB_KEY = randomBytes(32).toString('hex');

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/**/*.test.ts'],
          globalSetup: ['tests/support/redis-global.ts'],
          env: { BLINDSPOT_JOB_KEY: JOB_KEY },
          testTimeout: 300_000,
          hookTimeout: 120_000,
          // Integration tests start processes and share one Redis; run files one at a time
          // so timings stay sane on a 2-core machine.
          fileParallelism: false,
        },
      },
    ],
  },
});
