import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // NOTE: test/core/buffers.test.ts collects garbage on purpose to check buffer recycling.
    execArgv: ['--expose-gc'],
  },
});
