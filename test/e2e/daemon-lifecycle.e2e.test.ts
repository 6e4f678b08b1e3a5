/**
 * The daemon's lifecycle on a real Synapse: graceful shutdown, a crash mid-reply, messages
 * sent while it was down, and a homeserver restart.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { DaemonProcess } from '../support/daemon-process.js';
import { describeE2e, e2eHomeserver, restartSynapse } from '../support/e2e-homeserver.js';
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

describeE2e('daemon: lifecycle on a real homeserver', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const calc = { userId: names.userId('calc'), displayName: 'Calculator' };
  let llm: ScriptedLlmServer;
  let alice: MatrixTestUser;
  let daemon: DaemonProcess | undefined;
  let dataDir: string | undefined;
  let roomId: string;
  let config: string;
  const env = (): Record<string, string> => ({
    OPENAI_BASE_URL: llm.openAiBaseUrl,
    OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000',
  });

  async function startDaemon(): Promise<DaemonProcess> {
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: config,
      env: env(),
      ...(dataDir === undefined ? {} : { dataDir }),
    });
    dataDir = daemon.dataDir;
    return daemon;
  }

  const repliesTo = (questionId: string) =>
    messagesFrom(alice.eventsIn(roomId), roomId, calc.userId).filter((e) =>
      isInThread(e, questionId),
    );

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('ok') });
    alice = await MatrixTestUser.register(homeserver, {
      localpart: `alice${suffix}`,
      displayName: 'Alice',
    });
    await alice.startSync();
    config = fleetConfig(names, {
      agents: `  calc:
    display_name: Calculator
    rooms: [ROOM]`,
      globalUsers: [alice.userId],
    });
    await startDaemon();
    roomId = await alice.joinRoom(names.alias);
  });

  afterEach(async () => {
    if (daemon !== undefined) await daemon.readiness();
  });

  afterAll(async () => {
    await daemon?.close();
    await alice.close();
    await llm.close();
  });

  it('resumes a reply cut by SIGKILL into exactly one complete reply after restart', async () => {
    const story = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    llm.when(
      { lastUserMessageIncludes: 'tell a long story' },
      llmReply.text(story, { chunkSize: 6, chunkDelayMs: 100 }),
    );
    const questionId = await alice.sendMention(roomId, calc, 'Calculator, tell a long story');
    const partial = await alice.waitFor(
      (e) => e.sender === calc.userId && isInThread(e, questionId),
      { timeoutMs: 15_000 },
    );
    expect(partial.content['io.quorum.stream_status']).toBe('streaming');
    await daemon?.kill();

    await startDaemon();
    await alice.waitFor(() => latestBody(alice.eventsIn(roomId), partial.event_id) === story, {
      timeoutMs: 30_000,
    });
    expect(streamStatus(alice.eventsIn(roomId), partial.event_id)).toBe('final');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(repliesTo(questionId).map((e) => e.event_id)).toEqual([partial.event_id]);
  });

  it('answers a message sent while it was down exactly once after restart', async () => {
    llm.when(
      { lastUserMessageIncludes: 'while you were away' },
      llmReply.text('Back now: here is your answer.'),
    );
    const stopped = await daemon?.terminate();
    expect(stopped?.code).toBe(0);
    const questionId = await alice.sendMention(
      roomId,
      calc,
      'Calculator, while you were away: what is 1+1?',
    );
    await startDaemon();
    const reply = await alice.waitFor(
      (e) => e.sender === calc.userId && isInThread(e, questionId),
      { timeoutMs: 20_000 },
    );
    await alice.waitFor(() => streamStatus(alice.eventsIn(roomId), reply.event_id) === 'final', {
      timeoutMs: 15_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(repliesTo(questionId)).toHaveLength(1);
  });

  it('exits 0 on SIGTERM within the deadline, cutting an in-flight reply cleanly', async () => {
    llm.when(
      { lastUserMessageIncludes: 'never-ending' },
      llmReply.text('x '.repeat(400), { chunkSize: 4, chunkDelayMs: 100 }),
    );
    const questionId = await alice.sendMention(
      roomId,
      calc,
      'Calculator, a never-ending answer please',
    );
    const reply = await alice.waitFor(
      (e) => e.sender === calc.userId && isInThread(e, questionId),
      { timeoutMs: 15_000 },
    );
    const stopped = await daemon?.terminate();
    expect(stopped?.code).toBe(0);
    expect(stopped?.durationMs).toBeLessThan(10_000);
    await alice.waitFor(
      () => latestBody(alice.eventsIn(roomId), reply.event_id)?.includes('Cut short') === true,
      { timeoutMs: 10_000 },
    );
    expect(streamStatus(alice.eventsIn(roomId), reply.event_id)).toBe('final');
    await startDaemon();
  });

  it('comes back to syncing after Synapse restarts, and answers again', async () => {
    // calc's only room is the router's: it stands by while the router long-polls for both.
    const standing = await daemon?.waitUntil(
      (report) =>
        report.ready &&
        report.entities.find((e) => e.name === 'calc')?.sync_mode === 'standby' &&
        report.entities.find((e) => e.name === 'router')?.sync_mode === 'long_poll',
      20_000,
      'calc standing by behind the router',
    );
    expect(standing?.ready).toBe(true);
    const running = await daemon?.readiness();
    const restartsBefore = new Map(running?.entities.map((e) => [e.name, e.restarts]));
    await restartSynapse();
    const recovered = await daemon?.waitUntil(
      (report) =>
        report.ready &&
        report.entities.every(
          (e) => e.state === 'syncing' && e.restarts > (restartsBefore.get(e.name) ?? 0),
        ),
      90_000,
      'every bot to restart and sync again after the homeserver restart',
    );
    expect(recovered?.entities.map((e) => e.name).sort()).toEqual(['calc', 'router']);
    llm.when({ lastUserMessageIncludes: 'after the outage' }, llmReply.text('still here'));
    const questionId = await alice.sendMention(roomId, calc, 'Calculator, after the outage?');
    const reply = await alice.waitFor(
      (e) => e.sender === calc.userId && isInThread(e, questionId),
      { timeoutMs: 20_000 },
    );
    await alice.waitFor(() => latestBody(alice.eventsIn(roomId), reply.event_id) === 'still here', {
      timeoutMs: 15_000,
    });
  });
});
