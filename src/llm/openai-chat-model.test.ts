import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { llmReply, ScriptedLlmServer } from '../../test/support/scripted-llm-server.js';
import { AbortReason, silentLogger } from '../shared/index.js';
import type { Clock } from '../shared/index.js';
import type { ChatRequest, ChatStreamEvent } from './chat-model.js';
import { collectChatStream } from './collect-stream.js';
import { ModelError } from './errors.js';
import { OpenAiChatModel } from './openai-chat-model.js';
import { ResilientChatModel } from './resilient-chat-model.js';

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
  extra: Partial<ConstructorParameters<typeof OpenAiChatModel>[0]> = {},
): OpenAiChatModel {
  return new OpenAiChatModel({
    modelId: 'gpt-test',
    apiKey: 'sk-test-key',
    baseUrl: server.openAiBaseUrl,
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

describe('OpenAiChatModel', () => {
  it('completes a plain request and reports usage and finish reason', async () => {
    server.enqueue(llmReply.text('Hello!', { usage: { inputTokens: 12, outputTokens: 3 } }));
    const response = await model({ temperature: 0.2, maxTokens: 50 }).complete(hello);
    expect(response).toEqual({
      text: 'Hello!',
      toolCalls: [],
      usage: { inputTokens: 12, outputTokens: 3 },
      finishReason: 'stop',
      modelId: 'gpt-test',
    });
    const [request] = server.requests;
    expect(request?.headers['authorization']).toBe('Bearer sk-test-key');
    expect(request?.stream).toBe(false);
    expect(request?.body).toMatchObject({
      model: 'gpt-test',
      temperature: 0.2,
      max_tokens: 50,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Say hello' },
      ],
    });
  });

  it('streams text deltas, then usage, then done', async () => {
    server.enqueue(llmReply.text('Hello there, friend', { chunkSize: 5 }));
    const seen = await events(model().stream(hello));
    expect(seen.filter((e) => e.type === 'text_delta').map((e) => e.text)).toEqual([
      'Hello',
      ' ther',
      'e, fr',
      'iend',
    ]);
    expect(seen.at(-2)).toMatchObject({ type: 'usage' });
    expect(seen.at(-1)).toEqual({ type: 'done', finishReason: 'stop', modelId: 'gpt-test' });
    expect(server.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('assembles streamed tool calls from their deltas with parsed arguments', async () => {
    server.enqueue(
      llmReply.toolCalls(
        [
          { id: 'call_a', name: 'get_weather', arguments: { city: 'Amsterdam', unit: 'celsius' } },
          { id: 'call_b', name: 'get_time', arguments: { zone: 'Europe/Amsterdam' } },
        ],
        { chunkSize: 4 },
      ),
    );
    const request: ChatRequest = {
      messages: [{ role: 'user', content: 'weather and time?' }],
      tools: [
        {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
    };
    const response = await collectChatStream(model().stream(request));
    expect(response.finishReason).toBe('tool_calls');
    expect(response.toolCalls).toEqual([
      {
        id: 'call_a',
        name: 'get_weather',
        arguments: { city: 'Amsterdam', unit: 'celsius' },
        argumentsJson: '{"city":"Amsterdam","unit":"celsius"}',
      },
      {
        id: 'call_b',
        name: 'get_time',
        arguments: { zone: 'Europe/Amsterdam' },
        argumentsJson: '{"zone":"Europe/Amsterdam"}',
      },
    ]);
    expect(server.requests[0]?.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ]);
  });

  it('returns tool calls from a plain completion', async () => {
    server.enqueue(llmReply.toolCalls([{ id: 'call_1', name: 'lookup', arguments: { q: 'x' } }]));
    const response = await model().complete(hello);
    expect(response.finishReason).toBe('tool_calls');
    expect(response.toolCalls.map((c) => [c.id, c.name, c.arguments])).toEqual([
      ['call_1', 'lookup', { q: 'x' }],
    ]);
  });

  it('flags tool arguments that are not JSON instead of failing the reply', async () => {
    server.enqueue(llmReply.toolCalls([{ id: 'call_1', name: 'lookup', arguments: '{"q": ' }]));
    const response = await model().complete(hello);
    expect(response.toolCalls[0]).toMatchObject({ arguments: {}, argumentsJson: '{"q": ' });
    expect(response.toolCalls[0]?.argumentsError).toMatch(/invalid JSON/);
  });

  it('sends response_format json_schema and returns the JSON as text', async () => {
    server.enqueue(llmReply.json({ agent: 'research', reason: 'asks for sources' }));
    const schema = { type: 'object', properties: { agent: { type: 'string' } } };
    const response = await model().complete({
      ...hello,
      responseFormat: { type: 'json_schema', name: 'route', schema },
    });
    expect(JSON.parse(response.text)).toEqual({ agent: 'research', reason: 'asks for sources' });
    expect(server.requests[0]?.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'route', schema } },
    });
  });

  it('asks for strict schema adherence when the format is strict', async () => {
    server.enqueue(llmReply.json({ agent: 'research' }));
    const schema = { type: 'object', properties: { agent: { type: 'string' } } };
    await model().complete({
      ...hello,
      responseFormat: { type: 'json_schema', name: 'route', schema, strict: true },
    });
    expect(server.requests[0]?.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'route', strict: true } },
    });
  });

  it('sends images, attachments, tool calls and tool results in OpenAI shape', async () => {
    server.enqueue(llmReply.text('ok'));
    await model().complete({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', url: 'data:image/png;base64,AAAA' },
            { type: 'attachment', name: 'notes.txt', mediaType: 'text/plain', text: 'line one' },
          ],
        },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_9', name: 'ocr', arguments: {}, argumentsJson: '{}' }],
        },
        { role: 'tool', toolCallId: 'call_9', content: 'a cat' },
      ],
    });
    expect(server.requests[0]?.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          {
            type: 'text',
            text: '<attachment name="notes.txt" type="text/plain">\nline one\n</attachment>',
          },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_9', type: 'function', function: { name: 'ocr', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_9', content: 'a cat' },
    ]);
  });

  it('maps a 429 to rate_limited with the retry-after delay, and a retry then succeeds', async () => {
    server.enqueue(llmReply.failure(429, { retryAfter: 2 }));
    const error = await failureOf(model().complete(hello));
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 2_000 });

    server.enqueue(llmReply.failure(429, { retryAfter: 2 }), llmReply.text('after the wait'));
    const sleeps: number[] = [];
    const instantClock: Clock = {
      now: () => Date.now(),
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    };
    const resilient = new ResilientChatModel({
      chain: [{ name: 'default', model: model() }],
      clock: instantClock,
      log: silentLogger,
      random: () => 0,
    });
    const response = await resilient.complete(hello);
    expect(response.text).toBe('after the wait');
    expect(sleeps).toEqual([2_000]);
  });

  it('maps HTTP failures to model error codes with room-safe messages', async () => {
    server.enqueue(llmReply.failure(500));
    const serverError = await failureOf(model().complete(hello));
    expect(serverError).toMatchObject({ code: 'server_error', status: 500, kind: 'upstream' });
    expect(serverError.userMessage).toBe(
      'The model service is unavailable right now (HTTP 500). Please try again in a moment.',
    );
    expect(serverError.userMessage).not.toContain('sk-test-key');

    server.enqueue(llmReply.failure(401));
    expect(await failureOf(model().complete(hello))).toMatchObject({
      code: 'auth',
      kind: 'config',
    });

    server.enqueue(llmReply.failure(404));
    expect(await failureOf(model().complete(hello))).toMatchObject({ code: 'not_found' });

    server.enqueue(
      llmReply.failure(400, {
        body: {
          error: {
            message: 'too long',
            code: 'context_length_exceeded',
            type: 'invalid_request_error',
          },
        },
      }),
    );
    expect(await failureOf(model().complete(hello))).toMatchObject({ code: 'context_length' });
  });

  it('maps a stream failure before the first chunk the same way', async () => {
    server.enqueue(llmReply.failure(503));
    const error = await failureOf(events(model().stream(hello)));
    expect(error).toMatchObject({ code: 'server_error', status: 503 });
  });

  it('aborts the HTTP request mid-stream and rethrows the abort reason', async () => {
    server.enqueue(
      llmReply.text('one two three four five six', { chunkSize: 4, chunkDelayMs: 50 }),
    );
    const controller = new AbortController();
    const reason = new AbortReason('stopped');
    const seen: string[] = [];
    const consume = async (): Promise<void> => {
      for await (const event of model().stream(hello, { signal: controller.signal })) {
        if (event.type !== 'text_delta') continue;
        seen.push(event.text);
        controller.abort(reason);
      }
    };
    await expect(consume()).rejects.toBe(reason);
    const disconnect = await server.waitForDisconnect();
    expect(seen).toEqual(['one ']);
    expect(disconnect.request.isDisconnected).toBe(true);
    expect(disconnect.chunksSent).toBeLessThan(7);
  });

  it('cancels the HTTP request when the consumer stops reading early', async () => {
    server.enqueue(
      llmReply.text('one two three four five six', { chunkSize: 4, chunkDelayMs: 50 }),
    );
    for await (const event of model().stream(hello)) {
      if (event.type === 'text_delta') break;
    }
    const disconnect = await server.waitForDisconnect();
    expect(disconnect.request.model).toBe('gpt-test');
  });

  it('aborts a request that is still waiting for the first byte', async () => {
    server.enqueue(llmReply.hang());
    const controller = new AbortController();
    const pending = model().complete(hello, { signal: controller.signal });
    await server.waitForRequest();
    const reason = new AbortReason('superseded');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await server.waitForDisconnect();
  });

  it('reports a connection cut mid-stream as a connection error', async () => {
    server.enqueue(llmReply.text('abcdefghijkl', { chunkSize: 3, dropAfterChunks: 2 }));
    const seen: string[] = [];
    const consume = async (): Promise<void> => {
      for await (const event of model().stream(hello)) {
        if (event.type === 'text_delta') seen.push(event.text);
      }
    };
    const error = await failureOf(consume());
    expect(error.code).toBe('connection');
    expect(seen.join('')).toBe('abcdef');
  });

  it('reports a client timeout as timeout', async () => {
    server.enqueue(llmReply.hang());
    const error = await failureOf(model({ timeoutMs: 100 }).complete(hello));
    expect(error.code).toBe('timeout');
  });

  it('reports a refused connection as connection', async () => {
    const closed = await ScriptedLlmServer.start();
    const baseUrl = closed.openAiBaseUrl;
    await closed.close();
    const error = await failureOf(model({ baseUrl }).complete(hello));
    expect(error.code).toBe('connection');
  });
});
