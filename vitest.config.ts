import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration suites start Azurite and the Graph sandbox; startup is ~1 s but CI machines are small.
    hookTimeout: 60_000,
    testTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/summaryReporter.ts'],
    coverage: { provider: 'v8', include: ['shared/**/*.ts'] },
  },
});
