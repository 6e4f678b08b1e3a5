/**
 * The daemon on a real Synapse, as a person in Element sees it: mentions, DMs, authorization,
 * agent-to-agent chatter and edits. Models are scripted behind the real openai client.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DaemonProcess } from '../support/daemon-process.js';
import { describeE2e, e2eHomeserver } from '../support/e2e-homeserver.js';
import { isEditOf, isInThread, relationOf } from '../support/matrix-events.js';
import { uniqueSuffix } from '../support/matrix-registration.js';
import { MatrixTestUser } from '../support/matrix-test-user.js';
import {
  fleetConfig,
  fleetNames,
  latestBody,
  messagesFrom,
  streamStatus,
} from '../support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../support/scripted-llm-server.js';

describeE2e('daemon: messaging on a real homeserver', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const calc = { userId: names.userId('calc'), displayName: 'Calculator' };
  const scribe = { userId: names.userId('scribe'), displayName: 'Scribe' };
  let llm: ScriptedLlmServer;
  let daemon: DaemonProcess;
  let alice: MatrixTestUser;
  let bob: MatrixTestUser;
  let roomId: string;

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('I am not sure.') });
    [alice, bob] = await Promise.all([
      MatrixTestUser.register(homeserver, { localpart: `alice${suffix}`, displayName: 'Alice' }),
      MatrixTestUser.register(homeserver, { localpart: `bob${suffix}`, displayName: 'Bob' }),
    ]);
    await Promise.all([alice.startSync(), bob.startSync()]);
    const config = fleetConfig(names, {
      agents: `  calc:
    display_name: Calculator
    role: Does arithmetic.
    rooms: [ROOM]
  scribe:
    display_name: Scribe
    role: Writes summaries.
    rooms: [ROOM]`,
      globalUsers: [alice.userId],
    });
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: config,
      env: { OPENAI_BASE_URL: llm.openAiBaseUrl, OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000' },
    });
    roomId = await alice.joinRoom(names.alias);
  });

  afterAll(async () => {
    await daemon.close();
    await Promise.all([alice.close(), bob.close()]);
    await llm.close();
  });

  it('answers a mention with a threaded reply from that agent only', async () => {
    llm.when(
      { lastUserMessageIncludes: 'what is 2+2' },
      llmReply.text('2 + 2 = 4', { chunkSize: 3, chunkDelayMs: 20 }),
    );
    const questionId = await alice.sendMention(roomId, calc, 'Calculator, what is 2+2?');
    const reply = await alice.waitFor(
      (e) => e.sender === calc.userId && isInThread(e, questionId),
      { timeoutMs: 15_000 },
    );
    await alice.waitFor(
      (e) =>
        (e.event_id === reply.event_id || isEditOf(e, reply.event_id)) &&
        streamStatus(alice.eventsIn(roomId), reply.event_id) === 'final',
      { timeoutMs: 15_000 },
    );
    expect(latestBody(alice.eventsIn(roomId), reply.event_id)).toBe('2 + 2 = 4');
    // Give the others time to (wrongly) answer too.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const inThread = alice.eventsIn(roomId).filter((e) => isInThread(e, questionId));
    expect(new Set(inThread.map((e) => e.sender))).toEqual(new Set([calc.userId]));
    expect(
      messagesFrom(alice.eventsIn(roomId), roomId, calc.userId).filter((e) =>
        isInThread(e, questionId),
      ),
    ).toHaveLength(1);
  });

  it('answers in a DM without a mention', async () => {
    llm.when({ lastUserMessageIncludes: 'private question' }, llmReply.text('private answer'));
    const dmId = await alice.createRoom({
      invite: [calc.userId],
      isDirect: true,
      preset: 'trusted_private_chat',
    });
    await alice.waitFor(
      (e) =>
        e.room_id === dmId &&
        e.type === 'm.room.member' &&
        e.state_key === calc.userId &&
        e.content['membership'] === 'join',
      {
        timeoutMs: 15_000,
      },
    );
    const questionId = await alice.sendText(dmId, 'a private question for you');
    const reply = await alice.waitFor(
      (e) => e.room_id === dmId && e.sender === calc.userId && isInThread(e, questionId),
      { timeoutMs: 15_000 },
    );
    await alice.waitFor(() => streamStatus(alice.eventsIn(dmId), reply.event_id) === 'final', {
      timeoutMs: 15_000,
    });
    expect(latestBody(alice.eventsIn(dmId), reply.event_id)).toBe('private answer');
  });

  it('gives an unauthorized user nothing', async () => {
    await alice.invite(roomId, bob.userId);
    await bob.joinRoom(roomId);
    const requestsBefore = llm.requests.length;
    const questionId = await bob.sendMention(roomId, calc, 'Calculator, bob asks: what is 7*6?');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(alice.eventsIn(roomId).filter((e) => isInThread(e, questionId))).toEqual([]);
    expect(
      llm.requests
        .slice(requestsBefore)
        .some((r) => JSON.stringify(r.messages).includes('bob asks')),
    ).toBe(false);
  });

  it('ignores agent chatter unless an agent is mentioned', async () => {
    llm.when(
      { lastUserMessageIncludes: 'summarise please' },
      llmReply.text('Summary: nothing to add.'),
    );
    llm.when(
      { lastUserMessageIncludes: 'hand over the sum' },
      llmReply.text('@calc please work out 3*3 for Alice.'),
    );
    llm.when({ lastUserMessageIncludes: 'please work out 3*3' }, llmReply.text('3 * 3 = 9'));

    const quietId = await alice.sendMention(roomId, scribe, 'Scribe, summarise please');
    const quietReply = await alice.waitFor(
      (e) => e.sender === scribe.userId && isInThread(e, quietId),
      { timeoutMs: 15_000 },
    );
    await alice.waitFor(
      () => streamStatus(alice.eventsIn(roomId), quietReply.event_id) === 'final',
      { timeoutMs: 15_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(
      alice.eventsIn(roomId).filter((e) => isInThread(e, quietId) && e.sender === calc.userId),
    ).toEqual([]);

    const handId = await alice.sendMention(roomId, scribe, 'Scribe, hand over the sum');
    const calcReply = await alice.waitFor(
      (e) => e.sender === calc.userId && isInThread(e, handId),
      { timeoutMs: 20_000 },
    );
    await alice.waitFor(
      () => streamStatus(alice.eventsIn(roomId), calcReply.event_id) === 'final',
      { timeoutMs: 15_000 },
    );
    expect(latestBody(alice.eventsIn(roomId), calcReply.event_id)).toBe('3 * 3 = 9');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(
      messagesFrom(alice.eventsIn(roomId), roomId, calc.userId).filter((e) =>
        isInThread(e, handId),
      ),
    ).toHaveLength(1);
  });

  it('regenerates the reply in place when the question is edited', async () => {
    llm.when({ lastUserMessageIncludes: 'what is 5+5' }, llmReply.text('5 + 5 = 10'));
    llm.when({ lastUserMessageIncludes: 'what is 6+6' }, llmReply.text('6 + 6 = 12'));
    const questionId = await alice.sendMention(roomId, calc, 'Calculator, what is 5+5?');
    const reply = await alice.waitFor(
      (e) => e.sender === calc.userId && isInThread(e, questionId),
      { timeoutMs: 15_000 },
    );
    await alice.waitFor(() => latestBody(alice.eventsIn(roomId), reply.event_id) === '5 + 5 = 10', {
      timeoutMs: 15_000,
    });
    await alice.edit(roomId, questionId, 'Calculator, what is 6+6?', { mentions: [calc] });
    await alice.waitFor(() => latestBody(alice.eventsIn(roomId), reply.event_id) === '6 + 6 = 12', {
      timeoutMs: 15_000,
    });
    const replies = messagesFrom(alice.eventsIn(roomId), roomId, calc.userId).filter((e) =>
      isInThread(e, questionId),
    );
    expect(replies.map((e) => e.event_id)).toEqual([reply.event_id]);
    expect(relationOf(reply)?.eventId).toBe(questionId);
  });
});
