import type { Server } from '@modelcontextprotocol/sdk/server/index.js';

/** Shared state of the test tools (tools added at run time, concurrency counters). */
export interface TestServerState {
  extra: { name: string; description: string; inputSchema: object }[];
  active: number;
  maxActive: number;
}

/** A fresh SDK server with the test tools. */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- the low-level Server lists raw JSON schemas and sends list_changed, which the tests need
export function createTestServer(state?: TestServerState): Server;
