/**
 * End-to-end encryption on a real Synapse, as a person using Element sees it: the person's
 * client is matrix-js-sdk with its Rust crypto (a real E2EE client), the daemon is the real
 * process. Replies must decrypt on the person's device, the server must only ever hold
 * ciphertext, and a restart must keep the bot's device (no new-session warnings).
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DaemonProcess } from '../support/daemon-process.js';
import { describeE2e, e2eHomeserver } from '../support/e2e-homeserver.js';
import { E2eeTestUser, tinyPng, type SeenEvent } from '../support/e2ee-test-user.js';
import { uniqueSuffix } from '../support/matrix-registration.js';
import { fleetConfig, fleetNames } from '../support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../support/scripted-llm-server.js';

const THREAD = 'm.thread';

describeE2e('daemon: end-to-end encrypted rooms', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const calc = { userId: names.userId('calc'), displayName: 'Calculator' };
  let llm: ScriptedLlmServer;
  let daemon: DaemonProcess;
  let alice: E2eeTestUser;
  let config: string;
  let dmId: string;

  /** The bot's final reply in `roomId` to `questionId` (streaming edits applied). */
  async function replyTo(roomId: string, questionId: string, text: string): Promise<SeenEvent> {
    const first = await alice.waitFor(
      (e) =>
        e.roomId === roomId &&
        e.sender === calc.userId &&
        e.type === 'm.room.message' &&
        relationOf(e)?.['event_id'] === questionId &&
        relationOf(e)?.['rel_type'] === THREAD,
      30_000,
      `a reply to ${questionId}`,
    );
    expect(first.wireType).toBe('m.room.encrypted');
    expect(first.isDecryptionFailure).toBe(false);
    await alice.waitFor(
      (e) =>
        e.eventId === first.eventId
          ? e.content['body'] === text
          : e.sender === calc.userId &&
            relationOf(e)?.['event_id'] === first.eventId &&
            (e.content['m.new_content'] as Record<string, unknown> | undefined)?.['body'] === text,
      30_000,
      `the reply text "${text}"`,
    );
    return first;
  }

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('I am not sure.') });
    alice = await E2eeTestUser.register(homeserver, {
      localpart: `alice${suffix}`,
      displayName: 'Alice',
    });
    config = fleetConfig(names, {
      agents: `  calc:
    display_name: Calculator
    role: Does arithmetic.
    rooms: [ROOM]`,
      globalUsers: [alice.userId],
      extra: `rooms:\n  ${names.room}:\n    display_name: Secret lobby\n    encrypted: true\n`,
    });
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: config,
      env: { OPENAI_BASE_URL: llm.openAiBaseUrl, OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000' },
    });
  });

  afterAll(async () => {
    await daemon.close();
    await alice.close();
    await llm.close();
  });

  it('answers an encrypted DM with a reply the person decrypts; the server holds ciphertext', async () => {
    llm.when({ lastUserMessageIncludes: 'private sum' }, llmReply.text('The sum is 42.'));
    dmId = await alice.createEncryptedDm(calc.userId);
    await alice.waitForJoin(dmId, calc.userId);
    const questionId = await alice.sendText(dmId, 'what is the private sum?');
    const reply = await replyTo(dmId, questionId, 'The sum is 42.');
    const raw = await alice.rawEvent(dmId, reply.eventId);
    expect(raw['type']).toBe('m.room.encrypted');
    expect(JSON.stringify(raw)).not.toContain('The sum is 42');
    const question = await alice.rawEvent(dmId, questionId);
    expect(question['type']).toBe('m.room.encrypted');
    // The model saw the decrypted question.
    expect(llm.requests.some((r) => r.lastUserText.includes('what is the private sum?'))).toBe(
      true,
    );
    expect(await alice.shieldOf(reply)).toBeNull();
  });

  it('answers a mention in a thread of an encrypted room created from config.yaml', async () => {
    llm.when({ lastUserMessageIncludes: 'thread question' }, llmReply.text('Thread answer.'));
    const roomId = await alice.joinRoom(names.alias);
    const encryption = await fetch(
      `${homeserver.url}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.encryption/`,
      { headers: { authorization: `Bearer ${alice.accessToken}` } },
    );
    expect(((await encryption.json()) as Record<string, unknown>)['algorithm']).toBe(
      'm.megolm.v1.aes-sha2',
    );
    await alice.waitForJoin(roomId, calc.userId);
    const rootId = await alice.sendText(roomId, 'starting a thread here');
    const questionId = await alice.sendText(roomId, 'a thread question for you', {
      threadRootId: rootId,
      mention: calc,
    });
    const reply = await alice.waitFor(
      (e) =>
        e.roomId === roomId &&
        e.sender === calc.userId &&
        e.type === 'm.room.message' &&
        relationOf(e)?.['rel_type'] === THREAD &&
        relationOf(e)?.['event_id'] === rootId &&
        inReplyTo(e) === questionId,
      30_000,
      'the threaded reply',
    );
    expect(reply.wireType).toBe('m.room.encrypted');
    expect((await alice.rawEvent(roomId, questionId))['type']).toBe('m.room.encrypted');
    await alice.waitFor(
      (e) =>
        (e.eventId === reply.eventId && e.content['body'] === 'Thread answer.') ||
        (relationOf(e)?.['event_id'] === reply.eventId &&
          (e.content['m.new_content'] as Record<string, unknown> | undefined)?.['body'] ===
            'Thread answer.'),
      30_000,
      'the threaded reply text',
    );
  });

  it('gives the model an image posted encrypted', async () => {
    const png = tinyPng();
    llm.when(
      { when: (request) => JSON.stringify(request.body).includes(png.toString('base64')) },
      llmReply.text('A red pixel.'),
    );
    const imageId = await alice.sendEncryptedImage(dmId, png, 'image/png');
    expect((await alice.rawEvent(dmId, imageId))['type']).toBe('m.room.encrypted');
    await replyTo(dmId, imageId, 'A red pixel.');
    expect(
      llm.requests.some((r) =>
        JSON.stringify(r.body).includes(`data:image/png;base64,${png.toString('base64')}`),
      ),
    ).toBe(true);
  });

  it('tells the thread once when a message stays undecryptable (its keys never come)', async () => {
    const response = await fetch(
      `${homeserver.url}/_matrix/client/v3/rooms/${encodeURIComponent(dmId)}/send/m.room.encrypted/${Date.now()}`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${alice.accessToken}` },
        body: JSON.stringify({
          algorithm: 'm.megolm.v1.aes-sha2',
          ciphertext:
            'AwgAEnACgAkLmt6qF84IK++J7UDH2Za1YVchHyprqTqsg2yyOwAtHaZTwyNg37afzg8f3r9IsN9r4RNFg7MaZencUJe4qvELiDiopUjy5wYyOTFnR8mCkmHBHOD2JZGTKDpYTFB7thpAfRGRL3T2QAvh1WLKDyYAAACCTY',
          sender_key: 'nonexistentkeyxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
          device_id: alice.deviceId,
          session_id: 'a-session-whose-key-never-comes',
        }),
      },
    );
    const { event_id: lostId } = (await response.json()) as { event_id: string };
    const note = await alice.waitFor(
      (e) =>
        e.roomId === dmId &&
        e.sender === calc.userId &&
        relationOf(e)?.['event_id'] === lostId &&
        String(e.content['body']).includes("couldn't decrypt"),
      60_000,
      'the undecryptable-message note',
    );
    expect(note.wireType).toBe('m.room.encrypted');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(
      alice
        .events(dmId)
        .filter((e) => e.sender === calc.userId && relationOf(e)?.['event_id'] === lostId),
    ).toHaveLength(1);
  }, 90_000);

  it('keeps its device across a restart: same keys, no warnings, still answers', async () => {
    const before = await alice.devicesOf(calc.userId);
    expect(before).toHaveLength(1);
    await daemon.close();
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: config,
      dataDir: daemon.dataDir,
      env: { OPENAI_BASE_URL: llm.openAiBaseUrl, OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000' },
    });
    llm.when({ lastUserMessageIncludes: 'after restart' }, llmReply.text('Still here.'));
    const questionId = await alice.sendText(dmId, 'are you there after restart?');
    const reply = await replyTo(dmId, questionId, 'Still here.');
    expect(await alice.devicesOf(calc.userId)).toEqual(before);
    expect(reply.senderDeviceId).toBe(before[0]?.deviceId);
    expect(await alice.shieldOf(reply)).toBeNull();
    const ready = await daemon.readiness();
    const entity = ready?.entities.find((e) => e.user_id === calc.userId) as
      (Record<string, unknown> & { encryption?: Record<string, unknown> }) | undefined;
    expect(entity?.encryption?.['state']).toBe('ready');
    expect(entity?.encryption?.['device_id']).toBe(before[0]?.deviceId);
  });

  it('replaces a device whose crypto store is damaged, with one clear log line', async () => {
    const [old] = await alice.devicesOf(calc.userId);
    await daemon.close();
    const storeDir = join(daemon.dataDir, 'crypto');
    const calcLocalpart = calc.userId.slice(1, calc.userId.indexOf(':'));
    const file = readdirSync(storeDir).find(
      (name) => name.includes(calcLocalpart) && name.endsWith('.cryptostore'),
    );
    expect(file).toBeDefined();
    writeFileSync(join(storeDir, file ?? ''), 'not a crypto store');
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: config,
      dataDir: daemon.dataDir,
      env: { OPENAI_BASE_URL: llm.openAiBaseUrl, OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000' },
    });
    const log = daemon.output.join('');
    expect(log).toContain('crypto store unusable: moved aside');
    expect(log).toContain('logged in on a new device');
    const devices = await alice.devicesOf(calc.userId);
    expect(devices).toHaveLength(1);
    expect(devices[0]?.deviceId).not.toBe(old?.deviceId);
    llm.when({ lastUserMessageIncludes: 'new device' }, llmReply.text('New device, same me.'));
    const questionId = await alice.sendText(dmId, 'hello to your new device');
    const reply = await replyTo(dmId, questionId, 'New device, same me.');
    expect(reply.senderDeviceId).toBe(devices[0]?.deviceId);
  });
});

function inReplyTo(event: SeenEvent): unknown {
  const reply = relationOf(event)?.['m.in_reply_to'];
  return typeof reply === 'object' && reply !== null
    ? (reply as Record<string, unknown>)['event_id']
    : undefined;
}

function relationOf(event: SeenEvent): Record<string, unknown> | undefined {
  const relation = event.content['m.relates_to'];
  return typeof relation === 'object' && relation !== null
    ? (relation as Record<string, unknown>)
    : undefined;
}
