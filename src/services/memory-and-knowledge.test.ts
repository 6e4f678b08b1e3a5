import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { FakeEmbedder } from '../../test/support/fake-embedder.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { ScriptedChatModel, step } from '../../test/support/scripted-chat-model.js';
import { admitMessage, ROOM } from '../../test/support/turn-fixtures.js';
import { DETACHED_ROOM, type ContextRequest, type PromptSection } from '../agents/index.js';
import type { CommandContext, CommandDecision } from '../commands/index.js';
import { parseConfig, ROUTER_NAME, type QuorumConfig } from '../config/index.js';
import { GuardedEmbedder } from '../llm/index.js';
import { MEMORY_TOOL_NAMES, MEMORY_TOOLKIT, personCollection, teamOwner } from '../memory/index.js';
import { KnowledgeIndexStore, QuorumStore, type TurnRecord } from '../storage/index.js';
import type { Tool, ToolContext } from '../tools/index.js';
import type { FleetService } from './fleet-service.js';
import { memoryAndKnowledgeService } from './memory-and-knowledge.js';

const ALICE = '@alice:hs';
const BOB = '@bob:hs';
const HELPER = '@quorum_helper:hs';
const DM = '!dm:hs';
const GROUP = '!group:hs';
const MALLORY = '@mallory:hs';

/**
 * The fleet's config: `helper` keeps memories, `forgetful` lists the tool but has memory off,
 * team `crew` is helper + plain. `docs` adds the `docs` base, its `librarian` and team
 * `readers` (librarian + plain); `llm` sets `memory.llm` (extraction after 10 quiet seconds).
 */
function configOf(options: { docs?: boolean; llm?: boolean } = {}): QuorumConfig {
  const docs = options.docs === true;
  const yaml = [
    'models:',
    '  default: {provider: openai, id: m}',
    ...(options.llm === true
      ? [
          'memory:',
          '  llm: {provider: openai, config: {model: x}}',
          '  extraction: {idle_seconds: 10}',
        ]
      : []),
    ...(docs
      ? [
          'knowledge_bases:',
          '  docs: {path: ./docs, watch: false, description: Product docs, context_chunks: 1}',
        ]
      : []),
    'agents:',
    '  helper: {display_name: Helper, tools: [memory]}',
    '  forgetful: {display_name: Forgetful, tools: [memory], memory_backend: none}',
    '  plain: {display_name: Plain}',
    ...(docs ? ['  librarian: {display_name: Librarian, knowledge_bases: [docs]}'] : []),
    'teams:',
    '  crew: {display_name: Crew, agents: [helper, plain]}',
    '  quiet: {display_name: Quiet, agents: [helper, forgetful]}',
    ...(docs ? ['  readers: {display_name: Readers, agents: [librarian, plain]}'] : []),
  ].join('\n');
  const parsed = parseConfig(yaml, { env: {} });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
}

