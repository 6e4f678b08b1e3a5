/**
 * Fails any test that writes to the console: everything goes through the Logger.
 * (After openai-agents-js helpers/tests/console-guard.ts.)
 */
import { afterEach, beforeEach, vi } from 'vitest';

const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
let calls: string[] = [];

beforeEach(() => {
  calls = [];
  for (const method of methods) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
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
