import { randomUUID } from 'node:crypto';
import type { ToolRunner } from '../agents/index.js';
import { configPathScope, normalizeRoomRef } from '../config/index.js';
import { asRoomId, type Clock, type Logger, type UserId } from '../shared/index.js';
import type { QuorumStore } from '../storage/index.js';
import {
  createToolRunner,
  type AgentInteractions,
  type AgentMessaging,
  type AgentToolRunner,
  type InteractionCallContext,
} from '../tools/index.js';
import { withApprovals } from './approval-gate.js';
import type { EntityBot } from './entity-bot.js';
import type { Fleet } from './fleet.js';
import type { InteractionScope, InteractionService } from './interaction-service.js';
import type { RoomRegistry } from './room-registry.js';

export interface AgentToolingDeps {
  readonly fleet: () => Fleet;
  readonly store: QuorumStore;
  readonly registry: RoomRegistry;
  readonly interactions: InteractionService;
  readonly bot: (name: string) => EntityBot | undefined;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * Each agent's tools: the built-ins it lists (with `matrix_message` posting as the agent,
 * `ask_user` and `propose_config_change` going through the interaction service), behind the
 * `tool_approval` gate. Built once per agent and fleet generation; `reset` on reload.
 */
export class AgentTooling {
  private gated = new Map<string, ToolRunner | undefined>();
  private plain = new Map<string, AgentToolRunner | undefined>();

  constructor(private readonly deps: AgentToolingDeps) {}

  /** Forgets the built runners (the config changed). */
  reset(): void {
    this.gated = new Map();
    this.plain = new Map();
  }

  /** The agent's tools without the approval gate, for a call the person already approved. */
  toolsWithoutApproval(name: string): AgentToolRunner | undefined {
    if (this.plain.has(name)) return this.plain.get(name);
    const spec = this.deps.fleet().spec(name);
    let runner: AgentToolRunner | undefined;
    if (spec?.kind === 'agent' && spec.tools.length > 0) {
      runner = createToolRunner(
        spec.tools.map((tool) => tool.name),
        {
          clock: this.deps.clock,
          log: this.deps.log.child({ agent: name }),
          timezone: spec.timezone,
          messaging: this.messagingFor(name),
          interactions: this.agentInteractions(),
        },
      );
      if (runner.definitions.length === 0) runner = undefined;
    }
    this.plain.set(name, runner);
    return runner;
  }

  /** The agent's tool runner (built once per fleet generation), or undefined when it has none. */
  toolsFor(name: string): ToolRunner | undefined {
    if (this.gated.has(name)) return this.gated.get(name);
    const spec = this.deps.fleet().spec(name);
    let runner: ToolRunner | undefined;
    const built = this.toolsWithoutApproval(name);
    if (spec?.kind === 'agent') {
      runner = withApprovals(built, {
        rules: spec.toolApproval,
        service: this.deps.interactions,
        interactions: this.deps.store.interactions,
      });
    }
    this.gated.set(name, runner);
    return runner;
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
        if (!(await this.mayEditConfig(context.requester, context.roomId, request.path))) {
          return {
            kind: 'refused',
            message:
              'Only global users (or room admins, for settings of their room) may change the config.',
          };
        }
        return this.deps.interactions.proposeConfigChange(
          request,
          scopeOf(context),
          options.signal,
        );
      },
    };
  }

  /** Global users may change any setting; room admins may change settings scoped to their room. */
  async mayEditConfig(userId: string, roomId: string, path: string): Promise<boolean> {
    const fleet = this.deps.fleet();
    if (fleet.router()?.authorization.globalUsers.includes(userId) === true) return true;
    const scope = configPathScope(path);
    if (scope.kind !== 'room') return false;
    const scopedRoom = this.deps.registry.roomIdOf(normalizeRoomRef(scope.room, fleet.serverName));
    if (scopedRoom !== roomId) return false;
    const router = this.deps.bot('router')?.client;
    return (
      router !== undefined &&
      (await router.getUserPowerLevel(asRoomId(roomId), userId as UserId)) >= 100
    );
  }

  /** What `matrix_message` may do as `name`: list its rooms and post in them. */
  private messagingFor(name: string): AgentMessaging {
    return {
      joinedRooms: () =>
        this.deps.registry.roomsOf(name).map((roomId) => {
          const alias = this.deps.registry.aliasOf(roomId);
          const key = alias?.slice(1, alias.indexOf(':'));
          return {
            roomId,
            aliases: [alias, key].filter((value): value is string => value !== undefined),
          };
        }),
      postMessage: async (roomId, markdown) => {
        const bot = this.deps.bot(name);
        if (bot === undefined) throw new Error(`${name} is not running`);
        return bot.outbox.sendText(
          asRoomId(roomId),
          { body: markdown, format: 'markdown' },
          `qt.${randomUUID()}`,
        );
      },
    };
  }
}
