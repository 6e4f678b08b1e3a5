import {
  agentsCommand,
  CommandRouter,
  configCommand,
  helpCommand,
  modelCommand,
  usageCommand,
  type CommandContext,
} from '../commands/index.js';
import {
  resolveEntitySpecs,
  ROUTER_NAME,
  type ConfigEnv,
  type EntitySpec,
  type QuorumConfig,
} from '../config/index.js';
import {
  AbortReason,
  localpartOf,
  runTask,
  serverNameOf,
  type Clock,
  type EntityHealth,
  type HealthSource,
  type Logger,
  type ReadinessReport,
  type QuorumMetrics,
  type UserId,
} from '../shared/index.js';
import { RouterDecisionCache, RoutingPolicy } from '../routing/index.js';
import type { SkillLibrary } from '../skills/index.js';
import type { QuorumStore } from '../storage/index.js';
import { AgentTooling } from './agent-tooling.js';
import { createCommandContext } from './command-context.js';
import { createContinuation } from './interaction-continuations.js';
import { InteractionService } from './interaction-service.js';
import { FleetDecisionExecutor, type RouteResolver } from './decision-executor.js';
import { EntityBot } from './entity-bot.js';
import { EventPipeline } from './event-pipeline.js';
import { applyReload, type ReloadOutcome, type ReloadTarget } from './fleet-reloader.js';
import { Fleet } from './fleet.js';
import type { MatrixConnector } from './matrix-connector.js';
import { createModelProvider, type ModelCatalog, type ModelProvider } from './model-provider.js';
import { provisionRooms } from './room-provisioner.js';
import { startRetention } from './retention.js';
import { RoomRegistry } from './room-registry.js';
import { RouterSyncCoverage } from './router-sync-coverage.js';
import { parseAdHocTeamKey } from './team-keys.js';
import { createTeamRunner } from './team-runner.js';
import { createRouterResolver } from './router-resolver.js';
import { recoverOpenTurns } from './turn-recovery.js';
import { TurnCoordinator } from './turn-coordinator.js';
import { TurnLauncher, type TurnEnvironment } from './turn-launcher.js';

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
}

const DEFAULT_POLL_TIMEOUT_MS = 30_000;
/** How long past its poll timeout the router may stay silent before the other bots stop relying on it. */
const ROUTER_SILENCE_MARGIN_MS = 5_000;

/**
 * Runs the fleet: the router first (it creates rooms and invites), then the agents, then the
 * teams, each as its own Matrix account with one supervised sync loop; all of them feed one
 * ingress journal and one dispatcher. Implements the health source for `/api/ready`.
 */
export class MultiAgentOrchestrator implements HealthSource {
  private fleet: Fleet | undefined;
  private catalog: ModelCatalog;
  private readonly bots = new Map<string, EntityBot>();
  private readonly registry = new RoomRegistry();
  /** Rooms the router's sync covers, left out of the other bots' syncs. */
  private readonly coverage: RouterSyncCoverage;
  private readonly coordinator: TurnCoordinator;
  private readonly launcher: TurnLauncher;
  private readonly turnEnvironment: TurnEnvironment;
  private readonly pipeline: EventPipeline;
  private readonly commands: CommandRouter;
  private isStopping = false;
  private isBooted = false;
  private reloads: Promise<unknown> = Promise.resolve();
  /** Each agent's tools (built once per fleet generation). */
  private readonly tooling: AgentTooling;
  /** Aborted at shutdown: ends the skill library and the retention task. */
  private readonly skillsRunning = new AbortController();
  /** The router's recent decisions per room and thread (cleared on reload). */
  private readonly routerCache: RouterDecisionCache;
  /** Questions, approvals and config confirmations. */
  private readonly interactions: InteractionService;
  private readonly log: Logger;

