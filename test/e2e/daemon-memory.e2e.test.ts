/**
 * Memory and knowledge bases on a real Synapse, through the real daemon (issue 14's "Done
 * when"): a fact stored with `add_memory` in one thread is in the prompt of the same person's
 * later message in another thread and never in another person's; `!memory forget all` removes
 * it; a file dropped into a knowledge folder is in the prompt with its name within seconds,
 * an edit replaces its chunk, a deletion removes it; both survive a restart, and a corrupt
 * knowledge index is rebuilt rather than fatal.
 */
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DaemonProcess } from '../support/daemon-process.js';
import { describeE2e, e2eHomeserver } from '../support/e2e-homeserver.js';
import { bodyOf, isInThread } from '../support/matrix-events.js';
import { uniqueSuffix } from '../support/matrix-registration.js';
import { MatrixTestUser } from '../support/matrix-test-user.js';
import { hasToolResult, offeredTools, toolResultsIn } from '../support/mcp-e2e.js';
import { fleetConfig, fleetNames, streamStatus } from '../support/quorum-e2e.js';
import {
  ScriptedLlmServer,
  llmReply,
  type RecordedLlmRequest,
} from '../support/scripted-llm-server.js';

/** Polls `read` until it returns a value. */
async function eventually<T>(
  read: () => T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Two callers of the OpenAI-compatible API. */
const API_KEYS = ['sk-quorum-api-one-0000000000', 'sk-quorum-api-two-0000000000'] as const;

interface KnowledgeState {
  readonly files?: number;
  readonly chunks?: number;
  readonly state?: string;
}

describeE2e('daemon: memory and knowledge bases on a real homeserver', () => {
  const homeserver = e2eHomeserver();
  const suffix = uniqueSuffix();
  const names = fleetNames(homeserver, suffix);
  const router = names.userId('router');
  const calc = names.userId('calc');
  const docs = mkdtempSync(join(tmpdir(), 'quorum-e2e-kb-'));
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
      env: {
        OPENAI_BASE_URL: llm.openAiBaseUrl,
        OPENAI_API_KEY: 'sk-e2e-not-a-real-key-000000',
        OPENAI_COMPAT_API_KEYS: API_KEYS.join(','),
      },
      ...(dataDir === undefined ? {} : { dataDir }),
    });
    dataDir = daemon.dataDir;
    return daemon;
  }

  async function waitForKnowledge(
    predicate: (state: KnowledgeState) => boolean,
    what: string,
  ): Promise<void> {
    await daemon?.waitUntil(
      (report) => {
        const state = (report as { knowledge?: Record<string, KnowledgeState> }).knowledge?.[
          'docs'
        ];
        return state !== undefined && predicate(state);
      },
      20_000,
      what,
    );
  }

  /** The chat request (not an embedding) calc's model got for the message containing `marker`. */
  const chatRequestFor = (marker: string): RecordedLlmRequest | undefined =>
    llm.requests.find((r) => r.api !== 'embeddings' && r.lastUserText.includes(marker));

  /** Asks calc `text` as `user` in a new thread and waits for the final reply. */
  async function ask(user: MatrixTestUser, text: string): Promise<RecordedLlmRequest> {
    const asked = await user.sendMention(roomId, { userId: calc, displayName: 'Calculator' }, text);
    const reply = await user.waitFor((e) => e.sender === calc && isInThread(e, asked), {
      timeoutMs: 20_000,
    });
    await user.waitFor(() => streamStatus(user.eventsIn(roomId), reply.event_id) === 'final', {
      timeoutMs: 20_000,
    });
    const request = chatRequestFor(text);
    if (request === undefined) throw new Error(`calc's model never saw: ${text}`);
    return request;
  }

  /** The router's answer to a command (a notice in the command's thread). */
  async function command(text: string): Promise<string> {
    const sent = await alice.sendText(roomId, text);
    const answer = await alice.waitFor((e) => e.sender === router && isInThread(e, sent), {
      timeoutMs: 15_000,
    });
    return bodyOf(answer) ?? '';
  }

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({
      defaultReply: llmReply.text('noted'),
      embeddingDimensions: 64,
    });
    [alice, bob] = await Promise.all([
      MatrixTestUser.register(homeserver, { localpart: `alice${suffix}`, displayName: 'Alice' }),
      MatrixTestUser.register(homeserver, { localpart: `bob${suffix}`, displayName: 'Bob' }),
    ]);
    await Promise.all([alice.startSync(), bob.startSync()]);
    config = fleetConfig(names, {
      agents: `  calc:
    display_name: Calculator
    rooms: [ROOM]
    tools: [memory]
    knowledge_bases: [docs]`,
      globalUsers: [alice.userId, bob.userId],
      extra: `knowledge_bases:
  docs:
    path: ${JSON.stringify(docs)}
    watch: true
    context_chunks: 3
`,
    });
    await startDaemon();
    roomId = await alice.joinRoom(names.alias);
    await alice.invite(roomId, bob.userId);
    await bob.joinRoom(roomId);
  }, 120_000);

  afterAll(async () => {
    await daemon?.close();
    await Promise.all([alice.close(), bob.close()]);
    await llm.close();
    rmSync(docs, { recursive: true, force: true });
  });

  it('remembers a fact for the same person in another thread, never for another person', async () => {
    const remember = 'please remember that my seat is MEMO-CANARY-71';
    llm.when(
      { lastUserMessageIncludes: remember, when: (r) => !hasToolResult(r) },
      llmReply.toolCalls([
        { name: 'add_memory', arguments: { content: 'Alice sits in seat MEMO-CANARY-71' } },
      ]),
    );
    llm.when(
      { lastUserMessageIncludes: remember, when: hasToolResult },
      llmReply.text('I will remember that.'),
    );
    const stored = await ask(alice, remember);
    expect(offeredTools(stored)).toContain('add_memory');
    const results = llm.requests
      .filter((r) => r.lastUserText.includes(remember) && hasToolResult(r))
      .flatMap(toolResultsIn);
    expect(results.join('\n')).toMatch(/m[0-9a-f]{12}/u);

    const later = await ask(alice, 'which seat do I have? (alice, second thread)');
    expect(later.system).toContain('MEMO-CANARY-71');
    const other = await ask(bob, 'which seat do I have? MEMO-CANARY-71 (bob)');
    expect(other.system ?? '').not.toContain('MEMO-CANARY-71');
  });

  it('lists memories without their text in a shared room, and forgets them all on confirmation', async () => {
    const listed = await command('!memory');
    expect(listed).toContain('remember 1 thing about you');
    expect(listed).not.toContain('MEMO-CANARY-71');
    expect(await command('!memory forget all')).toContain('confirm');
    expect(await command('!memory forget all confirm')).toContain('Forgotten: 1 memory');
    const after = await ask(alice, 'which seat do I have? (alice, after forgetting)');
    expect(after.system ?? '').not.toContain('MEMO-CANARY-71');
  });

  it('answers from a dropped file within seconds, replaces an edited chunk, forgets a deleted file', async () => {
    const file = join(docs, 'refund-policy.md');
    writeFileSync(file, '# Refunds\n\nRefunds are paid within KB-CANARY-30 days.\n');
    const droppedAt = Date.now();
    await waitForKnowledge((s) => s.files === 1 && s.state === 'ready', 'the file is indexed');
    const indexedMs = Date.now() - droppedAt;
    expect(indexedMs).toBeLessThan(15_000);
    const first = await ask(alice, 'how long do refunds take? (first)');
    expect(first.system).toContain('KB-CANARY-30');
    expect(first.system).toContain('refund-policy.md');

    writeFileSync(file, '# Refunds\n\nRefunds are paid within KB-CANARY-14 days now.\n');
    // The watcher lets the write settle, then re-indexes the file alone.
    const deadline = Date.now() + 15_000;
    let edited: RecordedLlmRequest | undefined;
    for (let attempt = 1; Date.now() < deadline; attempt += 1) {
      edited = await ask(alice, `how long do refunds take? (edit ${attempt})`);
      if (edited.system?.includes('KB-CANARY-14') === true) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(edited?.system).toContain('KB-CANARY-14');
    expect(edited?.system).not.toContain('KB-CANARY-30');

    unlinkSync(file);
    await waitForKnowledge((s) => s.files === 0, 'the deleted file leaves the index');
    const gone = await ask(alice, 'how long do refunds take? (deleted)');
    expect(gone.system ?? '').not.toContain('KB-CANARY');
  });

  it('keeps memories and knowledge across a restart, and rebuilds a corrupt knowledge index', async () => {
    llm.when(
      { lastUserMessageIncludes: 'remember my locker', when: (r) => !hasToolResult(r) },
      llmReply.toolCalls([
        { name: 'add_memory', arguments: { content: 'Alice uses locker MEMO-CANARY-88' } },
      ]),
    );
    await ask(alice, 'remember my locker please');
    writeFileSync(join(docs, 'hours.txt'), 'The office opens at KB-CANARY-9 o clock.\n');
    await waitForKnowledge((s) => s.files === 1 && s.state === 'ready', 'the new file is indexed');

    expect((await daemon?.terminate())?.code).toBe(0);
    await startDaemon();
    await waitForKnowledge((s) => s.files === 1 && s.state === 'ready', 'the index after restart');
    const restarted = await ask(alice, 'locker and opening hours? (after restart)');
    expect(restarted.system).toContain('MEMO-CANARY-88');
    expect(restarted.system).toContain('KB-CANARY-9');

    expect((await daemon?.terminate())?.code).toBe(0);
    if (dataDir === undefined) throw new Error('no data dir');
    writeFileSync(
      join(dataDir, 'knowledge.db'),
      'this is not a SQLite database at all '.repeat(200),
    );
    await startDaemon();
    await waitForKnowledge((s) => s.files === 1 && s.state === 'ready', 'the rebuilt index');
    expect(daemon?.output.join('')).toMatch(/knowledge index was unusable/u);
    const rebuilt = await ask(alice, 'my locker and the opening hours? (after rebuild)');
    expect(rebuilt.system).toContain('KB-CANARY-9');
    expect(rebuilt.system).toContain('MEMO-CANARY-88');
  }, 120_000);

  it('extracts a fact from a quiet conversation once memory.llm is set by a live reload', async () => {
    const before = (await daemon?.readiness())?.config_generation ?? 0;
    daemon?.writeConfig(
      config.replace(
        'knowledge_bases:\n  docs:',
        `memory:
  llm:
    provider: openai
    config: {model: extract-e2e, base_url: ${JSON.stringify(llm.openAiBaseUrl)}}
  extraction: {idle_seconds: 10}
knowledge_bases:
  docs:`,
      ),
    );
    await daemon?.waitUntil((r) => r.config_generation > before, 20_000, 'the reload');
    llm.when(
      { model: 'extract-e2e' },
      llmReply.json({ memories: ['Alice is allergic to EXTRACT-CANARY-5 nuts'] }),
    );
    await ask(alice, 'I am allergic to nuts, what can I eat at the party?');
    // Extracted once the thread has been quiet for idle_seconds (10 s), by the memory.llm model.
    const extraction = await eventually(
      () => llm.requests.find((r) => r.model === 'extract-e2e'),
      40_000,
      'the extraction request',
    );
    expect(JSON.stringify(extraction.messages)).toContain('allergic to nuts');
    await daemon?.waitForOutput(/memories extracted/u, 10_000);
    const later = await ask(alice, 'am I allergic to anything? (new thread)');
    expect(later.system).toContain('EXTRACT-CANARY-5');
    const other = await ask(bob, 'am I allergic to anything? (bob)');
    expect(other.system ?? '').not.toContain('EXTRACT-CANARY-5');
  }, 90_000);

  it('keeps memories per API key over the OpenAI-compatible API, apart from Matrix people', async () => {
    const complete = async (key: string, content: string): Promise<RecordedLlmRequest> => {
      const response = await fetch(`http://127.0.0.1:${daemon?.apiPort}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'calc', messages: [{ role: 'user', content }] }),
      });
      expect(response.status).toBe(200);
      const request = llm.requests.findLast(
        (r) => r.api !== 'embeddings' && JSON.stringify(r.messages).includes(content),
      );
      if (request === undefined) throw new Error(`calc's model never saw: ${content}`);
      return request;
    };
    const remember = 'remember my project codename over the API';
    llm.when(
      { lastUserMessageIncludes: remember, when: (r) => !hasToolResult(r) },
      llmReply.toolCalls([
        { name: 'add_memory', arguments: { content: 'The project codename is API-CANARY-3' } },
      ]),
    );
    await complete(API_KEYS[0], remember);
    expect(
      (await complete(API_KEYS[0], 'what is my project codename? (key one)')).system,
    ).toContain('API-CANARY-3');
    const otherKey = await complete(API_KEYS[1], 'what is my project codename? (key two)');
    expect(otherKey.system ?? '').not.toContain('API-CANARY-3');
    const person = await ask(alice, 'what is my project codename? (alice)');
    expect(person.system ?? '').not.toContain('API-CANARY-3');
  });
});
