import type { ContextProvider, ContextRequest, PromptSection } from '../agents/index.js';
import { createMemoryCommand, type Command } from '../commands/index.js';
import { ROUTER_NAME, type QuorumConfig } from '../config/index.js';
import {
  KnowledgeContextProvider,
  KnowledgeManager,
  chokidarFolderWatcher,
  createKnowledgeTools,
  type FolderWatcherFactory,
} from '../knowledge/index.js';
import type { ChatModel, GuardedEmbedder } from '../llm/index.js';
import {
  MEMORY_TOOLKIT,
  MemoryExtractor,
  MemoryService,
  createMemoryTools,
  extractionSettingsFromConfig,
  memorySettingsFromConfig,
  teamMembersOf,
  teamOwner,
  type ContextSection,
  type MemorySettings,
} from '../memory/index.js';
import {
  runTask,
  type Clock,
  type Logger,
  type QuorumMetrics,
  type ServiceHealth,
} from '../shared/index.js';
import type { KnowledgeIndexStore, MemoryStore, TurnRecord } from '../storage/index.js';
import { staticToolSource, type Tool, type ToolSource } from '../tools/index.js';
import { journalConversations } from './conversation-source.js';
import type { FleetService, FleetServiceFactory, FleetServiceHost } from './fleet-service.js';

/** What the memory and knowledge service is built from (the CLI's composition). */
export interface MemoryAndKnowledgeDeps {
  readonly memories: MemoryStore;
  /** The knowledge index; the service owns it and closes it at `stop`. */
  readonly knowledgeIndex: KnowledgeIndexStore;
  /** `memory.embedder` of the boot config, guarded (keywords only while it is down). */
  readonly embedder: GuardedEmbedder;
  /** The extraction model `memory.llm` describes in `config`; undefined when it sets none. */
  readonly extractionModel: (config: QuorumConfig) => ChatModel | undefined;
  /** Knowledge base paths resolve against it (the config file's directory). */
  readonly configDir: string;
  /** Folder watching for `watch: true` bases (default: chokidar). */
  readonly watchers?: (options: { readonly skipHidden: boolean }) => FolderWatcherFactory;
  /** How often memories stored without a vector are embedded again (default 5 minutes). */
  readonly backfillIntervalMs?: number;
  readonly metrics?: Pick<
    QuorumMetrics,
    'memoryRecall' | 'memoryOperations' | 'knowledgeFiles' | 'embedderFailures'
  >;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * Memory and knowledge bases as one fleet service: recall and knowledge sections before each
 * turn, the `memory` tools and `search_knowledge_base` for the agents that list them,
 * `!memory`, extraction once a conversation goes quiet, knowledge bases indexed in the
 * background and reported in `/api/ready` as `knowledge`.
 */
export function memoryAndKnowledgeService(deps: MemoryAndKnowledgeDeps): FleetServiceFactory {
  return (host) => new MemoryAndKnowledge(deps, host);
}

class MemoryAndKnowledge implements FleetService {
  readonly name = 'memory-and-knowledge';
  readonly context: readonly ContextProvider[];
  readonly commands: readonly Command[];
  private readonly memory: MemoryService;
  private readonly knowledge: KnowledgeManager;
  private readonly extractor: MemoryExtractor;
  private readonly backfill = new AbortController();
  private settingsCache: { config: QuorumConfig; settings: MemorySettings } | undefined;
  private modelCache: { config: QuorumConfig; model: ChatModel | undefined } | undefined;
  private embedderAtBoot: string | undefined;
  private embedderWarned: string | undefined;

