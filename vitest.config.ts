import { defineConfig } from 'vitest/config';

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
