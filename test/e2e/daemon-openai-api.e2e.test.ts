/**
 * The OpenAI-compatible API of the real daemon (issue 15): `/v1/models` behind bearer keys,
 * chat completions answered by an agent through its own model, streamed and not, and the
 * official `openai` client against it. Usage is recorded as for Matrix turns.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DaemonProcess } from '../support/daemon-process.js';
import { describeE2e, e2eHomeserver } from '../support/e2e-homeserver.js';
import { uniqueSuffix } from '../support/matrix-registration.js';
import { MatrixTestUser } from '../support/matrix-test-user.js';
import { fleetConfig, fleetNames } from '../support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../support/scripted-llm-server.js';

const API_KEY = ['quorum', 'e2e', 'api', 'key', 'one'].join('-');

describeE2e('daemon: the OpenAI-compatible API', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  let llm: ScriptedLlmServer;
  let daemon: DaemonProcess;
  let alice: MatrixTestUser;
  let base: string;

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('I am not sure.') });
    alice = await MatrixTestUser.register(homeserver, { localpart: `alice${suffix}` });
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: fleetConfig(names, {
        agents: `  calc:
    display_name: Calculator
    role: Does arithmetic.
    model: calcmodel
    rooms: [ROOM]
  scribe:
    display_name: Scribe
    role: Writes summaries.
    rooms: [ROOM]`,
        globalUsers: [alice.userId],
        models: ['calcmodel:', '  provider: openai', '  id: calc-e2e-model'],
      }),
      env: {
        OPENAI_BASE_URL: llm.openAiBaseUrl,
        OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000',
        OPENAI_COMPAT_API_KEYS: API_KEY,
      },
    });
    base = `http://127.0.0.1:${daemon.apiPort}/v1`;
  });

  afterAll(async () => {
    await daemon.close();
    await alice.close();
    await llm.close();
  });

  it('answers 401 without a key and lists the agents with one', async () => {
    const anonymous = await fetch(`${base}/models`);
    expect(anonymous.status).toBe(401);
    const listed = await fetch(`${base}/models`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { data: { id: string }[] };
    expect(body.data.map((model) => model.id).sort()).toEqual(['calc', 'scribe']);
  });

  it("answers a chat completion through the agent's own model, with its instructions", async () => {
    llm.when(
      { lastUserMessageIncludes: 'what is 6*7' },
      llmReply.text('It is 42.', { usage: { inputTokens: 31, outputTokens: 4 } }),
      { times: 1 },
    );
    const response = await fetch(`${base}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'calc', messages: [{ role: 'user', content: 'what is 6*7' }] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe('It is 42.');
    const request = llm.requests.findLast((r) =>
      JSON.stringify(r.messages).includes('what is 6*7'),
    );
    expect(request?.model).toBe('calc-e2e-model');
    expect(request?.system).toContain('Does arithmetic.');
    expect(request?.system).toContain('OpenAI-compatible API');
    // Usage is recorded as for Matrix turns: the agent's tokens, under its name.
    const metrics = await daemon.metrics();
    expect(metrics).toMatch(
      /quorum_tokens_total\{direction="output",model="calc-e2e-model",responder="calc"\} 4/,
    );
  });

  it('streams chunks and ends with [DONE]', async () => {
    llm.when(
      { lastUserMessageIncludes: 'stream please' },
      llmReply.text('one two three four', { chunkSize: 4, chunkDelayMs: 20 }),
      { times: 1 },
    );
    const response = await fetch(`${base}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'calc',
        stream: true,
        messages: [{ role: 'user', content: 'stream please' }],
      }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const events = text
      .split('\n\n')
      .map((frame) => frame.replace(/^data: /, '').trim())
      .filter((frame) => frame.length > 0);
    expect(events.at(-1)).toBe('[DONE]');
    const pieces = events
      .slice(0, -1)
      .map((frame) => JSON.parse(frame) as { choices: { delta: { content?: string } }[] })
      .map((chunk) => chunk.choices[0]?.delta.content ?? '');
    expect(pieces.join('')).toBe('one two three four');
    expect(pieces.filter((piece) => piece.length > 0).length).toBeGreaterThan(1);
  });

  it('works with the official openai client, streamed and not', async () => {
    const client = new OpenAI({ apiKey: API_KEY, baseURL: base });
    llm.when({ lastUserMessageIncludes: 'client hello' }, llmReply.text('Hello, client.'), {
      times: 2,
    });
    const completion = await client.chat.completions.create({
      model: 'scribe',
      messages: [{ role: 'user', content: 'client hello' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Hello, client.');
    const stream = await client.chat.completions.create({
      model: 'scribe',
      stream: true,
      messages: [{ role: 'user', content: 'client hello' }],
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).toBe('Hello, client.');
    await expect(
      client.chat.completions.create({
        model: 'nobody',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toMatchObject({ status: 404 });
  });
});
