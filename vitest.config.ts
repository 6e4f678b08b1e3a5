import { defineConfig } from 'vitest/config';

/** Unit and component tests: in-memory fakes only, no network beyond loopback servers the test starts. */
export default defineConfig({
  test: {
    include: [
      'src/**/*.test.ts',
      'test/unit/**/*.test.ts',
      'test/support/**/*.test.ts',
      'test/*.test.ts',
    ],
    setupFiles: ['test/support/console-guard.ts'],
    testTimeout: 10_000,
    pool: 'threads',
  },
});
