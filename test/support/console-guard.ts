/**
 * Fails any test that writes to the console: everything goes through the Logger.
 * (After openai-agents-js helpers/tests/console-guard.ts.)
 */
import { afterEach, beforeEach, vi } from 'vitest';

const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
let calls: string[] = [];

/**
 * The e2e tests' encrypting client (matrix-js-sdk and its Rust crypto, see
 * e2ee-test-user.ts) logs to the console from code we do not own, and its Rust tracing cannot
 * be turned off from outside. Its lines are dropped; everything else still fails the test.
 */
const THIRD_PARTY_CLIENT = /[\\/]node_modules[\\/]matrix-js-sdk[\\/]/;

beforeEach(() => {
  calls = [];
  for (const method of methods) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      if (THIRD_PARTY_CLIENT.test(new Error().stack ?? '')) return;
      calls.push(`console.${method}: ${args.map(String).join(' ')}`);
    });
  }
});

afterEach(() => {
  for (const method of methods) vi.mocked(console[method]).mockRestore();
  if (calls.length > 0) {
    const seen = calls.join('\n');
    calls = [];
    throw new Error(`test wrote to the console (use a Logger):\n${seen}`);
  }
});
