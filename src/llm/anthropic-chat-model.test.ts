import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { llmReply, ScriptedLlmServer } from '../../test/support/scripted-llm-server.js';
import { AbortReason } from '../shared/index.js';
import { AnthropicChatModel, DEFAULT_ANTHROPIC_MAX_TOKENS } from './anthropic-chat-model.js';
import type { ChatRequest, ChatStreamEvent } from './chat-model.js';
import { collectChatStream } from './collect-stream.js';
import { ModelError } from './errors.js';

let server: ScriptedLlmServer;
beforeAll(async () => {
  server = await ScriptedLlmServer.start();
});
afterEach(() => {
  server.reset();
});
afterAll(async () => {
  await server.close();
});

function model(
  extra: Partial<ConstructorParameters<typeof AnthropicChatModel>[0]> = {},
): AnthropicChatModel {
  return new AnthropicChatModel({
    modelId: 'claude-test',
    apiKey: 'sk-ant-test-key',
    baseUrl: server.anthropicBaseUrl,
    ...extra,
  });
}

const hello: ChatRequest = {
  system: 'You are terse.',
  messages: [{ role: 'user', content: 'Say hello' }],
};

async function events(stream: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const out: ChatStreamEvent[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

async function failureOf(work: Promise<unknown>): Promise<ModelError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

describe('AnthropicChatModel', () => {
  it('completes a plain request with the system prompt and a default max_tokens', async () => {
    server.enqueue(llmReply.text('Hello!', { usage: { inputTokens: 20, outputTokens: 2 } }));
    const response = await model().complete(hello);
    expect(response).toEqual({
      text: 'Hello!',
      toolCalls: [],
      usage: { inputTokens: 20, outputTokens: 2 },
      finishReason: 'stop',
      modelId: 'claude-test',
    });
    expect(server.requests[0]?.body).toMatchObject({
      model: 'claude-test',
      system: 'You are terse.',
      max_tokens: DEFAULT_ANTHROPIC_MAX_TOKENS,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello' }] }],
    });
    expect(server.requests[0]?.headers['anthropic-version']).toBeDefined();
  });

  it('streams text deltas from the real event sequence, then usage and done', async () => {
    server.enqueue(
      llmReply.text('Hello there', { chunkSize: 4, usage: { inputTokens: 9, outputTokens: 4 } }),
    );
    const seen = await events(model().stream(hello));
    expect(seen).toEqual([
      { type: 'text_delta', text: 'Hell' },
      { type: 'text_delta', text: 'o th' },
      { type: 'text_delta', text: 'ere' },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 4 } },
      { type: 'done', finishReason: 'stop', modelId: 'claude-test' },
    ]);
    expect(server.requests[0]?.stream).toBe(true);
  });

  it('streams tool_use blocks as complete tool calls', async () => {
    server.enqueue(
      llmReply.toolCalls(
        [
          { id: 'toolu_1', name: 'get_weather', arguments: { city: 'Paris' } },
          { id: 'toolu_2', name: 'get_time', arguments: {} },
        ],
        { text: 'Let me check.', chunkSize: 5 },
      ),
    );
    const response = await collectChatStream(
      model().stream({
        ...hello,
        tools: [
          {
            name: 'get_weather',
            description: 'Weather for a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        ],
      }),
    );
    expect(response.text).toBe('Let me check.');
    expect(response.finishReason).toBe('tool_calls');
    expect(response.toolCalls.map((c) => [c.id, c.name, c.arguments])).toEqual([
      ['toolu_1', 'get_weather', { city: 'Paris' }],
      ['toolu_2', 'get_time', {}],
    ]);
    expect(server.requests[0]?.tools).toEqual([
      {
        name: 'get_weather',
        description: 'Weather for a city',
        input_schema: { type: 'object', properties: { city: { type: 'string' } } },
      },
    ]);
  });

  it('returns tool calls from a plain message', async () => {
    server.enqueue(llmReply.toolCalls([{ id: 'toolu_9', name: 'lookup', arguments: { q: 'x' } }]));
    const response = await model().complete(hello);
    expect(response.finishReason).toBe('tool_calls');
    expect(response.toolCalls[0]).toMatchObject({ id: 'toolu_9', arguments: { q: 'x' } });
  });

  it('gets JSON output through a forced tool, plain and streamed', async () => {
    const responseFormat = {
      type: 'json_schema' as const,
      name: 'route',
      schema: { type: 'object', properties: { agent: { type: 'string' } } },
    };
    server.enqueue(
      llmReply.json({ agent: 'coder' }),
      llmReply.json({ agent: 'writer' }, { chunkSize: 3 }),
    );
    const plain = await model().complete({ ...hello, responseFormat });
    expect(plain).toMatchObject({ text: '{"agent":"coder"}', finishReason: 'stop', toolCalls: [] });
    const streamed = await collectChatStream(model().stream({ ...hello, responseFormat }));
    expect(JSON.parse(streamed.text)).toEqual({ agent: 'writer' });
    expect(streamed).toMatchObject({ finishReason: 'stop', toolCalls: [] });
    expect(server.requests[0]?.body).toMatchObject({
      tool_choice: { type: 'tool', name: 'route' },
      tools: [{ name: 'route', input_schema: responseFormat.schema }],
    });
  });

  it('sends tool results as tool_result blocks in one user turn with the next message', async () => {
    server.enqueue(llmReply.text('done'));
    await model().complete({
      messages: [
        { role: 'user', content: 'check both' },
        {
          role: 'assistant',
          content: 'Checking.',
          toolCalls: [
            { id: 'toolu_a', name: 'a', arguments: { x: 1 }, argumentsJson: '{"x":1}' },
            { id: 'toolu_b', name: 'b', arguments: {}, argumentsJson: '{}' },
          ],
        },
        { role: 'tool', toolCallId: 'toolu_a', content: 'A ok' },
        { role: 'tool', toolCallId: 'toolu_b', content: 'B failed', isError: true },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'and this image' },
            { type: 'image', url: 'data:image/jpeg;base64,/9j/' },
            { type: 'image', url: 'https://example.org/cat.png' },
          ],
        },
      ],
    });
    expect(server.requests[0]?.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'check both' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_a', name: 'a', input: { x: 1 } },
          { type: 'tool_use', id: 'toolu_b', name: 'b', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: 'A ok' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: 'B failed', is_error: true },
          { type: 'text', text: 'and this image' },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/' } },
          { type: 'image', source: { type: 'url', url: 'https://example.org/cat.png' } },
        ],
      },
    ]);
  });

  it('maps 429 with retry-after, 529 overloaded and 401 to model error codes', async () => {
    server.enqueue(
      llmReply.failure(429, { retryAfter: 7 }),
      llmReply.failure(529),
      llmReply.failure(401),
    );
    expect(await failureOf(model().complete(hello))).toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 7_000,
    });
    expect(await failureOf(model().complete(hello))).toMatchObject({
      code: 'server_error',
      status: 529,
    });
    expect(await failureOf(events(model().stream(hello)))).toMatchObject({ code: 'auth' });
  });

  it('maps a prompt-too-long 400 to context_length', async () => {
    server.enqueue(
      llmReply.failure(400, {
        body: {
          type: 'error',
          error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens' },
        },
      }),
    );
    expect(await failureOf(model().complete(hello))).toMatchObject({ code: 'context_length' });
  });

  it('aborts mid-stream: the server sees the disconnect and the caller gets the reason', async () => {
    server.enqueue(llmReply.text('a b c d e f g h i j', { chunkSize: 2, chunkDelayMs: 50 }));
    const controller = new AbortController();
    const reason = new AbortReason('stopped');
    const consume = async (): Promise<void> => {
      for await (const event of model().stream(hello, { signal: controller.signal })) {
        if (event.type === 'text_delta') controller.abort(reason);
      }
    };
    await expect(consume()).rejects.toBe(reason);
    const disconnect = await server.waitForDisconnect();
    expect(disconnect.request.api).toBe('anthropic');
  });

  it('reports a stream cut before message_stop as a connection error', async () => {
    server.enqueue(llmReply.text('abcdefgh', { chunkSize: 2, dropAfterChunks: 2 }));
    const error = await failureOf(events(model().stream(hello)));
    expect(error.code).toBe('connection');
  });
});
