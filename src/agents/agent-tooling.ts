import { join } from 'node:path';
import type { ConfigAccessSource, ToolApprovalConfig, ToolEntry } from '../config/index.js';
import {
  matchToolApproval,
  withApprovals,
  type InteractionScope,
  type InteractionService,
  type InteractionStore,
} from '../interactions/index.js';
import type { Clock, Logger } from '../shared/index.js';
import {
  buildAgentTools,
  refuseApprovalCalls,
  type AgentInteractions,
  type AgentToolRunner,
  type InteractionCallContext,
  type McpToolBackend,
  type ShellBaseEnv,
  type ToolRunner,
  type ToolSource,
} from '../tools/index.js';
import {
  createAgentMessaging,
  type AgentMessagingPorts,
  type MessagingRooms,
} from './agent-messaging.js';
import type { AgentTools } from './turn-ports.js';

/** An agent's tool settings from its config. */
export interface AgentToolSettings {
  /** Its tool entries (its own, then `defaults.tools`) with their per-agent options. */
  readonly tools: readonly ToolEntry[];
  readonly timezone: string;
  readonly toolApproval: ToolApprovalConfig;
}

/** Which rooms an agent is in, and the aliases Quorum knows for them. */
export type RoomDirectory = MessagingRooms;

/** Where a runner is used: a Matrix room (a person can answer cards), or outside Matrix. */
export type ToolChannel = 'room' | 'detached';

/**
 * More tool sources for an agent, after its configured tools (the scheduler tools, memory and
 * knowledge tools): called once per agent, channel and config generation with the names the
 * agent lists (a service serves only agents listing its toolkit, e.g. `scheduler`). A source
 * for a room only (it needs a thread or a person) returns nothing for `detached`.
 */
export type ExtraToolSources = (
  agent: string,
  channel: ToolChannel,
  toolNames: readonly string[],
) => readonly ToolSource[];

/** What built-in tools get from the host (the CLI). */
export interface AgentToolHost {
  /** `<data dir>/workspaces`: each agent's `file` and `shell` work in `<root>/<agent>`. */
  readonly workspaceRoot: string;
  /** The environment `shell` commands start from (never the daemon's whole environment). */
  readonly shellEnv: ShellBaseEnv;
}

/**
 * What {@link AgentTooling} builds runners from: each agent's settings, the ports
 * `matrix_message` acts through (outbox, rooms, journal, trust, the DM check), the interaction
 * service for `ask_user`, `propose_config_change` and approvals, the MCP clients, the host's
 * workspaces and shell environment, and the extra sources hook.
 */
export interface AgentToolingDeps extends Omit<AgentMessagingPorts, 'rooms'> {
  /** The agent's tool settings, or undefined when the name is not an agent. */
  readonly settingsOf: (name: string) => AgentToolSettings | undefined;
  readonly rooms: RoomDirectory;
  readonly interactions: InteractionService;
  readonly interactionStore: Pick<InteractionStore, 'markExecuting' | 'markExecuted'>;
  /** Who may change the config from chat. */
  readonly configAccess: Pick<ConfigAccessSource, 'decideConfigEdit'>;
  /** The daemon's MCP clients; without them `mcp_<id>` entries are left out (logged). */
  readonly mcp?: McpToolBackend | undefined;
  /** Workspaces and shell environment; without it `file` and `shell` are left out (logged). */
  readonly host?: AgentToolHost | undefined;
  /** See {@link ExtraToolSources}. */
  readonly extraSources?: ExtraToolSources | undefined;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Used when the host gives no shell environment (tests): a plain PATH and UTF-8. */
const FALLBACK_SHELL_ENV: ShellBaseEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };
/** Agent names that are safe as one directory name (no `.`/`..`, no separators). */
const WORKSPACE_NAME = /^[a-z0-9_=-][a-z0-9._=-]*$/;

/**
 * Each agent's tools, built from its config entries with `buildAgentTools`: the built-ins it
 * lists with their options (`matrix_message` acting as the agent, `ask_user` and
 * `propose_config_change` through the interaction service, `file` and `shell` in its
 * workspace), one source per `mcp_<id>` entry (read live from the MCP clients, so a server
 * restart or `tools/list_changed` needs no rebuild), then the extra sources; in a room behind
 * the approval gate (`tool_approval` and the tools' own rules). Built once per agent and
 * config generation; `reset` on reload.
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
   * `propose_config_change` are left out), and every call that would wait for approval (a
   * `tool_approval` rule, `shell`, posting into a DM) is refused with a clear message, since
   * nobody can approve it there.
   */
  toolsForDetached(name: string): ToolRunner | undefined {
    if (this.detached.has(name)) return this.detached.get(name);
    const settings = this.deps.settingsOf(name);
    const built = settings === undefined ? undefined : this.build(name, settings, 'detached');
    const runner =
      built === undefined || settings === undefined
        ? undefined
        : refuseApprovalCalls(
            built,
            async (_name, call, context) =>
              matchToolApproval(settings.toolApproval, await built.approvalSubject(call, context))
                .requiresApproval,
            'this channel (outside Matrix)',
          );
    this.detached.set(name, runner);
    return runner;
  }

  toolsWithoutApproval(name: string): AgentToolRunner | undefined {
    if (this.plain.has(name)) return this.plain.get(name);
    const settings = this.deps.settingsOf(name);
    const runner = settings === undefined ? undefined : this.build(name, settings, 'room');
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

  /**
   * The agent's runner for `channel`, or undefined when it has no tool at all. A runner whose
   * MCP servers list nothing yet is still returned: their tools appear when they are ready.
   */
  private build(
    name: string,
    settings: AgentToolSettings,
    channel: ToolChannel,
  ): AgentToolRunner | undefined {
    const { deps } = this;
    const extraSources =
      deps.extraSources?.(
        name,
        channel,
        settings.tools.map((entry) => entry.name),
      ) ?? [];
    if (settings.tools.length === 0 && extraSources.length === 0) return undefined;
    const log = deps.log.child({ agent: name, ...(channel === 'detached' ? { channel } : {}) });
    const workspaceDir =
      deps.host !== undefined && WORKSPACE_NAME.test(name)
        ? join(deps.host.workspaceRoot, name)
        : undefined;
    return buildAgentTools(settings.tools, {
      clock: deps.clock,
      log,
      timezone: settings.timezone,
      ...(workspaceDir === undefined ? {} : { workspaceDir }),
      ...(channel === 'room'
        ? {
            messaging: createAgentMessaging(name, deps),
            interactions: this.agentInteractions(),
          }
        : {}),
      host: { shellEnv: deps.host?.shellEnv ?? FALLBACK_SHELL_ENV },
      mcp: deps.mcp,
      extraSources,
    });
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
}