  constructor(
    private readonly deps: MemoryAndKnowledgeDeps,
    private readonly host: FleetServiceHost,
  ) {
    const { clock, log, metrics } = deps;
    this.memory = new MemoryService({
      store: deps.memories,
      embedder: deps.embedder,
      clock,
      log: log.child({ component: 'memory' }),
      settings: () => this.settings(),
      ...(metrics === undefined
        ? {}
        : { metrics: { recall: metrics.memoryRecall, operations: metrics.memoryOperations } }),
    });
    this.knowledge = new KnowledgeManager({
      index: deps.knowledgeIndex,
      embedder: deps.embedder,
      clock,
      log: log.child({ component: 'knowledge' }),
      configDir: deps.configDir,
      watchers: deps.watchers ?? ((options) => chokidarFolderWatcher(options)),
      ...(metrics === undefined ? {} : { files: metrics.knowledgeFiles }),
    });
    this.extractor = new MemoryExtractor({
      service: this.memory,
      store: deps.memories,
      model: this.extractionModel(),
      conversations: journalConversations({
        journal: host.journal,
        isEntityUser: (userId) => host.isEntityUser(userId),
        isTrusted: (roomId, sender) => host.isTrusted(roomId, ROUTER_NAME, sender),
      }),
      clock,
      log: log.child({ component: 'memory-extraction' }),
      settings: () => {
        const settings = extractionSettingsFromConfig(host.config());
        return { ...settings, enabled: settings.enabled && this.currentModel() !== undefined };
      },
      isEnabledFor: (owner) => {
        const members = teamMembersOf(owner);
        return members === undefined
          ? this.settings().isEnabledFor(owner)
          : this.isEnabledForTeam(members);
      },
    });
    this.context = [this.recallProvider(), this.knowledgeProvider()];
    this.commands = [
      createMemoryCommand({
        aboutPerson: (userId, limit) => this.memory.aboutPerson(userId, limit),
        forgetForPerson: (userId, id) => this.memory.forgetForPerson(userId, id),
        forgetAllAboutPerson: (userId) => this.memory.forgetAllAboutPerson(userId),
        isPrivateRoom: async (roomId, userId) => {
          const members = await host.joinedMembers(roomId);
          return (
            members !== undefined &&
            members.every((member) => member === userId || host.isEntityUser(member))
          );
        },
      }),
    ];
  }

  async apply(config: QuorumConfig): Promise<void> {
    this.warnOnEmbedderChange(config);
    await this.knowledge.apply(config.knowledge_bases);
  }

  start(signal: AbortSignal): void {
    this.knowledge.start(signal);
    this.extractor.start(signal);
    const backfill = AbortSignal.any([signal, this.backfill.signal]);
    runTask(this.memory.runBackfill(backfill, this.deps.backfillIntervalMs), {
      log: this.deps.log,
      what: 'memory vector backfill',
    });
  }

  async stop(): Promise<void> {
    if (this.backfill.signal.aborted) return;
    this.backfill.abort();
    await Promise.all([this.extractor.stop(), this.knowledge.stop()]);
    this.deps.knowledgeIndex.close();
  }

  readonly toolSources = (
    agent: string,
    channel: 'room' | 'detached',
    toolNames: readonly string[],
  ): readonly ToolSource[] => {
    const sources: ToolSource[] = [];
    if (toolNames.includes(MEMORY_TOOLKIT) && this.settings().isEnabledFor(agent)) {
      const tools = createMemoryTools(this.memory, () => this.settings());
      sources.push(
        staticToolSource(MEMORY_TOOLKIT, channel === 'room' ? tools : tools.map(apiCallerTool)),
      );
    }
    const bases = this.host.config().agents[agent]?.knowledge_bases ?? [];
    if (bases.length > 0) {
      sources.push(staticToolSource('knowledge', createKnowledgeTools(this.knowledge, bases)));
    }
    return sources;
  };

  turnEnded(turn: TurnRecord): void {
    const owner = this.ownerOf(turn.responder);
    if (owner === undefined) return;
    this.extractor.noteTurn({
      owner,
      userId: turn.requester,
      roomId: turn.roomId,
      threadRoot: turn.threadRoot,
    });
  }

  readiness(): ServiceHealth {
    const knowledge = this.knowledge.snapshot();
    return Object.keys(knowledge).length === 0
      ? { embedder: this.deps.embedder.status() }
      : { knowledge, embedder: this.deps.embedder.status() };
  }

  /** Automatic recall for the answering agent (or configured team) and the requester. */
  private recallProvider(): ContextProvider {
    return {
      name: 'memory',
      sectionsFor: async (request, { signal }) => {
        const team = this.teamOf(request.entity);
        if (team !== undefined && !this.isEnabledForTeam(team.members)) return [];
        const where = isMatrixRoom(request.roomId) ? request : apiCaller(request);
        const sections = await this.memory.sectionsFor(
          {
            agentName: request.entity,
            requester: where.requester,
            roomId: where.roomId,
            threadRoot: request.threadRoot,
            text: request.text,
            team,
          },
          { signal },
        );
        return sections.map(promptSection);
      },
    };
  }

