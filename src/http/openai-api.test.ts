import { describe, expect, it } from 'vitest';
import { ScriptedCompletions } from '../../test/support/scripted-completions.js';
import { QuorumMetrics, SecretScrubber, silentLogger, type HealthSource } from '../shared/index.js';
import { CompletionError } from './agent-completions.js';
import { createHttpApp } from './app.js';
import type { OpenAiApiOptions } from './openai-api.js';

const KEY = 'sk-quorum-test-key-0123456789';
const OTHER_KEY = 'sk-quorum-second-key-abcdefgh';
const source: HealthSource = {
  readiness: () => ({ ready: true, config_generation: 1, entities: [] }),
  metricsText: () => '',
};

/** The daemon's scrubber as the CLI sets it up: it knows the API keys (and `more`). */
function scrubberKnowing(...more: string[]): SecretScrubber {
  const scrubber = new SecretScrubber();
  scrubber.setSecrets('openai-api-keys', [KEY, OTHER_KEY]);
  scrubber.setSecrets('more', more);
  return scrubber;
}

function app(overrides: Partial<OpenAiApiOptions> = {}, completions = new ScriptedCompletions()) {
  const metrics = new QuorumMetrics();
  const hono = createHttpApp(source, {
    openAi: {
      completions,
      auth: { apiKeys: [KEY, OTHER_KEY], allowUnauthenticated: false },
      log: silentLogger,
      metrics,
      scrubber: scrubberKnowing(),
      now: () => Date.UTC(2026, 0, 1),
      ...overrides,
    },
  });
  return { hono, completions, metrics };
}

const auth = (key = KEY): Record<string, string> => ({ authorization: `Bearer ${key}` });

function post(body: unknown, headers: Record<string, string> = auth()): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

const hello = { model: 'calc', messages: [{ role: 'user', content: 'what is 5+5?' }] };

/** The `data:` payloads of an SSE body, checking the framing on the way. */
function sseEvents(text: string): string[] {
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .split('\n\n')
    .filter((block) => block !== '')
    .map((block) => {
      expect(block.startsWith('data: ')).toBe(true);
      expect(block.includes('\n')).toBe(false);
      return block.slice('data: '.length);
    });
}

describe('OpenAI-compatible API: auth', () => {
  it('answers 401 without a key, with a wrong key, and with a malformed header', async () => {
    const { hono } = app();
    for (const headers of [
      {},
      auth('sk-wrong-key-000000000000'),
      { authorization: KEY },
      { authorization: 'Basic abc' },
    ]) {
      const res = await hono.request('/v1/models', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      const body = (await res.json()) as { error: { type: string; code: string; message: string } };
      expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
      expect(JSON.stringify(body)).not.toContain(KEY);
    }
  });

  it('accepts every configured key', async () => {
    const { hono } = app();
    expect((await hono.request('/v1/models', { headers: auth(KEY) })).status).toBe(200);
    expect((await hono.request('/v1/models', { headers: auth(OTHER_KEY) })).status).toBe(200);
  });

  it('is locked without keys, open only with allow-unauthenticated, and keys win over it', async () => {
    const locked = app({ auth: { apiKeys: [], allowUnauthenticated: false } }).hono;
    const res = await locked.request('/v1/models');
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('locked');
    const open = app({ auth: { apiKeys: [], allowUnauthenticated: true } }).hono;
    expect((await open.request('/v1/models')).status).toBe(200);
    const keyed = app({ auth: { apiKeys: [KEY], allowUnauthenticated: true } }).hono;
    expect((await keyed.request('/v1/models')).status).toBe(401);
  });

  it('guards unknown /v1 paths too, and leaves the health endpoints open', async () => {
    const { hono } = app();
    expect((await hono.request('/v1/embeddings', { method: 'POST' })).status).toBe(401);
    const unknown = await hono.request('/v1/embeddings', { method: 'POST', headers: auth() });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      error: { code: 'unknown_url', type: 'invalid_request_error' },
    });
    expect((await hono.request('/api/health')).status).toBe(200);
  });
});

