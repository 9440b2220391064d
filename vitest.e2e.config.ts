// End-to-end tests in headless Chromium (npm run test:e2e): build the package and examples/web once (web-build.ts),
// then each file drives its own copy of the page.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    globalSetup: ['test/e2e/web-build.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // NOTE: one file at a time: each trains a model, and two at once would halve the speed the page measures.
    fileParallelism: false,
  },
});
