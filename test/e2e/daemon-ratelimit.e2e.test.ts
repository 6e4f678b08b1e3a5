/**
 * The daemon under a real homeserver rate limit: one bot account is put under Synapse's
 * default message burst (10) with a slow refill, then asked several streaming questions at
 * once. Synapse answers M_LIMIT_EXCEEDED; every reply must still complete, once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DaemonProcess } from '../support/daemon-process.js';
import { describeE2e, e2eHomeserver } from '../support/e2e-homeserver.js';
import { DEFAULT_LIKE_MESSAGE_RATELIMIT, MatrixAdmin } from '../support/matrix-admin.js';
import { isInThread } from '../support/matrix-events.js';
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

describeE2e('daemon: under the homeserver rate limit', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const calc = { userId: names.userId('calc'), displayName: 'Calculator' };
  let llm: ScriptedLlmServer;
  let daemon: DaemonProcess;
  let alice: MatrixTestUser;
  let admin: MatrixAdmin;
  let roomId: string;

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('ok') });
    alice = await MatrixTestUser.register(homeserver, {
      localpart: `alice${suffix}`,
      displayName: 'Alice',
    });
    await alice.startSync();
    admin = await MatrixAdmin.create(homeserver, suffix);
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: fleetConfig(names, {
        agents: `  calc:\n    display_name: Calculator\n    rooms: [ROOM]`,
        globalUsers: [alice.userId],
      }),
      env: { OPENAI_BASE_URL: llm.openAiBaseUrl, OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000' },
    });
    roomId = await alice.joinRoom(names.alias);
    await admin.overrideRatelimit(calc.userId, DEFAULT_LIKE_MESSAGE_RATELIMIT);
  });

  afterAll(async () => {
    await daemon.close();
    await admin.removeRatelimitOverride(calc.userId).catch(() => undefined);
    await alice.close();
    await llm.close();
  });

  it('completes every streamed reply exactly once despite M_LIMIT_EXCEEDED', async () => {
    const answers = [1, 2, 3, 4].map((n) => `Answer ${n}: ${'lorem ipsum '.repeat(12).trim()}.`);
    answers.forEach((answer, index) => {
      llm.when(
        { lastUserMessageIncludes: `question number ${index + 1}` },
        llmReply.text(answer, { chunkSize: 8, chunkDelayMs: 60 }),
      );
    });
    const questions = await Promise.all(
      answers.map((_, index) =>
        alice.sendMention(roomId, calc, `Calculator, question number ${index + 1}`),
      ),
    );
    for (const [index, questionId] of questions.entries()) {
      const reply = await alice.waitFor(
        (e) => e.sender === calc.userId && isInThread(e, questionId),
        { timeoutMs: 60_000 },
      );
      await alice.waitFor(() => streamStatus(alice.eventsIn(roomId), reply.event_id) === 'final', {
        timeoutMs: 90_000,
      });
      expect(latestBody(alice.eventsIn(roomId), reply.event_id)).toBe(answers[index]);
    }
    for (const questionId of questions) {
      expect(
        messagesFrom(alice.eventsIn(roomId), roomId, calc.userId).filter((e) =>
          isInThread(e, questionId),
        ),
      ).toHaveLength(1);
    }
    const metrics = await daemon.metrics();
    const limited = /quorum_rate_limited_total\{bot="calc"\} (\d+)/.exec(metrics);
    expect(Number(limited?.[1] ?? 0)).toBeGreaterThan(0);
  });
});