describe('OpenAI-compatible API: models', () => {
  it('lists agents and teams as models', async () => {
    const { hono } = app();
    const res = await hono.request('/v1/models', { headers: auth() });
    expect(await res.json()).toEqual({
      object: 'list',
      data: [
        {
          id: 'calc',
          object: 'model',
          created: 1767225600,
          owned_by: 'quorum',
          name: 'Calculator',
        },
        {
          id: 'general',
          object: 'model',
          created: 1767225600,
          owned_by: 'quorum',
          name: 'General',
        },
        {
          id: 'team/super_team',
          object: 'model',
          created: 1767225600,
          owned_by: 'quorum',
          name: 'Super Team',
        },
      ],
    });
    const team = await hono.request('/v1/models/team/super_team', { headers: auth() });
    expect(await team.json()).toMatchObject({ id: 'team/super_team', object: 'model' });
    const missing = await hono.request('/v1/models/nope', { headers: auth() });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      error: { code: 'model_not_found', param: 'model' },
    });
  });
});

describe('OpenAI-compatible API: chat completions', () => {
  it('answers with a chat.completion and usage', async () => {
    const { hono, completions, metrics } = app();
    const res = await hono.request('/v1/chat/completions', post(hello));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'calc',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'echo: what is 5+5?' },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
    expect(String(body['id'])).toMatch(/^chatcmpl-[0-9a-f]{32}$/u);
    expect(completions.requests[0]).toMatchObject({
      model: 'calc',
      caller: expect.stringMatching(/^key-[0-9a-f]{8}$/u),
    });
    expect(metrics.registry.render()).toContain(
      'quorum_openai_requests_total{route="chat",status="200"} 1',
    );
  });

  it('turns the messages into text: parts joined, developer as system, tool messages dropped', async () => {
    const { hono, completions } = app();
    await hono.request(
      '/v1/chat/completions',
      post(
        {
          model: 'team/super_team',
          temperature: 0.2,
          tools: [{ type: 'function', function: { name: 'x' } }],
          messages: [
            { role: 'developer', content: 'Be brief.' },
            {
              role: 'user',
              content: [
                { type: 'text', text: 'Look:' },
                { type: 'image_url', image_url: { url: 'http://x' } },
                { type: 'text', text: 'what?' },
              ],
            },
            { role: 'assistant', content: null, tool_calls: [] },
            { role: 'tool', content: 'tool output', tool_call_id: '1' },
            { role: 'user', content: 'and?' },
          ],
        },
        { ...auth(OTHER_KEY), 'x-session-id': 'conv-42' },
      ),
    );
    const request = completions.requests[0];
    expect(request?.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Look:\nwhat?' },
      { role: 'user', content: 'and?' },
    ]);
    expect(request?.caller).toMatch(/^key-[0-9a-f]{8}$/u);
    expect(request?.sessionId).toMatch(/^[0-9a-f]{16}:conv-42$/u);
  });

  it('namespaces the same session id differently per key, and makes one up when none is sent', async () => {
    const { hono, completions } = app();
    await hono.request(
      '/v1/chat/completions',
      post(hello, { ...auth(KEY), 'x-librechat-conversation-id': 'c1' }),
    );
    await hono.request(
      '/v1/chat/completions',
      post(hello, { ...auth(OTHER_KEY), 'x-session-id': 'c1' }),
    );
    await hono.request('/v1/chat/completions', post(hello));
    const [a, b, c] = completions.requests.map((request) => request.sessionId);
    expect(a?.endsWith(':c1')).toBe(true);
    expect(b?.endsWith(':c1')).toBe(true);
    expect(a).not.toBe(b);
    expect(c).toMatch(/:[0-9a-f-]{36}$/u);
    expect(JSON.stringify(completions.requests)).not.toContain(KEY);
  });

  it.each([
    ['not json {', 400, null, null],
    [{ messages: [{ role: 'user', content: 'x' }] }, 400, 'invalid_value', 'model'],
    [{ model: 'calc', messages: [] }, 400, 'invalid_value', 'messages'],
    [
      { model: 'calc', messages: [{ role: 'wizard', content: 'x' }] },
      400,
      'invalid_value',
      'messages[0].role',
    ],
    [
      { model: 'calc', messages: [{ role: 'system', content: 'only system' }] },
      400,
      'invalid_value',
      'messages',
    ],
    [
      { model: 'nope', messages: [{ role: 'user', content: 'x' }] },
      404,
      'model_not_found',
      'model',
    ],
  ])('refuses %j with %i in OpenAI’s error shape', async (body, status, code, param) => {
    const { hono, completions } = app();
    const res = await hono.request('/v1/chat/completions', post(body));
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: Record<string, unknown> };
    expect(json.error).toMatchObject({ code, param });
    expect(typeof json.error['message']).toBe('string');
    expect(completions.requests).toEqual([]);
  });

  it('refuses a body over the size limit with 413', async () => {
    const { hono, completions } = app({ maxBodyBytes: 1_000 });
    const res = await hono.request(
      '/v1/chat/completions',
      post({ ...hello, messages: [{ role: 'user', content: 'x'.repeat(5_000) }] }),
    );
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'request_too_large' } });
    expect(completions.requests).toEqual([]);
  });

  it('maps completion errors to statuses, never showing an unexpected error’s message', async () => {
    const cases: [Error, number, string | null][] = [
      [
        new CompletionError('busy', 'calc is busy', { retryAfterMs: 3_000 }),
        429,
        'rate_limit_exceeded',
      ],
      [new CompletionError('unavailable', 'calc is starting'), 503, 'unavailable'],
      [new CompletionError('upstream', "calc's model provider failed"), 502, 'upstream_error'],
      [new CompletionError('invalid_request', 'nothing to answer'), 400, 'invalid_value'],
      [new Error(`db password=hunter2 and ${KEY}`), 500, null],
    ];
    for (const [error, status, code] of cases) {
      const completions = new ScriptedCompletions();
      completions.answer = () => ({ kind: 'error', error });
      const res = await app({}, completions).hono.request('/v1/chat/completions', post(hello));
      expect(res.status).toBe(status);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code } });
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain(KEY);
      if (status === 429) expect(res.headers.get('retry-after')).toBe('3');
    }
  });

  it('answers 504 when the agent takes longer than the deadline, and aborts it', async () => {
    const completions = new ScriptedCompletions();
    completions.answer = () => ({ kind: 'hang' });
    const res = await app({ timeoutMs: 30 }, completions).hono.request(
      '/v1/chat/completions',
      post(hello),
    );
    expect(res.status).toBe(504);
    expect(completions.signals[0]?.aborted).toBe(true);
  });

  it('refuses requests beyond the in-flight cap with 429', async () => {
    const completions = new ScriptedCompletions();
    completions.answer = () => ({ kind: 'hang' });
    const shutdown = new AbortController();
    const { hono } = app({ maxConcurrent: 1, signal: shutdown.signal }, completions);
    const first = hono.request('/v1/chat/completions', post(hello));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = await hono.request('/v1/chat/completions', post(hello));
    expect(second.status).toBe(429);
    shutdown.abort();
    expect((await first).status).toBe(500);
  });

  it('keeps the API keys and other known secrets out of answers', async () => {
    const completions = new ScriptedCompletions();
    completions.answer = () => ({
      kind: 'text',
      chunks: [`the key is ${KEY}, the token is syt_secret_canary_value`],
    });
    const { hono } = app({ scrubber: scrubberKnowing('syt_secret_canary_value') }, completions);
    const text = await (await hono.request('/v1/chat/completions', post(hello))).text();
    expect(text).toContain('the key is [redacted], the token is [redacted]');
    expect(text).not.toContain(KEY);
  });
});