  /** A team keeps memories only when every member does (`memory_backend: none` opts out). */
  private isEnabledForTeam(members: readonly string[]): boolean {
    return members.every((member) => this.settings().isEnabledFor(member));
  }

  /** The knowledge bases the answering agent (or a team's members together) uses. */
  private knowledgeProvider(): ContextProvider {
    const provider = new KnowledgeContextProvider(this.knowledge, (request) => {
      const agents = this.host.config().agents;
      const names = request.team?.members ?? [request.agentName];
      return [...new Set(names.flatMap((name) => agents[name]?.knowledge_bases ?? []))];
    });
    return {
      name: 'knowledge',
      sectionsFor: async (request: ContextRequest, { signal }) => {
        const sections = await provider.sectionsFor(
          {
            agentName: request.entity,
            requester: request.requester,
            roomId: request.roomId,
            threadRoot: request.threadRoot,
            text: request.text,
            team: this.teamOf(request.entity),
          },
          { signal },
        );
        return sections.map(promptSection);
      },
    };
  }

  private teamOf(entity: string): { name: string; members: readonly string[] } | undefined {
    const team = this.host.config().teams[entity];
    return team === undefined ? undefined : { name: entity, members: team.agents };
  }

  /** Whose memories a turn of `responder` extends: an agent's, a configured team's, or none. */
  private ownerOf(responder: string): string | undefined {
    const config = this.host.config();
    if (Object.hasOwn(config.agents, responder)) return responder;
    const team = config.teams[responder];
    return team === undefined ? undefined : teamOwner(team.agents);
  }

  /** The embedder is built once, at boot: a changed `memory.embedder` applies after a restart. */
  private warnOnEmbedderChange(config: QuorumConfig): void {
    const embedder = JSON.stringify(config.memory.embedder);
    this.embedderAtBoot ??= embedder;
    if (embedder === this.embedderAtBoot || embedder === this.embedderWarned) return;
    this.embedderWarned = embedder;
    this.deps.log.warn(
      'memory.embedder changed: restart Quorum to use the new embedder (memory and knowledge search keep the current one until then)',
    );
  }

  private settings(): MemorySettings {
    const config = this.host.config();
    if (this.settingsCache?.config !== config) {
      this.settingsCache = { config, settings: memorySettingsFromConfig(config) };
    }
    return this.settingsCache.settings;
  }

  private currentModel(): ChatModel | undefined {
    const config = this.host.config();
    if (this.modelCache?.config !== config) {
      this.modelCache = { config, model: this.deps.extractionModel(config) };
    }
    return this.modelCache.model;
  }

  /** `memory.llm` of the config in force, read per call (a reload changes it at once). */
  private extractionModel(): ChatModel {
    const current = (): ChatModel => {
      const model = this.currentModel();
      if (model === undefined) throw new Error('memory.llm is not set');
      return model;
    };
    return {
      get modelId() {
        return current().modelId;
      },
      complete: (request, options) => current().complete(request, options),
      stream: (request, options) => current().stream(request, options),
    };
  }
}

function isMatrixRoom(roomId: string): boolean {
  return roomId.startsWith('!');
}

/**
 * Who a turn outside Matrix (the OpenAI-compatible API, Quorum's MCP server) remembers
 * things for: its caller (one API key), in a room of its own, so callers never share
 * memories, room memories included (MindRoom shares one agent-wide memory over its API).
 */
function apiCaller<T extends { readonly requester: string; readonly roomId: string }>(where: T): T {
  const requester = `api:${where.requester}`;
  return { ...where, requester, roomId: `${where.roomId}:${requester}` };
}

/** A memory tool for turns outside Matrix: its calls act for the API caller (see `apiCaller`). */
function apiCallerTool(tool: Tool): Tool {
  return { ...tool, run: (args, context) => tool.run(args, apiCaller(context)) };
}

function promptSection(section: ContextSection): PromptSection {
  return { title: section.title, body: section.body };
}
