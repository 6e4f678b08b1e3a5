import { randomUUID } from 'node:crypto';
import type { ConfigAccessSource, ToolApprovalConfig } from '../config/index.js';
import {
  matchToolApproval,
  withApprovals,
  type InteractionScope,
  type InteractionService,
  type InteractionStore,
} from '../interactions/index.js';
import { asRoomId, type Clock, type Logger } from '../shared/index.js';
import {
  createToolRunner,
  refuseApprovalCalls,
  type AgentInteractions,
  type AgentMessaging,
  type AgentToolRunner,
  type InteractionCallContext,
  type ToolRunner,
  type ToolSource,
} from '../tools/index.js';
import type { AgentTools, Responders } from './turn-ports.js';

/** An agent's tool settings from its config. */
export interface AgentToolSettings {
  /** Tool names the agent lists. */
  readonly tools: readonly string[];
  readonly timezone: string;
  readonly toolApproval: ToolApprovalConfig;
}

/** Which rooms an agent is in, and the aliases Quorum knows for them. */
export interface RoomDirectory {
  roomsOf(entity: string): readonly string[];
  aliasOf(roomId: string): string | undefined;
}

export interface AgentToolingDeps {
  /** The agent's tool settings, or undefined when the name is not an agent. */
  readonly settingsOf: (name: string) => AgentToolSettings | undefined;
  readonly responders: Responders;
  readonly rooms: RoomDirectory;
  readonly interactions: InteractionService;
  readonly interactionStore: Pick<InteractionStore, 'markExecuting' | 'markExecuted'>;
  /** Who may change the config from chat. */
  readonly configAccess: Pick<ConfigAccessSource, 'decideConfigEdit'>;
  /**
   * Tool sources the daemon serves for an agent listing `toolNames` (the `scheduler` toolkit);
   * a source whose id is a listed name serves that name.
   */
  readonly extraSources?: (agent: string, toolNames: readonly string[]) => readonly ToolSource[];
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * Each agent's tools: the built-ins it lists (with `matrix_message` posting as the agent,
 * `ask_user` and `propose_config_change` going through the interaction service), behind the
 * `tool_approval` gate. Built once per agent and config generation; `reset` on reload.
 */
export class AgentTooling implements AgentTools {
  private gated = new Map<string, ToolRunner | undefined>();
  private plain = new Map<string, AgentToolRunner | undefined>();
  private detached = new Map<string, ToolRunner | undefined>();

  constructor(private readonly deps: AgentToolingDeps) {}

  /** Forgets the built runners (the config changed). */
  reset(): void {
    this.gated = new Map();
    this.plain = new Map();
    this.detached = new Map();
  }

  /**
   * The agent's tools for a turn outside Matrix (the OpenAI-compatible API, Quorum's MCP
   * server): no tool that needs a room or a person to answer (`matrix_message`, `ask_user`,
   * `propose_config_change` are left out), and calls that `tool_approval` would pause for are
   * refused with a clear message, since nobody can approve them there.
   */
  toolsForDetached(name: string): ToolRunner | undefined {
    if (this.detached.has(name)) return this.detached.get(name);
    const settings = this.deps.settingsOf(name);
    let runner: ToolRunner | undefined;
    if (settings !== undefined && settings.tools.length > 0) {
      const { names, extraSources } = this.served(name, settings.tools);
      const built = createToolRunner(names, {
        extraSources,
        clock: this.deps.clock,
        log: this.deps.log.child({ agent: name, channel: 'detached' }),
        timezone: settings.timezone,
      });
      runner =
        built.definitions.length === 0
          ? undefined
          : refuseApprovalCalls(
              built,
              (tool) => matchToolApproval(settings.toolApproval, tool).requiresApproval,
            );
    }
    this.detached.set(name, runner);
    return runner;
  }

  toolsWithoutApproval(name: string): AgentToolRunner | undefined {
    if (this.plain.has(name)) return this.plain.get(name);
    const settings = this.deps.settingsOf(name);
    let runner: AgentToolRunner | undefined;
    if (settings !== undefined && settings.tools.length > 0) {
      const { names, extraSources } = this.served(name, settings.tools);
      runner = createToolRunner(names, {
        extraSources,
        clock: this.deps.clock,
        log: this.deps.log.child({ agent: name }),
        timezone: settings.timezone,
        messaging: this.messagingFor(name),
        interactions: this.agentInteractions(),
      });
      if (runner.definitions.length === 0) runner = undefined;
    }
    this.plain.set(name, runner);
    return runner;
  }

  toolsFor(name: string): ToolRunner | undefined {
    if (this.gated.has(name)) return this.gated.get(name);
    const settings = this.deps.settingsOf(name);
    const built = this.toolsWithoutApproval(name);
    const runner =
      settings === undefined
        ? undefined
        : withApprovals(built, {
            rules: settings.toolApproval,
            service: this.deps.interactions,
            interactions: this.deps.interactionStore,
          });
    this.gated.set(name, runner);
    return runner;
  }

  /** The listed names the built-ins serve, and the daemon's extra sources for the rest. */
  private served(
    agent: string,
    toolNames: readonly string[],
  ): { names: readonly string[]; extraSources: readonly ToolSource[] } {
    const extraSources = this.deps.extraSources?.(agent, toolNames) ?? [];
    const names = toolNames.filter((tool) => !extraSources.some((source) => source.id === tool));
    return { names, extraSources };
  }

  /** `ask_user` and `propose_config_change` through the interaction service. */
  private agentInteractions(): AgentInteractions {
    const scopeOf = (context: InteractionCallContext): InteractionScope => ({
      roomId: context.roomId,
      threadRoot: context.threadRoot,
      requester: context.requester,
      responder: context.agentName,
      sourceEventId: context.sourceEventId,
    });
    return {
      ask: (request, context, options) =>
        this.deps.interactions.ask(request, scopeOf(context), options.signal),
      proposeConfigChange: async (request, context, options) => {
        const verdict = await this.deps.configAccess.decideConfigEdit(
          context.requester,
          context.roomId,
          request.path,
        );
        if (!verdict.isAllowed) return { kind: 'refused', message: verdict.message };
        return this.deps.interactions.proposeConfigChange(
          request,
          scopeOf(context),
          options.signal,
        );
      },
    };
  }

  /** What `matrix_message` may do as `name`: list its rooms and post in them. */
  private messagingFor(name: string): AgentMessaging {
    const { rooms, responders } = this.deps;
    return {
      joinedRooms: () =>
        rooms.roomsOf(name).map((roomId) => {
          const alias = rooms.aliasOf(roomId);
          const key = alias?.slice(1, alias.indexOf(':'));
          return {
            roomId,
            aliases: [alias, key].filter((value): value is string => value !== undefined),
          };
        }),
      postMessage: async (roomId, markdown) => {
        const handle = responders.get(name);
        if (handle === undefined) throw new Error(`${name} is not running`);
        return handle.outbox.sendText(
          asRoomId(roomId),
          { body: markdown, format: 'markdown' },
          `qt.${randomUUID()}`,
        );
      },
    };
  }
}