describe('OpenAI-compatible API: streaming', () => {
  it('streams a role chunk, content chunks, a finish chunk and [DONE]', async () => {
    const completions = new ScriptedCompletions();
    completions.answer = () => ({
      kind: 'text',
      chunks: ['Ten', ' it is', '.'],
      usage: { promptTokens: 5, completionTokens: 4 },
    });
    const res = await app({}, completions).hono.request(
      '/v1/chat/completions',
      post({ ...hello, stream: true }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = sseEvents(await res.text());
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((data) => JSON.parse(data) as Record<string, unknown>);
    const ids = new Set(chunks.map((chunk) => chunk['id']));
    expect(ids.size).toBe(1);
    expect(
      chunks.every(
        (chunk) => chunk['object'] === 'chat.completion.chunk' && chunk['model'] === 'calc',
      ),
    ).toBe(true);
    const choices = chunks.map(
      (chunk) => (chunk['choices'] as { delta: { content?: string }; finish_reason: unknown }[])[0],
    );
    expect(choices[0]).toEqual({
      index: 0,
      delta: { role: 'assistant', content: '' },
      finish_reason: null,
      logprobs: null,
    });
    expect(choices.at(-1)).toEqual({ index: 0, delta: {}, finish_reason: 'stop', logprobs: null });
    const middle = choices.slice(1, -1);
    expect(middle.length).toBeGreaterThanOrEqual(3);
    expect(
      middle.every(
        (choice) => choice?.finish_reason === null && typeof choice.delta.content === 'string',
      ),
    ).toBe(true);
    expect(middle.map((choice) => choice?.delta.content).join('')).toBe('Ten it is.');
  });

  it('adds a usage chunk when stream_options.include_usage is set', async () => {
    const { hono } = app();
    const res = await hono.request(
      '/v1/chat/completions',
      post({ ...hello, stream: true, stream_options: { include_usage: true } }),
    );
    const events = sseEvents(await res.text());
    expect(JSON.parse(events.at(-2) ?? '{}')).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
  });

  it('ends a stream that fails with one error event and no [DONE]', async () => {
    const completions = new ScriptedCompletions();
    completions.answer = () => ({
      kind: 'error',
      error: new Error(`secret ${KEY}`),
      afterChunks: ['partial'],
    });
    const res = await app({}, completions).hono.request(
      '/v1/chat/completions',
      post({ ...hello, stream: true }),
    );
    const text = await res.text();
    const events = sseEvents(text);
    expect(events).not.toContain('[DONE]');
    expect(JSON.parse(events.at(-1) ?? '{}')).toMatchObject({ error: { type: 'server_error' } });
    expect(text).not.toContain(KEY);
  });

  it('redacts a key split across chunks', async () => {
    const completions = new ScriptedCompletions();
    const half = Math.floor(KEY.length / 2);
    completions.answer = () => ({
      kind: 'text',
      chunks: ['key: ', KEY.slice(0, half), KEY.slice(half), ' ok', ` and ${KEY.slice(0, 5)}`],
    });
    const res = await app({}, completions).hono.request(
      '/v1/chat/completions',
      post({ ...hello, stream: true }),
    );
    const content = sseEvents(await res.text())
      .slice(0, -1)
      .map(
        (data) =>
          (JSON.parse(data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta
            .content ?? '',
      )
      .join('');
    expect(content).toBe(`key: [redacted] ok and ${KEY.slice(0, 5)}`);
  });

  it('aborts the completion when the client goes away', async () => {
    const completions = new ScriptedCompletions();
    completions.answer = () => ({ kind: 'hang' });
    const res = await app({}, completions).hono.request(
      '/v1/chat/completions',
      post({ ...hello, stream: true }),
    );
    if (res.body === null) throw new Error('no body');
    const reader = res.body.getReader();
    const first: unknown = (await reader.read()).value;
    expect(first instanceof Uint8Array ? new TextDecoder().decode(first) : '').toContain(
      '"role":"assistant"',
    );
    const pending = reader.read();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await reader.cancel();
    await pending.catch(() => undefined);
    expect(completions.signals[0]?.aborted).toBe(true);
  });
});
