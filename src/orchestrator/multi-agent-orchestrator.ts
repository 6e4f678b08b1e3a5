import {
  AgentTooling,
  AgentTurnRunner,
  DetachedAgentRunner,
  HandoffLedger,
  TurnCoordinator,
  createModelProvider,
  findTurnsToResume,
  type AgentToolHost,
  type ModelCatalog,
  type PrepareTurnDeps,
  type ResponderHandle,
  type Responders,
} from '../agents/index.js';
import { createCommandContext, fleetCommandRouter, type CommandRouter } from '../commands/index.js';
import {
  configAuthorityRules,
  normalizeRoomRef,
  resolveEntitySpecs,
  ROUTER_NAME,
  type ConfigAccessSource,
  type ConfigEnv,
  type EntitySpec,
  type QuorumConfig,
} from '../config/index.js';
import {
  canonicalCommandName,
  createRouterResolver,
  EventPipeline,
  FleetDecisionExecutor,
  GrantRoomMembership,
  outboxNotices,
  senderTrust,
  Scheduling,
  TurnAdmission,
  turnLimitsOf,
  type FleetView,
  type SenderTrust,
} from '../dispatch/index.js';
import {
  createConfigAccess,
  fileConfigEditor,
  InteractionService,
  outboxCardPoster,
} from '../interactions/index.js';
import { RouterDecisionCache, RoutingPolicy } from '../routing/index.js';
import {
  AbortReason,
  asRoomId,
  asUserId,
  runTask,
  serverNameOf,
  startEventLoopMonitor,
  type Clock,
  type HealthSource,
  type Logger,
  type QuorumMetrics,
  type ReadinessReport,
} from '../shared/index.js';
import type { SkillLibrary } from '../skills/index.js';
import { requiredServerConfigs, type McpFleetClients } from '../tools/index.js';
import { startRetention, type QuorumStore, type TurnRecord } from '../storage/index.js';
import { DetachedTurns, teamStateContext, TeamTurnRunner, TurnLauncher } from '../teams/index.js';
import { EntityBot } from './entity-bot.js';
import { createFleetLookups, type FleetLookups } from './fleet-directory.js';
import { applyReload, type ReloadOutcome, type ReloadTarget } from './fleet-reloader.js';
import { Fleet } from './fleet.js';
import type { MatrixConnector } from './matrix-connector.js';
import { readinessReport } from './readiness.js';
import { provisionRooms } from './room-provisioner.js';
import { RoomRegistry } from './room-registry.js';
import { RouterSyncCoverage } from '../ingress/index.js';
import type { FleetService, FleetServiceFactory, FleetServiceHost } from '../services/index.js';

export interface OrchestratorDeps {
  readonly store: QuorumStore;
  readonly connector: MatrixConnector;
  readonly models: (config: QuorumConfig) => ModelCatalog;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: QuorumMetrics;
  /** Long-poll timeout of every sync (default 30 s). */
  readonly pollTimeoutMs?: number;
  /** How often a bot whose rooms the router covers checks in (invites); default 5 s. */
  readonly standbyIntervalMs?: number;
  /** Skills agents may list (`skills/<name>/SKILL.md`); started and stopped with the fleet. */
  readonly skills?: SkillLibrary;
  /** The config file that `!config` and `propose_config_change` edit (absent: editing is refused). */
  readonly configFile?: { readonly path: string; readonly env: ConfigEnv };
  /**
   * The MCP clients (`mcp_servers`): applied at boot (never waited for) and on every reload
   * (before the agents' tools are rebuilt), stopped after the turns. Absent: no `mcp_<id>` tools.
   */
  readonly mcp?: McpFleetClients;
  /** Workspaces (`<data>/workspaces/<agent>`) and the shell environment of built-in tools. */
  readonly toolHost?: AgentToolHost;
  /** Features beside the fleet (memory and knowledge), built over its views and wired into turns. */
  readonly services?: readonly FleetServiceFactory[];
}

const DEFAULT_POLL_TIMEOUT_MS = 30_000;
/** How long past its poll timeout the router may stay silent before the other bots stop relying on it. */
const ROUTER_SILENCE_MARGIN_MS = 5_000;

