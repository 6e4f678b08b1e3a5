/**
 * Live configuration on a real Synapse (issue 4): saving `config.yaml` while the daemon runs
 * adds, restarts and removes agents, an invalid save changes nothing, bursts of saves coalesce,
 * a streaming reply of an untouched agent carries on, and the ways editors save all apply once.
 *
 * One daemon serves the whole file; each test starts from the config the previous one left,
 * kept in `agents`. Reloads are read from `/api/ready` (generation, `started_at`) and from
 * `quorum_config_reloads_total` in `/metrics`.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ReadinessReport } from '../../src/shared/index.js';
import { DaemonProcess } from '../support/daemon-process.js';
import { describeE2e, e2eHomeserver } from '../support/e2e-homeserver.js';
import { isInThread } from '../support/matrix-events.js';
import { uniqueSuffix } from '../support/matrix-registration.js';
import { MatrixTestUser } from '../support/matrix-test-user.js';
import { fleetNames, latestBody, messagesFrom, streamStatus } from '../support/quorum-e2e.js';
import { ScriptedLlmServer, llmReply } from '../support/scripted-llm-server.js';

/** One agent of the test config; `model` names an entry of `models` (default: `default`). */
interface AgentDef {
  readonly displayName: string;
  readonly role: string;
  readonly model?: 'default' | 'fast';
}

type Outcome = 'applied' | 'unchanged' | 'invalid' | 'failed';
type ReloadCounts = Readonly<Record<Outcome, number>> & { readonly total: number };

const MODEL_IDS = { default: 'e2e-model', fast: 'e2e-model-fast' } as const;
/** Longer than the watcher's quiet period (300 ms) plus a reload: time for a wrong extra reload. */
const SETTLE_MS = 1_500;

