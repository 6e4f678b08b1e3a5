import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { llmReply, ScriptedLlmServer } from '../support/scripted-llm-server.js';

let server: ScriptedLlmServer;
beforeAll(async () => {
  server = await ScriptedLlmServer.start({ models: ['listed-model'], embeddingDimensions: 8 });
});
afterEach(() => {
  server.reset();
});
afterAll(async () => {
  await server.close();
});

async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** The `data:` payloads (and `event:` names) of an SSE body, in order. */
function sseMessages(text: string): { event: string | undefined; data: string }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
      const data = lines.find((l) => l.startsWith('data: '))?.slice(6) ?? '';
      return { event, data };
    });
}

/** The parts of an OpenAI chunk or completion these tests read. */
interface OpenAiChoice {
  readonly delta: {
    readonly tool_calls?: readonly { function: { arguments: string } }[];
  } & Record<string, unknown>;
  readonly message?: { readonly content: string | null };
  readonly finish_reason: string | null;
}
interface OpenAiBody {
  readonly choices: readonly OpenAiChoice[];
  readonly usage?: unknown;
}

const chat = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: 'm1',
  messages: [{ role: 'user', content: 'hello' }],
  ...extra,
});

describe('ScriptedLlmServer', () => {
  it('streams OpenAI chunks with a role first, usage when asked, and [DONE] last', async () => {
    server.enqueue(
      llmReply.text('abcdef', { chunkSize: 3, usage: { inputTokens: 5, outputTokens: 2 } }),
    );
    const response = await post(
      '/v1/chat/completions',
      chat({ stream: true, stream_options: { include_usage: true } }),
    );
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const messages = sseMessages(await response.text());
    expect(messages.at(-1)?.data).toBe('[DONE]');
    const chunks = messages.slice(0, -1).map((m) => JSON.parse(m.data) as OpenAiBody);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: 'abc' });
    expect(chunks[1]?.choices[0]?.delta).toEqual({ content: 'def' });
    expect(chunks[2]?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks[3]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    });
  });

  it('leaves the usage chunk out when the client did not ask for it', async () => {
    server.enqueue(llmReply.text('hi'));
    const text = await (await post('/v1/chat/completions', chat({ stream: true }))).text();
    const chunks = sseMessages(text)
      .slice(0, -1)
      .map((m) => JSON.parse(m.data) as OpenAiBody);
    expect(chunks.every((chunk) => chunk.usage === undefined)).toBe(true);
  });

  it('streams tool calls as index/id/name first, then argument pieces', async () => {
    server.enqueue(
      llmReply.toolCalls([{ id: 'call_7', name: 'f', arguments: { a: 12345 } }], { chunkSize: 4 }),
    );
    const text = await (await post('/v1/chat/completions', chat({ stream: true }))).text();
    const deltas = sseMessages(text)
      .slice(0, -1)
      .map((m) => (JSON.parse(m.data) as OpenAiBody).choices[0]!);
    expect(deltas[0]?.delta.tool_calls).toEqual([
      { index: 0, id: 'call_7', type: 'function', function: { name: 'f', arguments: '' } },
    ]);
    const pieces = deltas.slice(1, -1).map((d) => d.delta.tool_calls?.[0]?.function.arguments);
    expect(pieces).toEqual(['{"a"', ':123', '45}']);
    expect(deltas.at(-1)?.finish_reason).toBe('tool_calls');
  });

  it('emits the Anthropic event sequence for text and tool_use blocks', async () => {
    server.enqueue(llmReply.toolCalls([{ name: 'f', arguments: { x: 1 } }], { text: 'ok' }));
    const text = await (
      await post('/v1/messages', {
        model: 'claude',
        max_tokens: 10,
        stream: true,
        messages: [{ role: 'user', content: 'q' }],
      })
    ).text();
    const messages = sseMessages(text);
    expect(messages.map((m) => m.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const delta = JSON.parse(messages[7]!.data) as { delta: { stop_reason: string } };
    expect(delta.delta.stop_reason).toBe('tool_use');
    const jsonDelta = JSON.parse(messages[5]!.data) as { delta: unknown };
    expect(jsonDelta.delta).toEqual({ type: 'input_json_delta', partial_json: '{"x":1}' });
  });

  it('answers rules before the queue, and the default after both', async () => {
    server
      .when({ model: 'router' }, llmReply.text('routed'))
      .when({ lastUserMessageIncludes: 'weather' }, llmReply.text('sunny'), { times: 1 })
      .enqueue(llmReply.text('first'), llmReply.text('second'));
    const ask = async (model: string, content: string): Promise<string> => {
      const body = (await (
        await post('/v1/chat/completions', chat({ model, messages: [{ role: 'user', content }] }))
      ).json()) as Partial<OpenAiBody>;
      return body.choices?.[0]?.message?.content ?? `HTTP error: ${JSON.stringify(body)}`;
    };
    expect(await ask('router', 'x')).toBe('routed');
    expect(await ask('m', 'what is the weather')).toBe('sunny');
    expect(await ask('m', 'what is the weather')).toBe('first');
    expect(await ask('router', 'y')).toBe('routed');
    expect(await ask('m', 'z')).toBe('second');
    expect(await ask('m', 'z')).toMatch(/no reply scripted for request #5/);
    expect(server.unmatched.map((r) => r.index)).toEqual([5]);
    server.setDefaultReply(llmReply.text('fallback'));
    expect(await ask('m', 'z')).toBe('fallback');
    expect(server.requests.map((r) => r.answeredWith)).toEqual([
      'rule text',
      'rule text',
      'queue text',
      'rule text',
      'queue text',
      'unmatched',
      'default text',
    ]);
  });

  it('sends failures with the provider error shape and retry-after', async () => {
    server.enqueue(llmReply.failure(429, { retryAfter: 3 }));
    const response = await post('/v1/chat/completions', chat());
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(await response.json()).toMatchObject({ error: { type: 'rate_limit_exceeded' } });
  });

  it('records model, messages, tools, stream flag, headers and first-token time', async () => {
    server.enqueue(llmReply.text('hi', { firstTokenDelayMs: 5 }));
    await (
      await post('/v1/chat/completions', chat({ tools: [{ type: 'function' }] }), {
        'x-trace': 't1',
      })
    ).text();
    const [request] = server.requests;
    expect(request).toMatchObject({
      api: 'openai',
      model: 'm1',
      stream: false,
      lastUserText: 'hello',
      tools: [{ type: 'function' }],
      isDisconnected: false,
    });
    expect(request?.headers['x-trace']).toBe('t1');
    expect(request?.firstTokenAtMs).toBeGreaterThanOrEqual(request!.receivedAtMs);
  });

  it('serves deterministic unit-length embeddings, also base64-encoded through the SDK', async () => {
    const body = (await (
      await post('/v1/embeddings', { model: 'e', input: ['a', 'b', 'a'] })
    ).json()) as {
      data: { embedding: number[] }[];
    };
    const [a, b, again] = body.data.map((d) => d.embedding);
    expect(a).toHaveLength(8);
    expect(a).toEqual(again);
    expect(a).not.toEqual(b);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5);

    const client = new OpenAI({ apiKey: 'sk-test', baseURL: server.openAiBaseUrl, maxRetries: 0 });
    const viaSdk = await client.embeddings.create({ model: 'e', input: 'a' });
    expect(viaSdk.data[0]?.embedding).toEqual(a);
  });

  it('lists models in the OpenAI or Anthropic shape', async () => {
    server.when({ model: 'rule-model' }, llmReply.text('x'));
    const openai = (await (await fetch(`${server.url}/v1/models`)).json()) as {
      data: { id: string }[];
    };
    expect(openai.data.map((m) => m.id)).toEqual(['listed-model', 'rule-model']);
    const anthropic = (await (
      await fetch(`${server.url}/v1/models`, { headers: { 'anthropic-version': '2023-06-01' } })
    ).json()) as Record<string, unknown>;
    expect(anthropic).toMatchObject({
      has_more: false,
      data: [{ type: 'model', id: 'listed-model' }, { id: 'rule-model' }],
    });
  });

  it('answers unknown routes with 404', async () => {
    const response = await post('/v1/completions', {});
    expect(response.status).toBe(404);
    expect(server.requests).toHaveLength(0);
  });

  it('fails a wait for a disconnect that never comes instead of hanging', async () => {
    await expect(server.waitForDisconnect({ timeoutMs: 20 })).rejects.toThrow(
      'no client disconnect within 20 ms',
    );
  });

  it('records a client that hangs up on a hanging reply as a disconnect', async () => {
    server.enqueue(llmReply.hang());
    const controller = new AbortController();
    const pending = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify(chat()),
      signal: controller.signal,
    }).then(
      () => 'answered',
      () => 'aborted',
    );
    await server.waitForRequest();
    controller.abort();
    const disconnect = await server.waitForDisconnect();
    expect(disconnect).toMatchObject({
      chunksSent: 0,
      request: { index: 0, isDisconnected: true },
    });
    expect(await pending).toBe('aborted');
  });
});
