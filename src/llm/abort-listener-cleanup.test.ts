import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llmReply, ScriptedLlmServer } from '../../test/support/scripted-llm-server.js';
import { silentLogger, systemClock } from '../shared/index.js';
import { AnthropicChatModel } from './anthropic-chat-model.js';
import type { ChatModel, ChatRequest } from './chat-model.js';
import { collectChatStream } from './collect-stream.js';
import { OpenAiChatModel } from './openai-chat-model.js';
import { ResilientChatModel } from './resilient-chat-model.js';

/**
 * A bot passes one long-lived signal to every model call. Each call must take its abort
 * listeners with it, or the signal accumulates one per call for the bot's lifetime.
 * (After anthropic-sdk-typescript tests/abort-listener-cleanup.test.ts.)
 */
let server: ScriptedLlmServer;
beforeAll(async () => {
  server = await ScriptedLlmServer.start({ defaultReply: llmReply.text('hi', { chunkSize: 1 }) });
});
afterAll(async () => {
  await server.close();
});

const request: ChatRequest = { messages: [{ role: 'user', content: 'x' }] };

function retrying(model: ChatModel): ChatModel {
  return new ResilientChatModel({
    chain: [{ name: 'm', model }],
    clock: systemClock,
    log: silentLogger,
    policy: { baseDelayMs: 1, maxDelayMs: 1 },
  });
}

const adapters: [string, () => ChatModel][] = [
  [
    'OpenAiChatModel',
    () => new OpenAiChatModel({ modelId: 'm', apiKey: 'k', baseUrl: server.openAiBaseUrl }),
  ],
  [
    'AnthropicChatModel',
    () => new AnthropicChatModel({ modelId: 'm', apiKey: 'k', baseUrl: server.anthropicBaseUrl }),
  ],
];

describe.each(adapters)('%s', (_name, create) => {
  it('leaves no abort listeners on the caller signal after plain, streamed and retried calls', async () => {
    const signal = new AbortController().signal;
    const model = create();
    for (let i = 0; i < 3; i++) await model.complete(request, { signal });
    for (let i = 0; i < 3; i++) await collectChatStream(model.stream(request, { signal }));
    server.enqueue(llmReply.failure(503));
    await retrying(model).complete(request, { signal });
    for await (const event of model.stream(request, { signal })) {
      if (event.type === 'text_delta') break;
    }
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});