/**
 * The composition root: builds every stage (dispatch, the turn runners, interactions,
 * commands) over narrow views of the running bots and the store, and runs the fleet: the
 * router first (it creates rooms and invites), then the agents, then the teams, each as its
 * own Matrix account with one supervised sync loop; all of them feed one ingress journal and
 * one event pipeline. It owns lifecycles (start, reload, stop) and readiness, and decides
 * nothing about events itself.
 */
export class MultiAgentOrchestrator implements HealthSource {
  private fleet: Fleet | undefined;
  private catalog: ModelCatalog;
  private readonly bots = new Map<string, EntityBot>();
  private readonly registry = new RoomRegistry();
  private readonly coverage: RouterSyncCoverage;
  private readonly coordinator: TurnCoordinator;
  private readonly pipeline: EventPipeline;
  private readonly executor: FleetDecisionExecutor;
  private readonly tooling: AgentTooling;
  private readonly interactions: InteractionService;
  private readonly scheduling: Scheduling;
  private readonly services: readonly FleetService[];
  private readonly routerCache: RouterDecisionCache;
  private readonly lookups: FleetLookups;
  /** Turns outside Matrix, for the OpenAI-compatible API and Quorum's MCP server. */
  private readonly detached: DetachedTurns;
  /** Who is in the grant rooms of `agent_reply_permissions` (fails closed while unknown). */
  private readonly grantRooms: GrantRoomMembership;
  /** Whose words reach prompts: the dispatcher's authorization, applied to history. */
  private readonly trust: SenderTrust;
  /** Parent of every turn's and background task's signal; aborted at `stop`. */
  private readonly lifetime = new AbortController();
  private isStopping = false;
  /** The shutdown in progress (every `stop` call waits for the same one). */
  private stopping: Promise<void> | undefined;
  private isBooted = false;
  private reloads: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(
    private config: QuorumConfig,
    private readonly deps: OrchestratorDeps,
  ) {
    const { store, clock, log, metrics } = deps;
    this.log = log;
    this.catalog = deps.models(config);
    this.coverage = this.createCoverage();
    this.registry.onMembershipChange(() => {
      this.coverage.update();
    });
    this.routerCache = new RouterDecisionCache({ clock });
    this.coordinator = new TurnCoordinator(log, this.lifetime.signal);
    this.lookups = createFleetLookups(
      () => this.currentFleet(),
      this.registry,
      (names, agent) => deps.skills?.skillsFor(names, { agentName: agent }) ?? [],
    );
    const responders = this.responders();
    const configAccess = this.configAccess();
    this.grantRooms = new GrantRoomMembership({
      refs: () => this.fleet?.grantRoomRefs() ?? [],
      roomIdOf: (ref) => this.registry.roomIdOf(ref),
      fetchMembers: async (roomId) =>
        this.bots.get(ROUTER_NAME)?.client?.getJoinedMembers(asRoomId(roomId)),
      now: () => clock.now(),
      log,
    });
    this.trust = senderTrust({
      fleet: () => this.fleetView(),
      grantRoomMembers: () => this.grantRooms.snapshot(),
      includeUntrusted: () => this.config.quorum.include_untrusted_history,
    });
    this.interactions = this.createInteractions(responders, configAccess);
    this.services = (deps.services ?? []).map((create) => create(this.serviceHost()));
    this.scheduling = this.createScheduling(responders);
    this.tooling = this.createTooling(responders, configAccess);
    const prepare = this.turnPreparation();
    this.detached = this.createDetachedTurns(prepare);
    this.executor = this.createExecutor(
      this.createLauncher(responders, prepare),
      this.createCommands(responders, configAccess),
      responders,
    );
    this.pipeline = new EventPipeline({
      journal: store.journal,
      turns: store.turns,
      interactions: store.interactions,
      threadSettings: store.threadSettings,
      rooms: this.registry,
      fleet: () => this.fleetView(),
      executor: this.executor,
      usage: store.usage,
      grantRooms: this.grantRooms,
      scheduleFires: this.scheduling.fires,
      clock,
      log,
      metrics,
    });
  }

