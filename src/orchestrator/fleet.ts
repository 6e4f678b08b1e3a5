import type { AgentProfile, PeerProfile } from '../agents/index.js';
import type { EntitySpec, HistoryPolicy, QuorumConfig, RouterSpec } from '../config/index.js';
import {
  authorizationRulesFrom,
  type AuthorizationRules,
  type ConversationLimits,
  type EntityView,
} from '../routing/index.js';
import type { RoomRegistry } from './room-registry.js';

/**
 * The running fleet's specs, with everything derived from them: user ids, the dispatcher's
 * entity views and authorization rules, agent profiles for prompts. Immutable: a reload
 * builds a new Fleet.
 */
export class Fleet {
  readonly specs: readonly EntitySpec[];
  private readonly byName: ReadonlyMap<string, EntitySpec>;
  private readonly byUserId: ReadonlyMap<string, EntitySpec>;

  constructor(
    readonly config: QuorumConfig,
    specs: readonly EntitySpec[],
    readonly serverName: string,
    readonly generation: number,
  ) {
    this.specs = specs;
    this.byName = new Map(specs.map((spec) => [spec.name, spec]));
    this.byUserId = new Map(specs.map((spec) => [this.userIdOf(spec), spec]));
  }

  userIdOf(spec: EntitySpec): string {
    return `@${spec.localpart}:${this.serverName}`;
  }

  spec(name: string): EntitySpec | undefined {
    return this.byName.get(name);
  }

  router(): RouterSpec | undefined {
    const router = this.specs.find((spec) => spec.kind === 'router');
    return router?.kind === 'router' ? router : undefined;
  }

  entityOf(userId: string): string | undefined {
    return this.byUserId.get(userId)?.name;
  }

  isEntityUser(userId: string): boolean {
    return this.byUserId.has(userId);
  }

  /** Room ids (when known) and references of an entity's configured rooms. */
  roomsOf(spec: EntitySpec, registry: RoomRegistry): Set<string> {
    const rooms = new Set<string>(spec.rooms);
    for (const ref of spec.rooms) {
      const id = registry.roomIdOf(ref);
      if (id !== undefined) rooms.add(id);
    }
    return rooms;
  }

  entityViews(registry: RoomRegistry): EntityView[] {
    return this.specs.map((spec) => ({
      name: spec.name,
      kind: spec.kind,
      userId: this.userIdOf(spec),
      displayName: spec.displayName,
      rooms: this.roomsOf(spec, registry),
      acceptsInvites: spec.acceptInvites,
    }));
  }

  /**
   * The dispatcher's authorization, as MindRoom documents it: aliases, globs in `global_users`
   * and `room_permissions`, and `agent_reply_permissions` (room references as room ids where
   * known). Without a router nobody is authorized.
   */
  authorization(registry: RoomRegistry): AuthorizationRules {
    const auth = this.router()?.authorization;
    if (auth === undefined) {
      return {
        globalUsers: new Set(),
        roomPermissions: new Map(),
        defaultRoomAccess: false,
        allowFederation: false,
        serverName: this.serverName,
      };
    }
    return authorizationRulesFrom(auth, this.serverName, (ref) => registry.roomIdOf(ref));
  }

  /** The grant rooms (`joined_rooms`) the reply permissions name, as room references. */
  grantRoomRefs(): string[] {
    const policies = Object.values(this.router()?.authorization.agentReplyPermissions ?? {});
    return [...new Set(policies.flatMap((policy) => policy.joinedRooms))];
  }

  /** `quorum.max_agent_hops` and `quorum.thread_token_budget`. */
  conversationLimits(): ConversationLimits {
    return {
      maxAgentHops: this.config.quorum.max_agent_hops,
      threadTokenBudget: this.config.quorum.thread_token_budget ?? undefined,
    };
  }

  /** Configured teams: name → member agent names. */
  teams(): ReadonlyMap<string, readonly string[]> {
    return new Map(
      this.specs.flatMap((spec) =>
        spec.kind === 'team' ? [[spec.name, spec.members] as const] : [],
      ),
    );
  }

  botAccounts(): ReadonlySet<string> {
    return new Set(this.router()?.botAccounts ?? []);
  }

  /** The agent profile for prompts; `skillsFor` resolves the skill names an agent lists. */
  profile(
    name: string,
    skillsFor: (names: readonly string[], agent: string) => AgentProfile['skills'] = () => [],
  ): AgentProfile | undefined {
    const spec = this.byName.get(name);
    if (spec === undefined || spec.kind === 'router') return undefined;
    return {
      name: spec.name,
      displayName: spec.displayName,
      userId: this.userIdOf(spec),
      role: spec.role,
      instructions: spec.kind === 'agent' ? spec.instructions : teamInstructions(spec.members),
      isStreaming: spec.enableStreaming,
      useMarkdown: spec.markdown,
      showStopButton: spec.showStopButton,
      historyMessages: historyMessages(spec.history),
      tools: spec.kind === 'agent' ? spec.tools.map((tool) => tool.name) : [],
      skills: spec.kind === 'agent' ? skillsFor(spec.skills, spec.name) : [],
      timezone: spec.timezone,
    };
  }

  peersIn(roomId: string, except: string, registry: RoomRegistry): PeerProfile[] {
    const joined = registry.joinedEntities(roomId);
    return this.specs
      .filter((spec) => spec.kind !== 'router' && spec.name !== except && joined.has(spec.name))
      .map((spec) => ({
        name: spec.name,
        displayName: spec.displayName,
        userId: this.userIdOf(spec),
        role: spec.role,
      }));
  }
}

function teamInstructions(members: readonly string[]): string[] {
  return [`You speak for a team of agents: ${members.join(', ')}.`];
}

/** A history policy as a message count (a run is about two messages). */
export function historyMessages(policy: HistoryPolicy): number {
  switch (policy.mode) {
    case 'all':
      return 200;
    case 'runs':
      return policy.limit * 2;
    case 'messages':
      return policy.limit;
  }
}
