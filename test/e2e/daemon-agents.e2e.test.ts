/**
 * Agents that think, on a real Synapse through the real openai and @anthropic-ai/sdk clients:
 * streaming, tools, stop, retries, failures, the Anthropic path, history and !model.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DaemonProcess } from '../support/daemon-process.js';
import { describeE2e, e2eHomeserver } from '../support/e2e-homeserver.js';
import { isEditOf, isInThread, type MatrixEvent } from '../support/matrix-events.js';
import { uniqueSuffix } from '../support/matrix-registration.js';
import { MatrixTestUser } from '../support/matrix-test-user.js';
import { fleetNames, latestBody, messagesFrom, streamStatus } from '../support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../support/scripted-llm-server.js';

describeE2e('daemon: agents on a real homeserver', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const calc = { userId: names.userId('calc'), displayName: 'Calculator' };
  const poet = { userId: names.userId('poet'), displayName: 'Poet' };
  let llm: ScriptedLlmServer;
  let daemon: DaemonProcess;
  let alice: MatrixTestUser;
  let roomId: string;

  const events = (): MatrixEvent[] => alice.eventsIn(roomId);
  async function finalReply(
    from: string,
    questionId: string,
    timeoutMs = 20_000,
  ): Promise<MatrixEvent> {
    const reply = await alice.waitFor(
      (e) => e.sender === from && isInThread(e, questionId) && e.type === 'm.room.message',
      { timeoutMs },
    );
    await alice.waitFor(() => streamStatus(events(), reply.event_id) === 'final', { timeoutMs });
    return reply;
  }

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('ok') });
    alice = await MatrixTestUser.register(homeserver, {
      localpart: `alice${suffix}`,
      displayName: 'Alice',
    });
    await alice.startSync();
    const config = `
models:
  default:
    provider: openai
    id: e2e-model
  fast:
    provider: openai
    id: e2e-fast
  claude:
    provider: anthropic
    id: claude-e2e
agents:
  calc:
    display_name: Calculator
    role: Does arithmetic.
    tools: [calculator]
    rooms: [${names.room}]
  poet:
    display_name: Poet
    role: Writes verse.
    model: claude
    tools: [calculator]
    rooms: [${names.room}]
defaults:
  show_stop_button: true
authorization:
  global_users: ["${alice.userId}"]
quorum:
  localpart_prefix: ${names.prefix}
`;
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: config,
      env: {
        OPENAI_BASE_URL: llm.openAiBaseUrl,
        OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000',
        ANTHROPIC_BASE_URL: llm.anthropicBaseUrl,
        ANTHROPIC_API_KEY: 'sk-ant-e2e-not-a-real-key-0000',
      },
    });
    roomId = await alice.joinRoom(names.alias);
  });

  afterAll(async () => {
    await daemon.close();
    await alice.close();
    await llm.close();
  });

  it('streams a reply as edits ending in one complete final text', async () => {
    const text = 'Counting: one two three four five six seven eight nine ten.';
    llm.when(
      { lastUserMessageIncludes: 'count to ten' },
      llmReply.text(text, { chunkSize: 4, chunkDelayMs: 120 }),
    );
    const questionId = await alice.sendMention(roomId, calc, 'Calculator, count to ten slowly');
    const reply = await finalReply(calc.userId, questionId);
    const edits = events().filter((e) => isEditOf(e, reply.event_id));
    expect(edits.length).toBeGreaterThanOrEqual(2);
    expect(latestBody(events(), reply.event_id)).toBe(text);
    expect(reply.content['io.quorum.stream_status']).toBe('streaming');
  });

  it('runs a tool call and puts its result in the reply', async () => {
    llm.when(
      { lastUserMessageIncludes: 'multiply 12 by 34' },
      llmReply.toolCalls([{ name: 'calculator', arguments: { expression: '12*34' } }]),
      { times: 1 },
    );
    llm.when(
      { when: (r) => JSON.stringify(r.messages).includes('"408"') },
      llmReply.text('12 × 34 = 408.'),
    );
    const questionId = await alice.sendMention(roomId, calc, 'Calculator, multiply 12 by 34');
    const reply = await finalReply(calc.userId, questionId);
    const body = latestBody(events(), reply.event_id) ?? '';
    expect(body).toContain('calculator');
    expect(body).toContain('12 × 34 = 408.');
  });

  it('stops a slow stream within a second of a 🛑 from the asker, aborting the model request', async () => {
    llm.when(
      { lastUserMessageIncludes: 'ramble on' },
      llmReply.text('blah '.repeat(300), { chunkSize: 5, chunkDelayMs: 200 }),
    );
    const questionId = await alice.sendMention(roomId, calc, 'Calculator, ramble on');
    const reply = await alice.waitFor(
      (e) => e.sender === calc.userId && isInThread(e, questionId),
      { timeoutMs: 15_000 },
    );
    const disconnected = llm.waitForDisconnect({ timeoutMs: 10_000 });
    const reactedAt = Date.now();
    await alice.react(roomId, reply.event_id, '🛑');
    const disconnect = await disconnected;
    expect(disconnect.atMs - reactedAt).toBeLessThan(1_000);
    await alice.waitFor(() => latestBody(events(), reply.event_id)?.includes('Stopped') === true, {
      timeoutMs: 10_000,
    });
    expect(streamStatus(events(), reply.event_id)).toBe('final');
  });

  it('retries one 500 and answers once', async () => {
    llm.when({ lastUserMessageIncludes: 'flaky question' }, llmReply.failure(500), { times: 1 });
    llm.when(
      { lastUserMessageIncludes: 'flaky question' },
      llmReply.text('answered after a retry'),
    );
    const questionId = await alice.sendMention(roomId, calc, 'Calculator, a flaky question');
    const reply = await finalReply(calc.userId, questionId);
    expect(latestBody(events(), reply.event_id)).toBe('answered after a retry');
    expect(
      messagesFrom(events(), roomId, calc.userId).filter((e) => isInThread(e, questionId)),
    ).toHaveLength(1);
  });

  it('reports a persistent failure with one clear message', async () => {
    llm.when({ lastUserMessageIncludes: 'doomed question' }, llmReply.failure(503));
    const questionId = await alice.sendMention(roomId, calc, 'Calculator, a doomed question');
    const reply = await finalReply(calc.userId, questionId, 60_000);
    const body = latestBody(events(), reply.event_id) ?? '';
    expect(body).toContain('⚠️');
    expect(body).not.toMatch(/at .*\.ts:\d+|Error:|sk-/);
    expect(
      messagesFrom(events(), roomId, calc.userId).filter((e) => isInThread(e, questionId)),
    ).toHaveLength(1);
  });

  it('streams and calls tools through the Anthropic API too', async () => {
    llm.when(
      { api: 'anthropic', lastUserMessageIncludes: 'verse about 7*6' },
      llmReply.toolCalls([{ name: 'calculator', arguments: { expression: '7*6' } }]),
      { times: 1 },
    );
    llm.when(
      { api: 'anthropic', when: (r) => JSON.stringify(r.messages).includes('42') },
      llmReply.text('Six sevens make forty-two, my friend.', { chunkSize: 6, chunkDelayMs: 60 }),
    );
    const questionId = await alice.sendMention(roomId, poet, 'Poet, a verse about 7*6');
    const reply = await finalReply(poet.userId, questionId);
    expect(latestBody(events(), reply.event_id)).toContain('Six sevens make forty-two, my friend.');
    const anthropicRequests = llm.requests.filter((r) => r.api === 'anthropic');
    expect(anthropicRequests.length).toBeGreaterThanOrEqual(2);
    expect(anthropicRequests.every((r) => r.stream)).toBe(true);
  });

  it('sends the first exchange as history with the second message of a thread', async () => {
    llm.when({ lastUserMessageIncludes: 'my number is 7' }, llmReply.text('Noted: 7.'));
    llm.when({ lastUserMessageIncludes: 'what was my number' }, llmReply.text('It was 7.'));
    const rootId = await alice.sendMention(roomId, calc, 'Calculator, my number is 7');
    await finalReply(calc.userId, rootId);
    const before = llm.requests.length;
    await alice.sendThreadReply(roomId, rootId, 'what was my number?');
    await alice.waitFor(
      () =>
        messagesFrom(events(), roomId, calc.userId).filter((e) => isInThread(e, rootId)).length ===
        2,
      { timeoutMs: 20_000 },
    );
    const followUp = llm.requests
      .slice(before)
      .find((r) => r.lastUserText.includes('what was my number'));
    const history = JSON.stringify(followUp?.messages);
    expect(history).toContain('my number is 7');
    expect(history).toContain('Noted: 7.');
  });

  it('switches the model for one thread with !model', async () => {
    const rootId = await alice.sendMention(roomId, calc, 'Calculator, start a thread');
    await finalReply(calc.userId, rootId);
    await alice.sendThreadReply(roomId, rootId, '!model fast');
    await alice.waitFor(
      (e) =>
        isInThread(e, rootId) &&
        e.sender === names.userId('router') &&
        JSON.stringify(e.content).includes('fast'),
      {
        timeoutMs: 15_000,
      },
    );
    const before = llm.requests.length;
    await alice.sendThreadReply(roomId, rootId, 'and now?');
    await alice.waitFor(
      () =>
        messagesFrom(events(), roomId, calc.userId).filter((e) => isInThread(e, rootId)).length ===
        2,
      { timeoutMs: 20_000 },
    );
    const otherId = await alice.sendMention(roomId, calc, 'Calculator, a different thread');
    await finalReply(calc.userId, otherId);
    const models = llm.requests
      .slice(before)
      .map((r) => [r.lastUserText.includes('and now') ? 'thread' : 'other', r.model]);
    expect(models).toContainEqual(['thread', 'e2e-fast']);
    expect(models).toContainEqual(['other', 'e2e-model']);
  });
});
