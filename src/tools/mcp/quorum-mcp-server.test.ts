import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { McpServerExposureConfig } from '../../config/index.js';
import { systemClock } from '../../shared/index.js';
import { RecordingLogger } from '../../../test/support/recording-logger.js';
import { QuorumMcpServer, type AgentAsker } from './quorum-mcp-server.js';

const TOKEN = 'test-token-0123456789abcdef';

function config(overrides: Partial<McpServerExposureConfig> = {}): McpServerExposureConfig {
  return {
    enabled: true,
    host: '127.0.0.1',
    port: 0,
    path: '/mcp',
    token: TOKEN,
    agents: null,
    max_concurrent_calls: 2,
    call_timeout_seconds: 5,
    ...overrides,
  };
}

class FakeAsker implements AgentAsker {
  readonly asked: { agent: string; prompt: string }[] = [];
  readonly aborts: unknown[] = [];
  answer: (prompt: string, signal: AbortSignal) => Promise<string> = (prompt) =>
    Promise.resolve(`answer to ${prompt}`);
  listAgents() {
    return [
      { name: 'calc', description: 'Calculator: does arithmetic.' },
      { name: 'writer', description: 'Writer: drafts text.' },
    ];
  }
  ask(agent: string, prompt: string, options: { signal: AbortSignal }): Promise<string> {
    this.asked.push({ agent, prompt });
    options.signal.addEventListener('abort', () => this.aborts.push(options.signal.reason));
    return this.answer(prompt, options.signal);
  }
}

const servers: QuorumMcpServer[] = [];
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function start(asker: AgentAsker, overrides: Partial<McpServerExposureConfig> = {}) {
  const server = new QuorumMcpServer(config(overrides), {
    asker,
    clock: systemClock,
    log: new RecordingLogger(),
    version: 'test',
  });
  servers.push(server);
  const port = await server.start();
  return `http://127.0.0.1:${port}/mcp`;
}

async function connect(url: string, token = TOKEN): Promise<Client> {
  const client = new Client({ name: 'editor', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  clients.push(client);
  return client;
}

describe('QuorumMcpServer', () => {
  it('lists each agent as ask_<agent> and answers through the asker', async () => {
    const asker = new FakeAsker();
    const client = await connect(await start(asker));
    const tools = await client.listTools();
    expect(tools.tools.map((tool) => tool.name)).toEqual(['ask_calc', 'ask_writer']);
    expect(tools.tools[0]?.description).toBe(
      "Ask the Quorum agent 'calc': Calculator: does arithmetic.",
    );
    const result = await client.callTool({ name: 'ask_calc', arguments: { prompt: '2+2' } });
    expect(result.content).toEqual([{ type: 'text', text: 'answer to 2+2' }]);
    expect(asker.asked).toEqual([{ agent: 'calc', prompt: '2+2' }]);
  });

  it('exposes only the configured agents', async () => {
    const client = await connect(await start(new FakeAsker(), { agents: ['writer'] }));
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['ask_writer']);
  });

  it('refuses requests without the right bearer token', async () => {
    const url = await start(new FakeAsker());
    await expect(connect(url, 'wrong-token-wrong-token')).rejects.toThrow();
    const response = await fetch(url, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(url.replace('/mcp', '/other'))).status).toBe(404);
  });

  it('refuses oversized bodies before parsing them', async () => {
    const url = await start(new FakeAsker());
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: `"${'x'.repeat(1_100_000)}"`,
    });
    expect(response.status).toBe(413);
  });

  it('ends a question that runs past the timeout with an error result', async () => {
    const asker = new FakeAsker();
    asker.answer = (_prompt, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          reject(signal.reason as Error);
        });
      });
    const client = await connect(await start(asker, { call_timeout_seconds: 0.2 }));
    const result = await client.callTool({ name: 'ask_calc', arguments: { prompt: 'slow' } });
    expect(result).toMatchObject({
      isError: true,
      content: [{ type: 'text', text: 'The question was not answered: the question timed out.' }],
    });
  });

  it('reports an agent failure without its details beyond one redacted line', async () => {
    const asker = new FakeAsker();
    asker.answer = () =>
      Promise.reject(new Error('model failed: Bearer abcdefghijklmnop\n  at stack'));
    const client = await connect(await start(asker));
    const result = await client.callTool({ name: 'ask_calc', arguments: { prompt: 'x' } });
    expect(result).toMatchObject({
      isError: true,
      content: [
        { type: 'text', text: 'The agent could not answer: model failed: Bearer [redacted]' },
      ],
    });
  });

  it('aborts the questions in flight when it stops', async () => {
    const asker = new FakeAsker();
    let started: () => void = () => undefined;
    const isStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    asker.answer = (_prompt, signal) =>
      new Promise((_resolve, reject) => {
        started();
        signal.addEventListener('abort', () => {
          reject(signal.reason as Error);
        });
      });
    const client = await connect(await start(asker));
    const call = client
      .callTool({ name: 'ask_calc', arguments: { prompt: 'x' } })
      .catch(() => 'failed');
    await isStarted;
    await servers[0]?.stop();
    await call;
    expect(asker.aborts).toHaveLength(1);
  });
});
