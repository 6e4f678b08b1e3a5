#!/usr/bin/env node
/* global setInterval */
/**
 * An MCP server for Quorum's tests, built on the SDK's server side. Run directly it serves
 * stdio; `createTestServer()` gives the same server for other transports (see
 * http-test-server.ts). No network. Behaviour switches come from the environment:
 * - MCP_TEST_STARTUP_DELAY_MS: wait this long before answering anything (slow starter);
 * - MCP_TEST_STUBBORN=1: ignore stdin closing and SIGTERM (only SIGKILL ends it);
 * - MCP_TEST_EXTRA_TOOLS=N: list N more tools named tool_<i>.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const object = (properties = {}, required = []) => ({ type: 'object', properties, required });
const text = (value) => ({ content: [{ type: 'text', text: String(value) }] });

const BASE_TOOLS = [
  {
    name: 'echo',
    description: 'Echoes text.',
    inputSchema: object({ text: { type: 'string' } }, ['text']),
  },
  { name: 'pid', description: 'The server process id.', inputSchema: object() },
  {
    name: 'env',
    description: 'One environment variable.',
    inputSchema: object({ name: { type: 'string' } }, ['name']),
  },
  { name: 'env_names', description: 'Names of all environment variables.', inputSchema: object() },
  { name: 'sleep', description: 'Waits.', inputSchema: object({ ms: { type: 'number' } }, ['ms']) },
  { name: 'crash', description: 'Exits mid-call.', inputSchema: object() },
  {
    name: 'crash_once',
    description: 'Exits unless the marker exists.',
    inputSchema: object({ marker: { type: 'string' } }, ['marker']),
  },
  {
    name: 'big',
    description: 'Returns a long text.',
    inputSchema: object({ chars: { type: 'number' } }, ['chars']),
  },
  { name: 'fail', description: 'Returns an error result.', inputSchema: object() },
  { name: 'image', description: 'Returns an image.', inputSchema: object() },
  {
    name: 'add_tool',
    description: 'Adds a tool and announces it.',
    inputSchema: object({ name: { type: 'string' } }, ['name']),
  },
  {
    name: 'concurrency',
    description: 'Reports the most calls seen at once.',
    inputSchema: object({ ms: { type: 'number' } }, ['ms']),
  },
  {
    name: 'files.read/v2',
    description: 'A name with characters providers refuse.',
    inputSchema: object(),
  },
];

/** A fresh server with the test tools; `state` is shared across servers of one process. */
export function createTestServer(state = { extra: [], active: 0, maxActive: 0 }) {
  const server = new Server(
    { name: 'quorum-test-server', version: '1.0.0' },
    { capabilities: { tools: { listChanged: true } } },
  );
  const extraCount = Number(process.env.MCP_TEST_EXTRA_TOOLS ?? 0);
  const generated = Array.from({ length: extraCount }, (_, i) => ({
    name: `tool_${i}`,
    description: `Generated tool ${i}.`,
    inputSchema: object(),
  }));
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [...BASE_TOOLS, ...generated, ...state.extra],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const args = request.params.arguments ?? {};
    switch (request.params.name) {
      case 'echo':
        return text(args.text);
      case 'pid':
        return text(process.pid);
      case 'env':
        return text(process.env[String(args.name)] ?? '(unset)');
      case 'env_names':
        return text(Object.keys(process.env).sort().join(','));
      case 'sleep':
        await sleep(Number(args.ms), undefined, { signal: extra.signal }).catch(() => undefined);
        return text('slept');
      case 'crash':
        process.exit(3);
        break;
      case 'crash_once':
        if (!existsSync(String(args.marker))) {
          writeFileSync(String(args.marker), 'crashed');
          process.exit(3);
        }
        return text('survived');
      case 'big':
        return text('x'.repeat(Number(args.chars)));
      case 'fail':
        return { content: [{ type: 'text', text: 'it broke' }], isError: true };
      case 'image':
        return { content: [{ type: 'image', data: 'aGVsbG8=', mimeType: 'image/png' }] };
      case 'add_tool':
        state.extra.push({
          name: String(args.name),
          description: 'Added later.',
          inputSchema: object(),
        });
        await server.sendToolListChanged();
        return text('added');
      case 'concurrency': {
        state.active++;
        state.maxActive = Math.max(state.maxActive, state.active);
        await sleep(Number(args.ms));
        state.active--;
        return text(`max=${state.maxActive}`);
      }
      default:
        if (state.extra.some((tool) => tool.name === request.params.name)) return text('extra');
        if (generated.some((tool) => tool.name === request.params.name)) return text('generated');
        throw new Error(`unknown tool ${request.params.name}`);
    }
  });
  return server;
}

async function main() {
  const delay = Number(process.env.MCP_TEST_STARTUP_DELAY_MS ?? 0);
  if (delay > 0) await sleep(delay);
  if (process.env.MCP_TEST_STUBBORN === '1') {
    process.on('SIGTERM', () => undefined);
    setInterval(() => undefined, 1_000);
  }
  await createTestServer().connect(new StdioServerTransport());
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  await main();
}
