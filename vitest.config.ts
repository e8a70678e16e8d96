import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites share one Redis and one PostgreSQL server (isolated by prefix and database);
    // two files at a time keeps a 2-core machine responsive.
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default'],
  },
});
