/**
 * The official `openai` npm client against Quorum's OpenAI-compatible API, served by the real
 * HttpServer on a loopback port. (A test outside src/, so it may import the provider SDK.)
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompletionError, HttpServer } from '../../src/http/index.js';
import { SecretScrubber, silentLogger } from '../../src/shared/index.js';
import { ScriptedCompletions } from '../support/scripted-completions.js';

const KEY = 'sk-quorum-client-test-0123456789';
const completions = new ScriptedCompletions();
let server: HttpServer;
let client: OpenAI;

beforeAll(async () => {
  server = new HttpServer({
    host: '127.0.0.1',
    port: 0,
    log: silentLogger,
    source: {
      readiness: () => ({ ready: true, config_generation: 1, entities: [] }),
      metricsText: () => '',
    },
    openAi: {
      completions,
      auth: { apiKeys: [KEY], allowUnauthenticated: false },
      log: silentLogger,
      scrubber: new SecretScrubber(),
    },
  });
  await server.start();
  client = new OpenAI({
    apiKey: KEY,
    baseURL: `http://127.0.0.1:${server.port}/v1`,
    maxRetries: 0,
  });
});

afterAll(async () => {
  await server.stop();
});

describe('the official openai client', () => {
  it('lists the agents and teams as models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['calc', 'general', 'team/super_team']);
    expect((await client.models.retrieve('calc')).id).toBe('calc');
  });

  it('gets a chat completion', async () => {
    completions.answer = () => ({
      kind: 'text',
      chunks: ['10'],
      usage: { promptTokens: 12, completionTokens: 1 },
    });
    const completion = await client.chat.completions.create({
      model: 'calc',
      messages: [
        { role: 'system', content: 'Answer with a number.' },
        { role: 'user', content: 'what is 5+5?' },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe('10');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toEqual({ prompt_tokens: 12, completion_tokens: 1, total_tokens: 13 });
  });

  it('streams chunks to the end, with usage when asked', async () => {
    completions.answer = () => ({
      kind: 'text',
      chunks: ['Five', ' plus five', ' is ten.'],
      usage: { promptTokens: 4, completionTokens: 6 },
    });
    const stream = await client.chat.completions.create({
      model: 'calc',
      messages: [{ role: 'user', content: 'explain 5+5' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThanOrEqual(5);
    expect(text).toBe('Five plus five is ten.');
    expect(finish).toBe('stop');
    expect(usage?.total_tokens).toBe(10);
  });

  it('raises the SDK’s typed errors', async () => {
    const stranger = new OpenAI({
      apiKey: 'sk-wrong-key-00000000',
      baseURL: client.baseURL,
      maxRetries: 0,
    });
    await expect(stranger.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    completions.answer = () => ({
      kind: 'error',
      error: new CompletionError('busy', 'calc is busy'),
    });
    await expect(
      client.chat.completions.create({ model: 'calc', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('raises an error that happens mid-stream', async () => {
    completions.answer = () => ({
      kind: 'error',
      error: new CompletionError('upstream', 'the provider failed'),
      afterChunks: ['par'],
    });
    const stream = await client.chat.completions.create({
      model: 'calc',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const consume = async (): Promise<void> => {
      for await (const _chunk of stream) {
        // drain
      }
    };
    await expect(consume()).rejects.toThrow('the provider failed');
  });
});