  constructor(
    private config: QuorumConfig,
    private readonly deps: OrchestratorDeps,
  ) {
    this.log = deps.log;
    this.coverage = new RouterSyncCoverage({
      routerName: ROUTER_NAME,
      routerStatus: () => this.bots.get(ROUTER_NAME)?.status(),
      now: () => this.deps.clock.now(),
      routerSilenceLimitMs:
        (this.deps.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS) + ROUTER_SILENCE_MARGIN_MS,
      roomsOf: (entity) => this.registry.roomsOf(entity),
      bots: () => this.bots.values(),
    });
    this.registry.onMembershipChange(() => {
      this.coverage.update();
    });
    this.catalog = deps.models(config);
    this.routerCache = new RouterDecisionCache({ clock: deps.clock });
    this.interactions = new InteractionService({
      store: deps.store,
      clock: deps.clock,
      log: deps.log,
      bot: (name) => this.bots.get(name),
      config: () => this.config,
      configFile: deps.configFile,
      onUnawaited: (record) =>
        createContinuation({
          store: deps.store,
          launcher: this.launcher,
          toolsWithoutApproval: (agent) => this.tooling.toolsWithoutApproval(agent),
          nameOf: (userId) => this.nameOf(userId),
          log: deps.log,
        })(record),
    });
    this.tooling = new AgentTooling({
      fleet: () => this.currentFleet(),
      store: deps.store,
      registry: this.registry,
      interactions: this.interactions,
      bot: (name) => this.bots.get(name),
      clock: deps.clock,
      log: deps.log,
    });
    this.coordinator = new TurnCoordinator(deps.log);
    this.turnEnvironment = {
      bot: (name) => (this.isStopping ? undefined : this.bots.get(name)),
      profile: (name) =>
        this.currentFleet().profile(name, (names, agent) =>
          names.length === 0
            ? []
            : (this.deps.skills?.skillsFor(names, { agentName: agent }) ?? []),
        ),
      peersIn: (roomId, except) => this.currentFleet().peersIn(roomId, except, this.registry),
      nameOf: (userId) => this.nameOf(userId),
      mentionsIn: (text, except) => this.mentionsIn(text, except),
      threadModeOf: (name) => {
        const spec = this.currentFleet().spec(name);
        return spec === undefined || spec.kind === 'router' ? 'thread' : spec.threadMode;
      },
      toolsFor: (name) => this.tooling.toolsFor(name),
      userIdOf: (name) => {
        const spec = this.currentFleet().spec(name);
        return spec === undefined ? name : this.currentFleet().userIdOf(spec);
      },
      isTeamResponder: (responder) =>
        parseAdHocTeamKey(responder) !== undefined ||
        this.currentFleet().spec(responder)?.kind === 'team',
    };
    this.launcher = new TurnLauncher({
      store: deps.store,
      coordinator: this.coordinator,
      models: this.modelProvider(),
      environment: this.turnEnvironment,
      clock: deps.clock,
      log: deps.log,
      metrics: deps.metrics,
    });
    this.launcher.setTeamRunner(
      createTeamRunner({
        store: deps.store,
        launcher: this.launcher,
        environment: this.turnEnvironment,
        models: this.modelProvider(),
        fleet: () => this.currentFleet(),
        clock: deps.clock,
        log: deps.log,
        metrics: deps.metrics,
      }),
    );
    this.commands = new CommandRouter(
      [helpCommand(() => this.commands), agentsCommand, modelCommand, usageCommand, configCommand],
      this.commandContext(),
    );
    const executor = new FleetDecisionExecutor({
      store: deps.store,
      launcher: this.launcher,
      coordinator: this.coordinator,
      registry: this.registry,
      bot: (name) => this.bots.get(name),
      router: this.routeResolver(),
      interactions: this.interactions,
      commands: {
        handle: async (decision) => {
          const roomId = this.deps.store.journal.get(decision.sourceEventId)?.roomId;
          if (roomId !== undefined) await this.commands.handle({ ...decision, roomId });
        },
      },
      log: deps.log,
    });
    this.pipeline = new EventPipeline({
      store: deps.store,
      registry: this.registry,
      fleet: () => {
        const fleet = this.currentFleet();
        return {
          entities: fleet.entityViews(this.registry),
          teams: fleet.teams(),
          botAccounts: fleet.botAccounts(),
          authorization: fleet.authorization(this.registry),
          catchUpWindowMs: this.config.quorum.catch_up_minutes * 60_000,
          entityOf: (userId) => fleet.entityOf(userId),
        };
      },
      executor,
      clock: deps.clock,
      log: deps.log,
      metrics: deps.metrics,
    });
  }

  /**
   * Boots the fleet and resolves once every bot has settled (synced once, or failed its first
   * attempt and is retrying in the background). Events left undecided by a crash are
   * dispatched after boot, and open turns are resumed as their bots start.
   */
  async start(): Promise<void> {
    if (this.deps.skills !== undefined) await this.deps.skills.start(this.skillsRunning.signal);
    startRetention(this.deps.store, this.deps.clock, this.log, this.skillsRunning.signal);
    this.interactions.start(this.skillsRunning.signal);
    const fleet = await this.resolveFleet(this.config, 1);
    this.fleet = fleet;
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
    this.log.info('fleet started', { bots: this.bots.size });
  }

