/**
 * Schedules on a real Synapse (issue 15's "Done when"): a one-time schedule survives a daemon
 * restart and is answered once, at its due time; a recurring one fires at each due time until
 * it is cancelled; `!list_schedules` shows them; people who may not talk to the agents cannot
 * schedule.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DaemonProcess } from '../support/daemon-process.js';
import { describeE2e, e2eHomeserver } from '../support/e2e-homeserver.js';
import { bodyOf, isInThread, type MatrixEvent } from '../support/matrix-events.js';
import { uniqueSuffix } from '../support/matrix-registration.js';
import { MatrixTestUser } from '../support/matrix-test-user.js';
import { fleetConfig, fleetNames, latestBody, streamStatus } from '../support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../support/scripted-llm-server.js';

const FIRE_KEY = 'io.quorum.schedule_fire';

describeE2e('daemon: schedules on a real homeserver', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const router = names.userId('router');
  const calc = names.userId('calc');
  let llm: ScriptedLlmServer;
  let alice: MatrixTestUser;
  let bob: MatrixTestUser;
  let daemon: DaemonProcess | undefined;
  let dataDir: string | undefined;
  let roomId: string;
  let config: string;

  async function startDaemon(): Promise<DaemonProcess> {
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: config,
      env: { OPENAI_BASE_URL: llm.openAiBaseUrl, OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000' },
      ...(dataDir === undefined ? {} : { dataDir }),
    });
    dataDir = daemon.dataDir;
    return daemon;
  }

  /** The router's answer to a command (a notice in the command's thread). */
  async function answerTo(commandId: string): Promise<string> {
    const answer = await alice.waitFor((e) => e.sender === router && isInThread(e, commandId), {
      timeoutMs: 15_000,
    });
    return bodyOf(answer) ?? '';
  }

  const fireIdOf = (event: MatrixEvent): string | undefined => {
    const value = event.content[FIRE_KEY];
    return typeof value === 'string' ? value : undefined;
  };
  /** The fire events of schedule `id` alice has seen, in order. */
  const firesOf = (id: string): MatrixEvent[] =>
    alice.eventsIn(roomId).filter((e) => fireIdOf(e)?.startsWith(`${id}@`) === true);
  const dueAtOf = (fire: MatrixEvent): number => Number(fireIdOf(fire)?.split('@')[1]);
  const calcRepliesTo = (fire: MatrixEvent): MatrixEvent[] =>
    alice
      .eventsIn(roomId)
      .filter(
        (e) =>
          e.sender === calc &&
          e.type === 'm.room.message' &&
          isInThread(e, fire.event_id) &&
          (e.content['m.relates_to'] as { rel_type?: string } | undefined)?.rel_type !==
            'm.replace',
      );
  const scheduledIdIn = (text: string): string => {
    const id = /✅ Scheduled `([a-z0-9]{8})`/u.exec(text)?.[1];
    if (id === undefined) throw new Error(`no schedule id in: ${text}`);
    return id;
  };

  async function finalReplyTo(fire: MatrixEvent): Promise<MatrixEvent> {
    const reply = await alice.waitFor((e) => e.sender === calc && isInThread(e, fire.event_id), {
      timeoutMs: 20_000,
    });
    await alice.waitFor(() => streamStatus(alice.eventsIn(roomId), reply.event_id) === 'final', {
      timeoutMs: 15_000,
    });
    return reply;
  }

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('ok') });
    [alice, bob] = await Promise.all([
      MatrixTestUser.register(homeserver, { localpart: `alice${suffix}`, displayName: 'Alice' }),
      MatrixTestUser.register(homeserver, { localpart: `bob${suffix}`, displayName: 'Bob' }),
    ]);
    await Promise.all([alice.startSync(), bob.startSync()]);
    config = fleetConfig(names, {
      agents: `  calc:
    display_name: Calculator
    rooms: [ROOM]`,
      globalUsers: [alice.userId],
      // A recurring test schedule fires every 6 seconds.
      quorum: ['schedule_min_interval_seconds: 5'],
    });
    await startDaemon();
    roomId = await alice.joinRoom(names.alias);
    await alice.invite(roomId, bob.userId);
    await bob.joinRoom(roomId);
  });

  afterAll(async () => {
    await daemon?.close();
    await Promise.all([alice.close(), bob.close()]);
    await llm.close();
  });

  it('acknowledges "in 20 seconds", survives a restart, and calc answers once at the due time', async () => {
    llm.when({ lastUserMessageIncludes: 'what is 5+5' }, llmReply.text('5+5 = 10'));
    const commandId = await alice.sendText(roomId, '!schedule in 20 seconds @calc what is 5+5');
    const command = await alice.waitFor((e) => e.event_id === commandId, { timeoutMs: 10_000 });
    const ack = await answerTo(commandId);
    expect(ack).toMatch(/✅ Scheduled `[a-z0-9]{8}` for \*\*today at .+ \(in 20 seconds\)\*\*/u);
    expect(ack).toContain('**Will post:** @calc what is 5+5');
    const id = scheduledIdIn(ack);

    // Stopped and started again well within the 20 seconds.
    const stopped = await daemon?.terminate();
    expect(stopped?.code).toBe(0);
    await startDaemon();
    const restartedAt = Date.now();
    expect(restartedAt).toBeLessThan(command.origin_server_ts + 20_000);

    const fire = await alice.waitFor((e) => fireIdOf(e)?.startsWith(`${id}@`) === true, {
      timeoutMs: 40_000,
    });
    const dueAt = dueAtOf(fire);
    // Due 20 s after the command was read (the command is read within a second of sending).
    expect(dueAt - command.origin_server_ts).toBeGreaterThanOrEqual(20_000);
    expect(dueAt - command.origin_server_ts).toBeLessThan(21_000);
    expect(fire.sender).toBe(router);
    expect(fire.origin_server_ts).toBeGreaterThanOrEqual(dueAt);
    expect(bodyOf(fire)).toContain('⏰ @calc what is 5+5');
    expect(fire.content['m.mentions']).toEqual({ user_ids: [calc] });

    const reply = await finalReplyTo(fire);
    expect(latestBody(alice.eventsIn(roomId), reply.event_id)).toBe('5+5 = 10');
    expect(reply.origin_server_ts).toBeGreaterThanOrEqual(dueAt);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(firesOf(id)).toHaveLength(1);
    expect(calcRepliesTo(fire)).toHaveLength(1);
    // Nothing from calc between the command and the due time.
    const early = alice
      .eventsIn(roomId)
      .filter(
        (e) =>
          e.sender === calc &&
          e.origin_server_ts > command.origin_server_ts &&
          e.origin_server_ts < dueAt,
      );
    expect(early).toEqual([]);
    // The model saw alice's scheduled request once.
    const asked = llm.requests.filter((r) => r.lastUserText.includes('what is 5+5'));
    expect(asked).toHaveLength(1);
  });

  it('fires a recurring schedule at three due times, lists it, and stops after !cancel_schedule', async () => {
    llm.when({ lastUserMessageIncludes: 'tick' }, llmReply.text('tock'));
    const commandId = await alice.sendText(roomId, '!schedule cron */6 * * * * * @calc tick');
    const ack = await answerTo(commandId);
    expect(ack).toContain('✅ Scheduled');
    const id = scheduledIdIn(ack);

    const listId = await alice.sendText(roomId, '!list_schedules');
    const list = await answerTo(listId);
    expect(list).toContain(`\`${id}\``);
    expect(list).toContain('@calc tick');

    const fires = await alice.waitForEvents((e) => fireIdOf(e)?.startsWith(`${id}@`) === true, 3, {
      timeoutMs: 40_000,
    });
    const cancelId = await alice.sendText(roomId, `!cancel_schedule ${id}`);
    expect(await answerTo(cancelId)).toContain(`Cancelled \`${id}\``);
    const dueTimes = fires.map(dueAtOf);
    expect(dueTimes[1]! - dueTimes[0]!).toBe(6_000);
    expect(dueTimes[2]! - dueTimes[1]!).toBe(6_000);
    for (const fire of fires) {
      expect(fire.origin_server_ts).toBeGreaterThanOrEqual(dueAtOf(fire));
      await finalReplyTo(fire);
    }
    // Two more periods: no fourth fire, and each fire was answered exactly once.
    await new Promise((resolve) => setTimeout(resolve, 13_000));
    expect(firesOf(id)).toHaveLength(3);
    for (const fire of fires) expect(calcRepliesTo(fire)).toHaveLength(1);
    const afterList = await answerTo(await alice.sendText(roomId, '!list_schedules'));
    expect(afterList).not.toContain(`\`${id}\``);
  });

  it('takes no schedule from someone who may not talk to the agents', async () => {
    const commandId = await bob.sendText(roomId, '!schedule in 30 seconds @calc bob was here');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(alice.eventsIn(roomId).filter((e) => isInThread(e, commandId))).toEqual([]);
    const list = await answerTo(await alice.sendText(roomId, '!list_schedules'));
    expect(list).not.toContain('bob was here');
  });
});