interface Harness {
  readonly service: FleetService;
  readonly store: QuorumStore;
  readonly index: KnowledgeIndexStore;
  readonly clock: FakeClock;
  readonly log: RecordingLogger;
  /** `sender`s whose trust the service asked about, as `<agent> <sender>`. */
  readonly trustChecks: string[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * The service over `:memory:` stores, the bag-of-words embedder, a fake clock and a fake
 * host: `!dm:hs` holds Alice and the helper, `!group:hs` Alice, Bob and the helper; Quorum's
 * accounts are `@quorum_*`, and everyone but Mallory is trusted. Applied and started.
 */
async function harness(
  config: QuorumConfig,
  model = new ScriptedChatModel({ steps: [] }),
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'svc-'));
  mkdirSync(join(dir, 'docs'));
  writeFileSync(join(dir, 'docs', 'setup.md'), 'Install the frobnicator with apt.\n');
  const clock = new FakeClock();
  const store = new QuorumStore(':memory:', () => clock.now());
  const index = new KnowledgeIndexStore(':memory:');
  const log = new RecordingLogger();
  const members = new Map<string, readonly string[]>([
    [DM, [ALICE, HELPER]],
    [GROUP, [ALICE, BOB, HELPER]],
  ]);
  const trustChecks: string[] = [];
  const service = memoryAndKnowledgeService({
    memories: store.memories,
    knowledgeIndex: index,
    embedder: new GuardedEmbedder({ embedder: new FakeEmbedder(), clock, log }),
    extractionModel: (current) => (current.memory.llm === null ? undefined : model),
    configDir: dir,
    watchers: () => () => ({ close: () => Promise.resolve() }),
    clock,
    log,
  })({
    journal: store.journal,
    config: () => config,
    isTrusted: (_roomId, agent, sender) => {
      trustChecks.push(`${agent} ${sender}`);
      return sender !== MALLORY;
    },
    isEntityUser: (userId) => userId.startsWith('@quorum_'),
    joinedMembers: (roomId) => Promise.resolve(members.get(roomId)),
  });
  const controller = new AbortController();
  await service.apply(config);
  service.start(controller.signal);
  cleanups.push(async () => {
    controller.abort();
    await service.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { service, store, index, clock, log, trustChecks };
}

const signal = new AbortController().signal;

function toolNames(
  h: Harness,
  agent: string,
  channel: 'room' | 'detached',
  tools: readonly string[] = [],
): string[] {
  return h.service
    .toolSources(agent, channel, tools)
    .flatMap((source) => source.tools().map((tool) => tool.name));
}

/** Runs `name` as `agent` would in a room turn of `requester`; returns its text. */
async function runTool(
  h: Harness,
  agent: string,
  name: string,
  args: Record<string, unknown>,
  requester: string,
  channel: 'room' | 'detached' = 'room',
): Promise<string> {
  const tool = h.service
    .toolSources(agent, channel, [MEMORY_TOOLKIT])
    .flatMap((source) => source.tools())
    .find((candidate: Tool) => candidate.name === name);
  if (tool === undefined) throw new Error(`${agent} has no ${name}`);
  const context: ToolContext = {
    agentName: agent,
    requester,
    roomId: channel === 'room' ? ROOM : DETACHED_ROOM,
    threadRoot: '$t1',
    sourceEventId: '$e1',
    signal,
    clock: h.clock,
    timezone: 'UTC',
    log: h.log,
  };
  const result = await tool.run(args, context);
  return typeof result === 'string' ? result : result.content;
}

/** The sections of the provider `name` for a request (Alice asking the helper, by default). */
function sections(
  h: Harness,
  name: 'memory' | 'knowledge',
  request: Partial<ContextRequest> = {},
): Promise<readonly PromptSection[]> {
  const provider = h.service.context.find((candidate) => candidate.name === name);
  if (provider === undefined) throw new Error(`no ${name} provider`);
  return provider.sectionsFor(
    {
      entity: 'helper',
      requester: ALICE,
      roomId: ROOM,
      threadRoot: '$t2',
      sourceEventId: '$e2',
      text: 'any vegetarian restaurants nearby?',
      ...request,
    },
    { signal },
  );
}

function turn(responder: string, requester = ALICE): TurnRecord {
  return {
    responder,
    sourceEventId: '$root',
    roomId: ROOM,
    threadRoot: '$root',
    requester,
    state: 'completed',
    replyEventId: '$reply',
    sourceVersion: '$root',
    generation: 0,
    model: 'm',
    createdAt: 0,
    updatedAt: 0,
  };
}

/** Moves the fake clock until `check` passes (the extraction loop wakes every 5 s here). */
async function advanceUntil(h: Harness, check: () => void): Promise<void> {
  await vi.waitFor(async () => {
    await h.clock.advance(5_000);
    check();
  });
}

describe('memoryAndKnowledgeService: tools', () => {
  it('offers the memory tools to agents that list them and keep memories, in rooms and detached', async () => {
    const h = await harness(configOf({ docs: true }));
    expect(toolNames(h, 'helper', 'room', [MEMORY_TOOLKIT])).toEqual([...MEMORY_TOOL_NAMES]);
    expect(toolNames(h, 'helper', 'detached', [MEMORY_TOOLKIT])).toEqual([...MEMORY_TOOL_NAMES]);
    expect(toolNames(h, 'helper', 'room', ['calculator'])).toEqual([]);
    expect(toolNames(h, 'forgetful', 'room', [MEMORY_TOOLKIT])).toEqual([]);
    expect(toolNames(h, 'plain', 'room')).toEqual([]);
  });

  it('offers search_knowledge_base to an agent with knowledge bases, in rooms and detached', async () => {
    const h = await harness(configOf({ docs: true }));
    expect(toolNames(h, 'librarian', 'room')).toEqual(['search_knowledge_base']);
    expect(toolNames(h, 'librarian', 'detached')).toEqual(['search_knowledge_base']);
    expect(toolNames(h, 'helper', 'detached')).toEqual([]);
  });
});

describe('memoryAndKnowledgeService: recall', () => {
  it('recalls what the tool stored for the same person only, in Matrix rooms only', async () => {
    const h = await harness(configOf());
    expect(h.service.context.map((provider) => provider.name)).toEqual(['memory', 'knowledge']);
    expect(
      await runTool(h, 'helper', 'add_memory', { content: 'Alice is vegetarian' }, ALICE),
    ).toContain('id=');

    const forAlice = await sections(h, 'memory');
    expect(forAlice).toHaveLength(1);
    expect(forAlice[0]?.body).toContain('Alice is vegetarian');
    expect(await sections(h, 'memory', { requester: BOB })).toEqual([]);
    // Outside Matrix the caller is a person of its own: Alice's Matrix memories stay out.
    expect(await sections(h, 'memory', { roomId: DETACHED_ROOM })).toEqual([]);
    // A team turn reads the team's own scope, not its members'.
    expect(await sections(h, 'memory', { entity: 'crew' })).toEqual([]);
  });
});

describe('memoryAndKnowledgeService: API callers', () => {
  it('keeps each API caller its own memories, apart from Matrix people and other callers', async () => {
    const h = await harness(configOf());
    await runTool(h, 'helper', 'add_memory', { content: 'Key one likes tea' }, 'key-1', 'detached');
    const text = 'what tea should I order?';
    const asKeyOne = await sections(h, 'memory', {
      roomId: DETACHED_ROOM,
      requester: 'key-1',
      text,
    });
    expect(asKeyOne[0]?.body).toContain('Key one likes tea');
    expect(
      await sections(h, 'memory', { roomId: DETACHED_ROOM, requester: 'key-2', text }),
    ).toEqual([]);
    // The same name in a Matrix room is not the API caller.
    expect(await sections(h, 'memory', { requester: 'key-1', text })).toEqual([]);
    expect(await runTool(h, 'helper', 'list_memories', {}, 'key-1', 'detached')).toContain(
      'Key one likes tea',
    );
    expect(await runTool(h, 'helper', 'list_memories', {}, 'key-2', 'detached')).not.toContain(
      'tea',
    );
  });
});

describe('memoryAndKnowledgeService: extraction', () => {
  function conversation(h: Harness): void {
    admitMessage(h.store, {
      eventId: '$root',
      sender: ALICE,
      body: 'Find me a restaurant, I am vegetarian',
      originTs: 1,
    });
    admitMessage(h.store, {
      eventId: '$m',
      sender: MALLORY,
      body: 'MALLORY-CANARY alice owes me money',
      threadRoot: '$root',
      originTs: 2,
    });
    admitMessage(h.store, {
      eventId: '$r',
      sender: HELPER,
      body: 'Here are three vegetarian places.',
      threadRoot: '$root',
      originTs: 3,
    });
  }

  it("stores what the model extracts from a quiet conversation in the agent's scope", async () => {
    const model = new ScriptedChatModel({ steps: [step.json({ memories: ['Is vegetarian'] })] });
    const h = await harness(configOf({ llm: true }), model);
    conversation(h);
    h.service.turnEnded(turn('helper'));

    await advanceUntil(h, () => {
      expect(h.store.memories.countAboutUser(ALICE)).toBe(1);
    });
    expect(h.store.memories.listAboutUser(ALICE, 10)).toMatchObject([
      { owner: 'helper', text: 'Is vegetarian', origin: 'extraction' },
    ]);
    const prompt = JSON.stringify(model.requests[0]?.messages);
    expect(prompt).toContain('I am vegetarian');
    expect(prompt).toContain('three vegetarian places');
    expect(prompt).not.toContain('MALLORY-CANARY');
    // Trust is dispatch's: asked for the router; Quorum's own accounts are not asked about.
    expect(h.trustChecks).toContain(`${ROUTER_NAME} ${MALLORY}`);
    expect(h.trustChecks.some((check) => check.endsWith(HELPER))).toBe(false);
    model.assertDone();
  });

  it("stores a team turn's facts in the team's scope, which the team's turns recall", async () => {
    const model = new ScriptedChatModel({
      steps: [step.json({ memories: ['Alice is vegetarian'] })],
    });
    const h = await harness(configOf({ llm: true }), model);
    conversation(h);
    h.service.turnEnded(turn('crew'));

    await advanceUntil(h, () => {
      expect(h.store.memories.countAboutUser(ALICE)).toBe(1);
    });
    expect(h.store.memories.listAboutUser(ALICE, 10)[0]?.owner).toBe(
      teamOwner(['helper', 'plain']),
    );
    expect((await sections(h, 'memory', { entity: 'crew' }))[0]?.body).toContain(
      'Alice is vegetarian',
    );
    expect(await sections(h, 'memory', { entity: 'helper' })).toEqual([]);
  });

  it('ignores turns of entities that are neither a configured agent nor a team', async () => {
    const model = new ScriptedChatModel({ steps: [] });
    const h = await harness(configOf({ llm: true }), model);
    conversation(h);
    h.service.turnEnded(turn('router'));
    h.service.turnEnded(turn('stranger'));

    expect(h.store.memories.nextExtractionActivity()).toBeUndefined();
    await h.clock.advance(60_000);
    expect(model.requests).toEqual([]);
  });

  it('keeps no memories for a team with a member whose memory_backend is none', async () => {
    const model = new ScriptedChatModel({ steps: [] });
    const h = await harness(configOf({ llm: true }), model);
    const owner = teamOwner(['helper', 'forgetful']);
    h.store.memories.add({
      collection: personCollection(owner, ALICE),
      scopeKind: 'person',
      owner,
      userId: ALICE,
      roomId: undefined,
      text: 'Alice is vegetarian',
      origin: 'tool',
    });
    conversation(h);
    h.service.turnEnded(turn('quiet'));

    expect(h.store.memories.nextExtractionActivity()).toBeUndefined();
    expect(await sections(h, 'memory', { entity: 'quiet' })).toEqual([]);
  });

  it('queues nothing without memory.llm', async () => {
    const h = await harness(configOf());
    conversation(h);
    h.service.turnEnded(turn('helper'));
    expect(h.store.memories.nextExtractionActivity()).toBeUndefined();
  });
});

describe('memoryAndKnowledgeService: readiness', () => {
  it('reports the embedder, and knowledge only when bases are configured', async () => {
    const h = await harness(configOf());
    expect(h.service.readiness()).toEqual({ embedder: { state: 'ok' } });
  });

  it('reports each base as it indexes, and search_knowledge_base finds its files', async () => {
    const h = await harness(configOf({ docs: true }));
    await vi.waitFor(() => {
      expect(h.service.readiness()).toMatchObject({
        knowledge: { docs: { files: 1, chunks: 1, state: 'ready', mode: 'semantic' } },
        embedder: { state: 'ok' },
      });
    });
    const search = h.service
      .toolSources('librarian', 'room', [])
      .flatMap((source) => source.tools())
      .find((tool) => tool.name === 'search_knowledge_base');
    const output = await search?.run({ query: 'frobnicator' }, {} as ToolContext);
    expect(output).toContain('docs:setup.md');
  });
});

describe('memoryAndKnowledgeService: knowledge context', () => {
  it("puts the best chunks of the answering agent's (or its team members') bases into the prompt", async () => {
    const h = await harness(configOf({ docs: true }));
    await vi.waitFor(() => {
      expect(h.service.readiness()).toMatchObject({ knowledge: { docs: { state: 'ready' } } });
    });
    const text = 'how do I install the frobnicator?';
    const forLibrarian = await sections(h, 'knowledge', { entity: 'librarian', text });
    expect(forLibrarian.map((section) => section.body).join('\n')).toContain(
      'Install the frobnicator with apt.',
    );
    expect(await sections(h, 'knowledge', { entity: 'readers', text })).toEqual(forLibrarian);
    expect(await sections(h, 'knowledge', { entity: 'helper', text })).toEqual([]);
    expect(await sections(h, 'knowledge', { entity: 'crew', text })).toEqual([]);
  });
});

describe('memoryAndKnowledgeService: !memory', () => {
  async function memoryCommand(h: Harness, roomId: string): Promise<string> {
    const command = h.service.commands.find((candidate) => candidate.name === 'memory');
    if (command === undefined) throw new Error('no !memory');
    const replies: string[] = [];
    const context = {
      reply: (_decision: CommandDecision, text: string) => {
        replies.push(text);
        return Promise.resolve();
      },
    } as unknown as CommandContext;
    const decision: CommandDecision = {
      kind: 'command',
      name: 'memory',
      args: '',
      handler: 'router',
      sourceEventId: '$c',
      requester: ALICE,
      threadRoot: '$c',
      roomId,
    };
    await command.run(decision, context);
    return replies.join('\n');
  }

  it('shows memory texts only in a room where the person is the only human', async () => {
    const h = await harness(configOf());
    await runTool(h, 'helper', 'add_memory', { content: 'ALICE-CANARY likes sailing' }, ALICE);

    expect(await memoryCommand(h, DM)).toContain('ALICE-CANARY');
    const inGroup = await memoryCommand(h, GROUP);
    expect(inGroup).not.toContain('ALICE-CANARY');
    expect(inGroup).toContain('helper: 1');
    expect(await memoryCommand(h, '!unknown:hs')).not.toContain('ALICE-CANARY');
  });
});

describe('memoryAndKnowledgeService: stop', () => {
  it('is idempotent and closes the knowledge index once', async () => {
    const h = await harness(configOf({ docs: true }));
    const close = vi.spyOn(h.index, 'close');
    await h.service.stop();
    await expect(h.service.stop()).resolves.toBeUndefined();
    expect(close).toHaveBeenCalledTimes(1);
    expect(() => h.index.counts('docs')).toThrow();
  });
});