describeE2e('daemon: live configuration on a real homeserver', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const target = (agent: string) => ({ userId: names.userId(agent), displayName: agent });
  let agents: Record<string, AgentDef> = {
    calc: { displayName: 'Calculator', role: 'Does arithmetic.' },
    scribe: { displayName: 'Scribe', role: 'Writes summaries.' },
    temp: { displayName: 'Temp', role: 'Helps for a while.' },
  };
  let llm: ScriptedLlmServer;
  let daemon: DaemonProcess;
  let alice: MatrixTestUser;
  let roomId: string;

  function configYaml(defs: Record<string, AgentDef>): string {
    const agentLines = Object.entries(defs).flatMap(([name, def]) => [
      `  ${name}:`,
      `    display_name: ${def.displayName}`,
      `    role: ${JSON.stringify(def.role)}`,
      ...(def.model === undefined ? [] : [`    model: ${def.model}`]),
      `    rooms: [${names.room}]`,
    ]);
    return [
      'models:',
      ...Object.entries(MODEL_IDS).flatMap(([name, id]) => [
        `  ${name}:`,
        '    provider: openai',
        `    id: ${id}`,
      ]),
      'agents:',
      ...agentLines,
      'authorization:',
      `  global_users: [${JSON.stringify(alice.userId)}]`,
      'quorum:',
      `  localpart_prefix: ${names.prefix}`,
      '',
    ].join('\n');
  }

  /** Saves `defs` the plain way (truncate and write in one call) and makes them the current state. */
  function save(defs: Record<string, AgentDef>): void {
    agents = defs;
    daemon.writeConfig(configYaml(defs));
  }

  async function reloadCounts(): Promise<ReloadCounts> {
    const text = await daemon.metrics();
    const read = (outcome: Outcome): number => {
      const match = new RegExp(
        `^quorum_config_reloads_total\\{outcome="${outcome}"\\} (\\d+)$`,
        'm',
      ).exec(text);
      return match === null ? 0 : Number(match[1]);
    };
    const counts = {
      applied: read('applied'),
      unchanged: read('unchanged'),
      invalid: read('invalid'),
      failed: read('failed'),
    };
    return { ...counts, total: counts.applied + counts.unchanged + counts.invalid + counts.failed };
  }

  function startedAt(report: ReadinessReport): Record<string, string | null> {
    return Object.fromEntries(report.entities.map((entity) => [entity.name, entity.started_at]));
  }

  async function readiness(): Promise<ReadinessReport> {
    const report = await daemon.readiness();
    if (report === undefined) throw new Error(`/api/ready did not answer\n${daemon.tail()}`);
    return report;
  }

  /**
   * Waits until the daemon finished handling at least one more version of the file than
   * `counts` saw (the counter moves once a reload is fully applied), then until it is ready.
   */
  async function reloaded(counts: ReloadCounts, what: string): Promise<ReadinessReport> {
    await expect
      .poll(async () => (await reloadCounts()).total, { timeout: 30_000, message: what })
      .toBeGreaterThan(counts.total);
    return daemon.waitUntil((report) => report.ready, 30_000, `the daemon ready after ${what}`);
  }

  /** Mentions `agent` and resolves with the final body of its single threaded reply. */
  async function ask(agent: string, question: string): Promise<string> {
    const who = target(agent);
    const questionId = await alice.sendMention(roomId, who, `${agent}, ${question}`);
    const reply = await alice.waitFor((e) => e.sender === who.userId && isInThread(e, questionId), {
      timeoutMs: 20_000,
      description: `a reply from ${agent} to "${question}"`,
    });
    await alice.waitFor(() => streamStatus(alice.eventsIn(roomId), reply.event_id) === 'final', {
      timeoutMs: 20_000,
      description: `the final version of ${agent}'s reply`,
    });
    return latestBody(alice.eventsIn(roomId), reply.event_id) ?? '';
  }

  /** The `problems` of every "config is invalid" line the daemon logged, oldest first. */
  function loggedProblems(): string[] {
    return daemon.output
      .join('')
      .split('\n')
      .filter((line) => line.includes('config is invalid'))
      .map((line) => (JSON.parse(line) as { problems?: string }).problems ?? '');
  }

  const requestFor = (text: string) => llm.requests.find((r) => r.lastUserText.includes(text));

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ defaultReply: llmReply.text('ok') });
    alice = await MatrixTestUser.register(homeserver, {
      localpart: `alice${suffix}`,
      displayName: 'Alice',
    });
    await alice.startSync();
    daemon = await DaemonProcess.start({
      homeserver,
      configYaml: configYaml(agents),
      env: { OPENAI_BASE_URL: llm.openAiBaseUrl, OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000' },
    });
    roomId = await alice.joinRoom(names.alias);
  });

  afterAll(async () => {
    await daemon.close();
    await alice.close();
    await llm.close();
  });

  it('makes an added agent join its room and answer a mention', async ({ annotate }) => {
    const poet = target('poet');
    llm.when({ lastUserMessageIncludes: 'a haiku please' }, llmReply.text('Quiet config save'));
    const joined = alice.waitFor(
      (e) =>
        e.room_id === roomId &&
        e.type === 'm.room.member' &&
        e.state_key === poet.userId &&
        e.content['membership'] === 'join',
      { timeoutMs: 30_000, description: 'poet joining the room' },
    );
    const counts = await reloadCounts();
    const savedAt = Date.now();
    save({ ...agents, poet: { displayName: 'Poet', role: 'Writes poems.' } });
    await joined;
    const joinedAt = Date.now();
    expect(await ask('poet', 'a haiku please')).toBe('Quiet config save');
    const answeredAt = Date.now();
    // Timing is reported, not asserted (the 3 s bar of issue 4 is a benchmark figure).
    await annotate(
      `save → join ${joinedAt - savedAt} ms, save → final answer ${answeredAt - savedAt} ms`,
    );
    const report = await reloaded(counts, 'poet to be added');
    expect(report.entities.find((e) => e.name === 'poet')?.state).toBe('syncing');
    expect((await reloadCounts()).applied).toBe(counts.applied + 1);
  });

  it('restarts only the agent whose model changed, and its next reply uses the new model', async ({
    annotate,
  }) => {
    llm.when({ lastUserMessageIncludes: 'before the switch' }, llmReply.text('old model'));
    llm.when({ lastUserMessageIncludes: 'after the switch' }, llmReply.text('new model'));
    expect(await ask('scribe', 'before the switch')).toBe('old model');
    expect(requestFor('before the switch')?.model).toBe(MODEL_IDS.default);

    const before = await readiness();
    const counts = await reloadCounts();
    const savedAt = Date.now();
    save({ ...agents, scribe: { ...agents['scribe']!, model: 'fast' } });
    const after = await reloaded(counts, 'the model change');
    await annotate(`save → restarted agent syncing ${Date.now() - savedAt} ms`);
    expect(after.config_generation).toBe(before.config_generation + 1);

    const beforeStarts = startedAt(before);
    const afterStarts = startedAt(after);
    expect(afterStarts['scribe']).not.toBe(beforeStarts['scribe']);
    expect({ ...afterStarts, scribe: null }).toEqual({ ...beforeStarts, scribe: null });
    expect(await ask('scribe', 'after the switch')).toBe('new model');
    expect(requestFor('after the switch')?.model).toBe(MODEL_IDS.fast);
  });

  it('lets a streaming reply finish while another agent is reconfigured', async () => {
    const story = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');
    llm.when(
      { lastUserMessageIncludes: 'a long story' },
      llmReply.text(story, { chunkSize: 6, chunkDelayMs: 100 }),
    );
    const before = await readiness();
    const counts = await reloadCounts();
    const questionId = await alice.sendMention(roomId, target('calc'), 'calc, a long story');
    const reply = await alice.waitFor(
      (e) => e.sender === target('calc').userId && isInThread(e, questionId),
      { timeoutMs: 20_000, description: 'the first part of the story' },
    );
    save({ ...agents, scribe: { ...agents['scribe']!, role: 'Writes short summaries.' } });
    const after = await reloaded(counts, 'the role change');
    // The reload happened while the story was still streaming.
    expect(streamStatus(alice.eventsIn(roomId), reply.event_id)).toBe('streaming');
    expect(startedAt(after)['scribe']).not.toBe(startedAt(before)['scribe']);
    expect(startedAt(after)['calc']).toBe(startedAt(before)['calc']);

    await alice.waitFor(() => streamStatus(alice.eventsIn(roomId), reply.event_id) === 'final', {
      timeoutMs: 30_000,
      description: 'the story to finish',
    });
    const body = latestBody(alice.eventsIn(roomId), reply.event_id);
    expect(body).toBe(story);
    expect(body).not.toContain('Cut short');
    const replies = messagesFrom(alice.eventsIn(roomId), roomId, target('calc').userId).filter(
      (e) => isInThread(e, questionId),
    );
    expect(replies.map((e) => e.event_id)).toEqual([reply.event_id]);
  });

  it('makes a removed agent leave its room', async () => {
    const temp = target('temp');
    const left = alice.waitFor(
      (e) =>
        e.room_id === roomId &&
        e.type === 'm.room.member' &&
        e.state_key === temp.userId &&
        e.content['membership'] === 'leave',
      { timeoutMs: 30_000, description: 'temp leaving the room' },
    );
    const counts = await reloadCounts();
    const { temp: _removed, ...rest } = agents;
    save(rest);
    await left;
    const report = await reloaded(counts, 'temp to be removed');
    expect(report.entities.map((e) => e.name).sort()).toEqual(['calc', 'poet', 'router', 'scribe']);
    expect(await alice.joinedMembers(roomId)).not.toContain(temp.userId);
  });

  it('brings a removed agent back into its room when it is added again', async () => {
    const temp = target('temp');
    const joined = alice.waitFor(
      (e) =>
        e.room_id === roomId &&
        e.type === 'm.room.member' &&
        e.state_key === temp.userId &&
        e.content['membership'] === 'join',
      { after: alice.timeline.mark(), timeoutMs: 30_000, description: 'temp joining again' },
    );
    const counts = await reloadCounts();
    save({ ...agents, temp: { displayName: 'Temp', role: 'Helps again.' } });
    await joined;
    llm.when({ lastUserMessageIncludes: 'back again' }, llmReply.text('temp is back'));
    expect(await ask('temp', 'are you back again?')).toBe('temp is back');
    await reloaded(counts, 'temp to be added again');
  });

  it('keeps every agent answering after an invalid save, logs where, and applies the fix', async () => {
    const before = await readiness();
    const counts = await reloadCounts();
    const valid = configYaml(agents);
    const lines = valid.split('\n');
    const badLine = lines.findIndex((line) => line.includes('role: "Writes poems."')) + 1;
    expect(badLine).toBeGreaterThan(0);
    lines[badLine - 1] = '    role: [not, a, string]';
    daemon.writeConfig(lines.join('\n'));

    await expect
      .poll(async () => (await reloadCounts()).invalid, { timeout: 15_000 })
      .toBe(counts.invalid + 1);
    const problems = loggedProblems();
    expect(problems.at(-1)).toContain(`${daemon.configPath}:${badLine}:`);
    expect(problems.at(-1)).toContain('agents.poet.role');

    for (const agent of Object.keys(agents)) {
      llm.when({ lastUserMessageIncludes: `still there ${agent}` }, llmReply.text(`${agent} here`));
      expect(await ask(agent, `still there ${agent}?`)).toBe(`${agent} here`);
    }
    const during = await readiness();
    expect(during.config_generation).toBe(before.config_generation);
    expect(startedAt(during)).toEqual(startedAt(before));

    save({ ...agents, poet: { displayName: 'Poet', role: 'Writes short poems.' } });
    const fixed = await reloaded({ ...counts, total: counts.total + 1 }, 'the fixed config');
    expect(fixed.config_generation).toBe(before.config_generation + 1);
    expect(startedAt(fixed)['poet']).not.toBe(startedAt(before)['poet']);
    expect(await reloadCounts()).toEqual({
      ...counts,
      applied: counts.applied + 1,
      invalid: counts.invalid + 1,
      total: counts.total + 2,
    });
  });

  it('logs the same invalid save again when it returns after a revert', async () => {
    const counts = await reloadCounts();
    const logged = loggedProblems().length;
    const valid = configYaml(agents);
    const broken = valid.replace('display_name: Temp', 'display_name: [Temp]');
    expect(broken).not.toBe(valid);
    daemon.writeConfig(broken);
    await expect
      .poll(async () => (await reloadCounts()).invalid, { timeout: 15_000 })
      .toBe(counts.invalid + 1);
    // Back to the running config: nothing to apply, nothing to report.
    daemon.writeConfig(valid);
    await sleep(SETTLE_MS);
    expect(await reloadCounts()).toEqual({
      ...counts,
      invalid: counts.invalid + 1,
      total: counts.total + 1,
    });
    daemon.writeConfig(broken);
    await expect
      .poll(async () => (await reloadCounts()).invalid, { timeout: 15_000 })
      .toBe(counts.invalid + 2);
    expect(loggedProblems().slice(logged)).toHaveLength(2);
    expect(loggedProblems().at(-1)).toContain('agents.temp.display_name');
    daemon.writeConfig(valid);
    await sleep(SETTLE_MS);
    expect(await reloadCounts()).toEqual({
      ...counts,
      invalid: counts.invalid + 2,
      total: counts.total + 2,
    });
  });

  it('coalesces 20 saves in 2 s into one or two reloads that end in the last version', async () => {
    const before = await readiness();
    const counts = await reloadCounts();
    for (let version = 1; version <= 20; version++) {
      save({
        ...agents,
        scribe: { ...agents['scribe']!, role: `Writes drafts, version ${version}.` },
      });
      await sleep(100);
    }
    await reloaded(counts, 'the burst');
    await sleep(SETTLE_MS);
    const after = await reloadCounts();
    expect(after.total - counts.total).toBeGreaterThanOrEqual(1);
    expect(after.total - counts.total).toBeLessThanOrEqual(2);
    expect(after.invalid).toBe(counts.invalid);
    expect(after.failed).toBe(counts.failed);
    const report = await readiness();
    expect(report.config_generation - before.config_generation).toBe(
      after.applied - counts.applied,
    );

    llm.when({ lastUserMessageIncludes: 'which version' }, llmReply.text('the latest'));
    expect(await ask('scribe', 'which version are you?')).toBe('the latest');
    expect(requestFor('which version')?.system).toContain('Writes drafts, version 20.');
  });

  const editorSaves: ReadonlyArray<
    readonly [string, (path: string, text: string) => Promise<void>]
  > = [
    [
      'an atomic rename (write a temp file, rename it over)',
      async (path, text) => {
        const temporary = `${path}.tmp-${process.pid}`;
        writeFileSync(temporary, text);
        renameSync(temporary, path);
        await Promise.resolve();
      },
    ],
    [
      'truncate-then-write in two slow halves',
      async (path, text) => {
        const fd = openSync(path, 'r+');
        try {
          ftruncateSync(fd, 0);
          fsyncSync(fd);
          await sleep(50);
          const half = Math.floor(text.length / 2);
          writeSync(fd, text.slice(0, half));
          fsyncSync(fd);
          await sleep(50);
          writeSync(fd, text.slice(half));
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      },
    ],
    [
      'delete-and-recreate, missing for longer than the quiet period',
      async (path, text) => {
        unlinkSync(path);
        await sleep(800);
        writeFileSync(path, text);
      },
    ],
  ];

  for (const [style, write] of editorSaves) {
    it(`applies ${style} exactly once`, async () => {
      const before = await readiness();
      const counts = await reloadCounts();
      agents = { ...agents, scribe: { ...agents['scribe']!, role: `Saved by ${style}.` } };
      await write(daemon.configPath, configYaml(agents));
      const after = await reloaded(counts, style);
      expect(after.config_generation).toBe(before.config_generation + 1);
      expect(startedAt(after)['scribe']).not.toBe(startedAt(before)['scribe']);
      await sleep(SETTLE_MS);
      const settled = await reloadCounts();
      expect(settled).toEqual({ ...counts, applied: counts.applied + 1, total: counts.total + 1 });
      expect((await readiness()).config_generation).toBe(before.config_generation + 1);
    });
  }
});