  /**
   * Boots the fleet and resolves once every bot has settled (synced once, or failed its first
   * attempt and is retrying in the background). Events left undecided by a crash are
   * dispatched after boot, and open turns are resumed as their bots start. Aborting `signal`
   * (the daemon's root signal) stops the fleet as `stop` does.
   */
  async start(signal: AbortSignal): Promise<void> {
    const lifetime = this.lifetime.signal;
    if (this.deps.skills !== undefined) await this.deps.skills.start(lifetime);
    startRetention(this.deps.store, this.deps.clock, this.log, lifetime);
    startEventLoopMonitor(this.deps.metrics.eventLoopDelay, lifetime);
    this.interactions.start(lifetime);
    // Required MCP servers start now, in the background (their agents wait for them, nothing
    // else does); the others once the bots are up, so their spawns never slow the boot.
    await this.deps.mcp?.apply(requiredServerConfigs(this.config.mcp_servers));
    for (const service of this.services) await service.apply(this.config);
    const fleet = await this.resolveFleet(this.config, 1, lifetime);
    this.fleet = fleet;
    // Services' background work reads the fleet (who is trusted, who is an agent).
    for (const service of this.services) service.start(lifetime);
    this.log.info('starting the fleet', {
      serverName: fleet.serverName,
      agents: fleet.specs.filter((spec) => spec.kind === 'agent').length,
      teams: fleet.specs.filter((spec) => spec.kind === 'team').length,
    });
    this.pipeline.hold();
    for (const kind of ['router', 'agent', 'team'] as const) {
      const bots = fleet.specs
        .filter((spec) => spec.kind === kind)
        .map((spec) => this.startBot(spec));
      await Promise.all(bots.map((bot) => bot.whenSettled()));
    }
    this.isBooted = true;
    this.pipeline.release();
    this.startSchedulesOnceRouterSyncs();
    await this.deps.mcp?.apply(this.config.mcp_servers);
    this.log.info('fleet started', { bots: this.bots.size });
    // A shutdown asked for during boot waits for the boot to end, then runs at once.
    const onAbort = (): void => {
      runTask(this.stop(), { log: this.log, what: 'fleet shutdown' });
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }

  /**
   * Shuts down in order: readiness off, sync loops stopped, in-flight turns aborted (each
   * writes a final edit saying it was cut short) within `deadlineMs`, outboxes drained,
   * clients closed, background work ended. The caller closes the store afterwards.
   * Idempotent: every call resolves when the one shutdown has finished.
   */
  stop(deadlineMs = this.config.quorum.shutdown_deadline_seconds * 1000): Promise<void> {
    this.stopping ??= this.shutDown(deadlineMs);
    return this.stopping;
  }

  private async shutDown(deadlineMs: number): Promise<void> {
    this.isStopping = true;
    await this.reloads; // a reload in progress ends first (it may start bots, touch services)
    const startedAt = this.deps.clock.now();
    // Fires in flight are cut before the bots go: they are delivered again on the next start.
    await this.scheduling.stop();
    const bots = [...this.bots.values()];
    await Promise.all(bots.map((bot) => bot.stop()));
    const turnsDeadline = Math.max(500, deadlineMs - 2_000);
    await Promise.race([
      this.coordinator.abortAll(new AbortReason('shutdown', 'Quorum is shutting down')),
      new Promise<void>((resolve) => {
        setTimeout(resolve, turnsDeadline).unref();
      }),
    ]);
    const remaining = Math.max(250, deadlineMs - (this.deps.clock.now() - startedAt));
    await Promise.all(bots.map((bot) => bot.close(remaining)));
    // No turn calls a tool any more: stdio children are gone when this resolves.
    await this.deps.mcp?.stop();
    await Promise.all(this.services.map((service) => service.stop()));
    this.lifetime.abort(new AbortReason('shutdown', 'Quorum is shutting down'));
    await this.deps.skills?.stop();
    this.log.info('fleet stopped', {
      durationMs: this.deps.clock.now() - startedAt,
      turnsLeft: this.coordinator.size,
    });
  }

  /**
   * Applies a new config snapshot (see `applyReload`): only what changed is restarted.
   * Reloads run one at a time, in the order they were asked for. Each one counts in
   * `quorum_config_reloads_total` as `applied`, `unchanged` or `failed` (the caller counts
   * `invalid` files, which never reach here).
   */
  reload(config: QuorumConfig): Promise<ReloadOutcome> {
    const run = this.reloads.then(async () => {
      if (this.isStopping) throw new Error('the fleet is stopping');
      try {
        // Servers first: agents rebuilt by this reload find the new catalogues at once.
        await this.deps.mcp?.apply(config.mcp_servers);
        for (const service of this.services) await service.apply(config);
        const outcome = await applyReload(config, this.reloadTarget());
        this.deps.metrics.configReloads.inc({
          outcome: outcome.plan.hasChanges ? 'applied' : 'unchanged',
        });
        return outcome;
      } catch (error: unknown) {
        this.deps.metrics.configReloads.inc({ outcome: 'failed' });
        throw error;
      }
    });
    this.reloads = run.catch(() => undefined);
    return run;
  }

  readiness(): ReadinessReport {
    return readinessReport({
      fleet: this.fleet,
      bots: this.bots,
      syncModeOf: (name) => this.coverage.syncModeOf(name),
      isUp: this.isBooted && !this.isStopping,
      mcpServers: this.deps.mcp?.snapshot(),
      services: this.services.map((service) => service.readiness()),
    });
  }

  /** Turns outside Matrix (the OpenAI-compatible API, Quorum's MCP server). */
  detachedTurns(): DetachedTurns {
    return this.detached;
  }

  metricsText(): string {
    return this.deps.metrics.registry.render();
  }

  /** Waits until the dispatcher has nothing queued and no turn is running (for tests and benchmarks). */
  async idle(): Promise<void> {
    await this.pipeline.idle();
    await this.coordinator.settled();
  }

  /** The running bots' accounts as the stages see them; none while the fleet stops. */
  private responders(): Responders {
    return {
      get: (name): ResponderHandle | undefined => {
        const bot = this.isStopping ? undefined : this.bots.get(name);
        const client = bot?.client;
        return bot === undefined || client === undefined
          ? undefined
          : { outbox: bot.outbox, typing: client, media: client };
      },
    };
  }

  private createInteractions(
    responders: Responders,
    configAccess: ConfigAccessSource,
  ): InteractionService {
    const { configFile } = this.deps;
    return new InteractionService({
      store: this.deps.store.interactions,
      cards: outboxCardPoster((name) => responders.get(name)?.outbox),
      configEditor: configFile === undefined ? undefined : fileConfigEditor(configFile),
      configAccess,
      timeouts: () => ({
        questionMs: this.config.quorum.ask_user_timeout_minutes * 60_000,
        configConfirmationMs: this.config.quorum.config_confirmation_minutes * 60_000,
      }),
      clock: this.deps.clock,
      log: this.log,
    });
  }

  /** Each agent's tools: built-ins, MCP servers and extra sources, behind the approval gate. */
  private createTooling(responders: Responders, configAccess: ConfigAccessSource): AgentTooling {
    return new AgentTooling({
      settingsOf: (name) => this.lookups.settingsOf(name),
      responders,
      rooms: this.lookups,
      timeline: this.deps.store.journal,
      isTrusted: (roomId, agent, sender) => this.trust.isTrusted(roomId, agent, sender),
      isDirectRoom: async (agent, roomId) => {
        if (this.registry.directEntities(roomId).size > 0) return true;
        const members = await this.bots.get(agent)?.client?.getJoinedMembers(asRoomId(roomId));
        return members !== undefined && members.length <= 2;
      },
      interactions: this.interactions,
      interactionStore: this.deps.store.interactions,
      configAccess,
      mcp: this.deps.mcp,
      host: this.deps.toolHost,
      extraSources: (agent, channel, tools) => [
        ...(channel === 'room' ? this.scheduling.toolSources(tools) : []),
        ...this.services.flatMap((service) => service.toolSources(agent, channel, tools)),
      ],
      clock: this.deps.clock,
      log: this.log,
    });
  }

  /** What every turn is prepared with: history, context providers, model choice, usage. */
  private turnPreparation(): PrepareTurnDeps {
    const { store, clock, log, metrics } = this.deps;
    return {
      journal: store.journal,
      historyTrust: (turn) => this.trust.forTurn(turn),
      directory: this.lookups,
      models: createModelProvider({
        catalog: () => this.catalog,
        modelsOf: (name) => this.lookups.modelsOf(name),
        threadModel: (roomId, threadRoot) => store.threadSettings.get(roomId, threadRoot, 'model'),
        aliasOf: (roomId) => this.registry.aliasOf(roomId),
      }),
      handoffs: new HandoffLedger(store.threadSettings),
      context: [
        teamStateContext(store.teamState),
        ...this.services.flatMap((service) => service.context),
      ],
      usage: store.usage,
      maxPromptBytes: () => this.config.quorum.limits.max_prompt_bytes,
      historyLimitOf: (turn) => this.scheduling.historyLimitOf(turn),
      metrics,
      clock,
      log,
    };
  }

  /** Schedules: the service behind `!schedule` and the tools, the timer, the fire sink. */
  private createScheduling(responders: Responders): Scheduling {
    const { store, clock, log, metrics } = this.deps;
    return new Scheduling({
      schedules: store.schedules,
      journal: store.journal,
      config: () => this.config,
      fleet: () => this.fleetView(),
      rooms: this.registry,
      responders,
      catalog: () => this.catalog,
      routerModel: () => this.lookups.routerModel(),
      pipeline: () => this.pipeline,
      clock,
      log,
      metrics,
      lifetime: this.lifetime.signal,
    });
  }

  private createDetachedTurns(prepare: PrepareTurnDeps): DetachedTurns {
    const { store, clock, log, metrics } = this.deps;
    const limits = () => this.config.quorum.limits;
    return new DetachedTurns({
      agents: new DetachedAgentRunner({
        profile: (name) => this.lookups.profile(name),
        models: prepare.models,
        tools: (name) => this.tooling.toolsForDetached(name),
        context: prepare.context.filter((provider) => provider.name !== 'team-state'),
        usage: store.usage,
        metrics,
        maxPromptBytes: () => limits().max_prompt_bytes,
        maxToolCallsPerStep: () => limits().max_tool_calls_per_step,
        clock,
        log: log.child({ channel: 'detached' }),
      }),
      directory: this.lookups,
      entities: () => this.lookups.detachedEntities(),
      models: prepare.models,
      usage: store.usage,
      metrics,
      clock,
    });
  }

  private createLauncher(responders: Responders, prepare: PrepareTurnDeps): TurnLauncher {
    const { store, clock, log, metrics } = this.deps;
    const { handoffs } = prepare;
    const agents = new AgentTurnRunner({
      turns: store.turns,
      responders,
      directory: this.lookups,
      tools: this.tooling,
      handoffs,
      prepare,
      interactions: store.interactions,
      maxToolCallsPerStep: () => this.config.quorum.limits.max_tool_calls_per_step,
      clock,
      log,
      metrics,
    });
    const teams = new TeamTurnRunner({
      agents,
      responders,
      turns: store.turns,
      directory: this.lookups,
      prepare,
      teamState: store.teamState,
      clock,
      log,
      metrics,
      signal: this.lifetime.signal,
    });
    const onEnded = (turn: TurnRecord): void => {
      for (const service of this.services) service.turnEnded(turn);
    };
    return new TurnLauncher({ coordinator: this.coordinator, agents, teams, onEnded, log });
  }

  private createCommands(responders: Responders, configAccess: ConfigAccessSource): CommandRouter {
    const { store } = this.deps;
    return fleetCommandRouter(
      [...this.scheduling.commands(), ...this.services.flatMap((service) => service.commands)],
      createCommandContext({
        responders,
        catalog: () => this.catalog,
        entities: (roomId) => this.lookups.entitiesFor(roomId),
        threadSettings: store.threadSettings,
        usage: store.usage,
        clock: this.deps.clock,
        configFile: this.deps.configFile,
        interactions: this.interactions,
        configAccess,
      }),
    );
  }

  private createExecutor(
    launcher: TurnLauncher,
    commands: CommandRouter,
    responders: Responders,
  ): FleetDecisionExecutor {
    const { store, clock, log, metrics } = this.deps;
    return new FleetDecisionExecutor({
      turns: store.turns,
      interactionRecords: store.interactions,
      directRooms: store.directRooms,
      launcher,
      coordinator: this.coordinator,
      interactions: this.interactions,
      rooms: this.registry,
      joiner: {
        join: async (entity, roomId) => this.bots.get(entity)?.client?.joinRoom(asRoomId(roomId)),
      },
      router: createRouterResolver({
        policy: new RoutingPolicy({ cache: this.routerCache, clock, log }),
        journal: store.journal,
        routerModel: () => this.lookups.routerModel(),
        candidateOf: (name) => this.lookups.candidateOf(name),
        catalog: () => this.catalog,
        responders,
        nameOf: (userId) => this.lookups.nameOf(userId),
        isTrusted: (roomId, userId) => this.trust.isTrusted(roomId, ROUTER_NAME, userId),
        log,
        metrics,
      }),
      commands: {
        handle: (decision, roomId) =>
          commands.handle({ ...decision, name: canonicalCommandName(decision.name), roomId }),
      },
      admission: new TurnAdmission({
        limits: () => turnLimitsOf(this.config.quorum.limits),
        now: () => clock.now(),
        metrics,
      }),
      notices: outboxNotices(responders, log),
      journal: store.journal,
      log,
      signal: this.lifetime.signal,
    });
  }

  /** Config admins may change what chat may change; room admins (per the router) their room's. */
  private configAccess(): ConfigAccessSource {
    return createConfigAccess({
      rules: () => configAuthorityRules(this.config),
      roomIdOf: (ref) =>
        this.registry.roomIdOf(normalizeRoomRef(ref, this.currentFleet().serverName)),
      powerLevelOf: async (roomId, userId) =>
        this.bots.get(ROUTER_NAME)?.client?.getUserPowerLevel(asRoomId(roomId), asUserId(userId)),
    });
  }

  /** The fleet's views a service is built over. */
  private serviceHost(): FleetServiceHost {
    return {
      journal: this.deps.store.journal,
      config: () => this.config,
      isTrusted: (roomId, agent, sender) => this.trust.isTrusted(roomId, agent, sender),
      isEntityUser: (userId) => this.fleet?.isEntityUser(userId) ?? false,
      joinedMembers: async (roomId) => {
        const [entity = ''] = this.registry.joinedEntities(roomId);
        return this.bots.get(entity)?.client?.getJoinedMembers(asRoomId(roomId));
      },
    };
  }

  private createCoverage(): RouterSyncCoverage {
    return new RouterSyncCoverage({
      routerName: ROUTER_NAME,
      routerStatus: () => this.bots.get(ROUTER_NAME)?.status(),
      now: () => this.deps.clock.now(),
      routerSilenceLimitMs:
        (this.deps.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS) + ROUTER_SILENCE_MARGIN_MS,
      roomsOf: (entity) => this.registry.roomsOf(entity),
      bots: () => this.bots.values(),
    });
  }

  private fleetView(): FleetView {
    const fleet = this.currentFleet();
    return {
      entities: fleet.entityViews(this.registry),
      teams: fleet.teams(),
      botAccounts: fleet.botAccounts(),
      authorization: fleet.authorization(this.registry),
      catchUpWindowMs: this.catchUpWindowMs(),
      limits: fleet.conversationLimits(),
      entityOf: (userId) => fleet.entityOf(userId),
    };
  }

  private catchUpWindowMs(): number {
    return this.config.quorum.catch_up_minutes * 60_000;
  }

  private reloadTarget(): ReloadTarget {
    return {
      fleet: this.currentFleet(),
      coordinator: this.coordinator,
      bot: (name) => this.bots.get(name),
      startBot: (plan) => {
        if (plan.spec === undefined) throw new Error(`no spec to start ${plan.name}`);
        return this.startBot(plan.spec);
      },
      removeBot: (name, { isRemoved }) => {
        this.bots.delete(name);
        if (isRemoved) this.registry.forget(name);
      },
      install: (fleet) => {
        this.config = fleet.config;
        this.fleet = fleet;
        this.tooling.reset();
        this.routerCache.clear();
        this.catalog = this.deps.models(fleet.config);
      },
      provisionRooms: async () => {
        const client = this.bots.get(ROUTER_NAME)?.client;
        if (client !== undefined)
          await provisionRooms(client, this.currentFleet(), this.registry, this.log);
      },
      log: this.log,
    };
  }

  private currentFleet(): Fleet {
    if (this.fleet === undefined) throw new Error('the fleet is not started');
    return this.fleet;
  }

  /** Learns the server name from the router's account, then resolves every entity's spec. */
  private async resolveFleet(
    config: QuorumConfig,
    generation: number,
    signal: AbortSignal,
  ): Promise<Fleet> {
    const draft = resolveEntitySpecs(config, { serverName: 'localhost' });
    const router = draft.find((spec) => spec.kind === 'router');
    if (router === undefined) throw new Error('the config has no router');
    const stored = this.deps.store.accounts.get(router.name);
    const credentials = await this.deps.connector.provision({
      localpart: router.localpart,
      displayName: router.displayName,
      stored: stored === undefined ? undefined : { ...stored, userId: asUserId(stored.userId) },
      signal,
    });
    this.deps.store.accounts.save({ entity: router.name, ...credentials });
    const serverName = serverNameOf(credentials.userId);
    return new Fleet(config, resolveEntitySpecs(config, { serverName }), serverName, generation);
  }

  private startBot(spec: EntitySpec): EntityBot {
    const bot = new EntityBot(spec, {
      store: this.deps.store,
      connector: this.deps.connector,
      registry: this.registry,
      sink: this.pipeline,
      clock: this.deps.clock,
      log: this.log,
      metrics: this.deps.metrics,
      isEntityUser: (userId) => this.currentFleet().isEntityUser(userId),
      catchUpWindowMs: this.catchUpWindowMs(),
      pollTimeoutMs: this.deps.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS,
      ...(this.deps.standbyIntervalMs === undefined
        ? {}
        : { standbyIntervalMs: this.deps.standbyIntervalMs }),
      ...(spec.kind === 'router'
        ? {
            prepareRooms: (_bot: EntityBot, client) =>
              provisionRooms(client, this.currentFleet(), this.registry, this.log),
          }
        : {}),
      coverage: () => this.coverage.coverageFor(spec.name),
      onStateChange: (changed) => {
        if (changed.name !== ROUTER_NAME) return;
        this.coverage.update();
        this.startSchedulesOnceRouterSyncs();
      },
      onStarted: (started) => {
        this.resumeTurnsOf(started);
      },
      startGate: () =>
        spec.kind === 'agent' ? this.deps.mcp?.startGate(spec.mcpServerIds) : undefined,
    });
    this.bots.set(spec.name, bot);
    bot.start();
    return bot;
  }

  /** Schedules start once the fleet has booted and the router (which posts fires) syncs. */
  private startSchedulesOnceRouterSyncs(): void {
    const router = this.bots.get(ROUTER_NAME)?.status().state;
    if (this.isBooted && !this.isStopping && router === 'syncing') {
      this.scheduling.start(this.lifetime.signal);
    }
  }

  /** Hands the open turns a crash left for `bot` back to dispatch, once its client is up. */
  private resumeTurnsOf(bot: EntityBot): void {
    const client = bot.client;
    if (client === undefined) return;
    runTask(
      (async () => {
        const turns = await findTurnsToResume(
          { name: bot.name, client },
          {
            turns: this.deps.store.turns,
            isRunning: (responder, source) => this.coordinator.isRunning(responder, source),
            clock: this.deps.clock,
            log: this.log,
            catchUpWindowMs: this.catchUpWindowMs(),
          },
        );
        this.executor.resume(turns);
      })(),
      { log: this.log, what: `recover turns of ${bot.name}` },
    );
  }
}