  /**
   * Shuts down in order: readiness off, sync loops stopped, in-flight turns aborted (each
   * writes a final edit saying it was cut short) within `deadlineMs`, outboxes drained,
   * clients closed. The caller closes the store afterwards.
   */
  async stop(deadlineMs = this.config.quorum.shutdown_deadline_seconds * 1000): Promise<void> {
    if (this.isStopping) return;
    this.isStopping = true;
    const startedAt = this.deps.clock.now();
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
    this.skillsRunning.abort();
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

  /**
   * Every entity of the installed fleet, in config order, then any bot still being stopped by
   * a reload. An entity of the fleet without a running bot (between its stop and its start in
   * a reload, or before boot reaches it) is `starting`, so the fleet is never reported ready
   * with one of its entities missing.
   */
  readiness(): ReadinessReport {
    const fleet = this.fleet;
    const specs = fleet?.specs ?? [];
    const stopping = [...this.bots.values()].filter((bot) => fleet?.spec(bot.name) === undefined);
    const entities: EntityHealth[] = [
      ...specs.map((spec): EntityHealth => {
        const bot = this.bots.get(spec.name);
        if (bot !== undefined) return healthOf(bot, this.coverage.syncModeOf(bot.name));
        return {
          name: spec.name,
          kind: spec.kind,
          user_id: fleet?.userIdOf(spec) ?? null,
          state: 'starting',
          started_at: null,
          last_sync_at: null,
          restarts: 0,
          last_error: null,
          sync_mode: null,
        };
      }),
      ...stopping.map((bot) => healthOf(bot, null)),
    ];
    const ready =
      this.isBooted &&
      !this.isStopping &&
      entities.length > 0 &&
      entities.every((entity) => entity.state === 'syncing');
    return { ready, config_generation: this.fleet?.generation ?? 0, entities };
  }

  metricsText(): string {
    return this.deps.metrics.registry.render();
  }

  /** Waits until the dispatcher has nothing queued and no turn is running (for tests and benchmarks). */
  async idle(): Promise<void> {
    await this.pipeline.idle();
    await this.coordinator.settled();
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
      removeBot: (name) => {
        this.bots.delete(name);
        this.registry.forget(name);
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
  private async resolveFleet(config: QuorumConfig, generation: number): Promise<Fleet> {
    const draft = resolveEntitySpecs(config, { serverName: 'localhost' });
    const router = draft.find((spec) => spec.kind === 'router');
    if (router === undefined) throw new Error('the config has no router');
    const stored = this.deps.store.accounts.get(router.name);
    const credentials = await this.deps.connector.provision({
      localpart: router.localpart,
      displayName: router.displayName,
      stored: stored === undefined ? undefined : { ...stored, userId: stored.userId as UserId },
      signal: new AbortController().signal,
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
      catchUpWindowMs: this.config.quorum.catch_up_minutes * 60_000,
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
        if (changed.name === ROUTER_NAME) this.coverage.update();
      },
      onStarted: (started) => {
        runTask(
          recoverOpenTurns(started, {
            store: this.deps.store,
            coordinator: this.coordinator,
            launcher: this.launcher,
            clock: this.deps.clock,
            log: this.log,
            catchUpWindowMs: this.config.quorum.catch_up_minutes * 60_000,
          }),
          { log: this.log, what: `recover turns of ${started.name}` },
        );
      },
    });
    this.bots.set(spec.name, bot);
    bot.start();
    return bot;
  }

  private nameOf(userId: string): string {
    const fleet = this.currentFleet();
    const entity = fleet.entityOf(userId);
    if (entity !== undefined) return fleet.spec(entity)?.displayName ?? entity;
    return localpartOf(userId);
  }

  private mentionsIn(text: string, except: string): UserId[] {
    if (!text.includes('@')) return [];
    const fleet = this.currentFleet();
    return fleet.specs
      .filter((spec) => spec.kind !== 'router' && spec.name !== except)
      .filter((spec) => new RegExp(`(^|[^\\w@])@${spec.name}(?![\\w-])`, 'i').test(text))
      .map((spec) => fleet.userIdOf(spec) as UserId);
  }

  private modelProvider(): ModelProvider {
    return createModelProvider({
      catalog: () => this.catalog,
      fleet: () => this.currentFleet(),
      store: this.deps.store,
      registry: this.registry,
    });
  }

  /** Resolves `route` decisions with the router model (cached per thread, with a fallback). */
  private routeResolver(): RouteResolver {
    return createRouterResolver({
      policy: new RoutingPolicy({ cache: this.routerCache, clock: this.deps.clock, log: this.log }),
      store: this.deps.store,
      fleet: () => this.currentFleet(),
      catalog: () => this.catalog,
      bot: (name) => this.bots.get(name),
      nameOf: (userId) => this.nameOf(userId),
      log: this.log,
      metrics: this.deps.metrics,
    });
  }

  private commandContext(): CommandContext {
    return createCommandContext({
      bot: (name) => this.bots.get(name),
      catalog: () => this.catalog,
      fleet: () => this.currentFleet(),
      store: this.deps.store,
      registry: this.registry,
      clock: this.deps.clock,
      configFile: this.deps.configFile,
      interactions: this.interactions,
      mayEditConfig: (userId, roomId, path) => this.tooling.mayEditConfig(userId, roomId, path),
    });
  }
}

function healthOf(bot: EntityBot, syncMode: EntityHealth['sync_mode']): EntityHealth {
  const status = bot.status();
  return {
    name: bot.name,
    kind: bot.spec.kind,
    user_id: bot.userId ?? null,
    state: status.state,
    started_at: status.startedAt === undefined ? null : new Date(status.startedAt).toISOString(),
    last_sync_at:
      status.lastSyncAt === undefined ? null : new Date(status.lastSyncAt).toISOString(),
    restarts: status.restarts,
    last_error: status.lastError ?? null,
    sync_mode: status.state === 'syncing' ? syncMode : null,
  };
}
