import { defineConfig } from 'vitest/config';

/**
 * End-to-end tests: a real Synapse (started by test/support/global-setup-synapse.ts
 * or given by MATRIX_HOMESERVER) and the real daemon, driven by a real test user.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/support/global-setup-synapse.ts'],
    setupFiles: ['test/support/console-guard.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
