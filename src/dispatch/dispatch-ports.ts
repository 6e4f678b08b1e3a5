/**
 * What dispatch needs from the running daemon, as narrow capabilities the orchestrator
 * implements (over the store, the room registry and the bots) and tests fake in a few lines.
 */
import type {
  AuthorizationRules,
  ConversationLimits,
  Decision,
  EntityView,
  GrantRoomMembers,
} from '../routing/index.js';
import type { IngressJournal, InteractionStore, ResponseTracker } from '../storage/index.js';

/** The current view of the fleet dispatch decides against (changes on reload). */
export interface FleetView {
  readonly entities: readonly EntityView[];
  readonly teams: ReadonlyMap<string, readonly string[]>;
  readonly botAccounts: ReadonlySet<string>;
  readonly authorization: AuthorizationRules;
  readonly catchUpWindowMs: number;
  /**
   * Bounds on one conversation (`quorum.max_agent_hops`, `quorum.thread_token_budget`);
   * absent: none.
   */
  readonly limits?: ConversationLimits;
  /** The entity name for a Quorum user id, if it is one. */
  entityOf(userId: string): string | undefined;
}

/**
 * Who is joined to the grant rooms of `agent_reply_permissions` (`joined_rooms`), kept
 * current from membership events; see `GrantRoomMembership`.
 */
export interface GrantRooms {
  /**
   * The members of every grant room, by the room keys the policies use, after trying to learn
   * the ones not known yet (each lookup bounded by a timeout). A room whose membership is
   * still unknown is absent: it grants nobody (fail closed). Never rejects.
   */
  members(): Promise<GrantRoomMembers>;
  /** What is known now, without waiting (absent rooms grant nobody). */
  snapshot(): GrantRoomMembers;
  /** A membership event in `roomId`: `userId` joined, left, was invited, kicked or banned. */
  onMembership(roomId: string, userId: string, membership: string): void;
}

/** Tokens spent per thread (the usage table), for `quorum.thread_token_budget`. */
export interface DispatchUsage {
  threadTokens(roomId: string, threadRoot: string): number;
}

/** Which entities are in which rooms (the orchestrator's room registry implements it). */
export interface RoomMembership {
  joinedEntities(roomId: string): ReadonlySet<string>;
  directEntities(roomId: string): ReadonlySet<string>;
  setJoined(entity: string, roomId: string, isJoined: boolean): void;
  markDirect(entity: string, roomId: string): void;
}

/** The journal as dispatch reads and marks it. */
export type DispatchJournal = Pick<
  IngressJournal,
  'get' | 'markDecided' | 'listUndecided' | 'threadSenders' | 'related' | 'thread' | 'redactedBy'
>;

/** The turn records dispatch claims, reopens and reads. */
export type DispatchTurns = Pick<
  ResponseTracker,
  'claim' | 'get' | 'reopen' | 'finish' | 'threadTurns' | 'forSource' | 'byReply'
>;

/** The interaction records dispatch looks up (cards and pending questions). */
export type DispatchInteractions = Pick<InteractionStore, 'get' | 'getByCard' | 'listPending'>;

/** Picks the responder for a `route` decision (the router model); undefined when nobody should answer. */
export interface RouteResolver {
  choose(
    decision: Extract<Decision, { kind: 'route' }>,
    options: { readonly signal: AbortSignal },
  ): Promise<string | undefined>;
}

/** Answers `!` commands (in the room the command was written in). */
export interface CommandHandler {
  handle(decision: Extract<Decision, { kind: 'command' }>, roomId: string): Promise<void>;
}

/**
 * Joins an entity's account to a room it was invited to; resolves with the room id, or
 * undefined when the entity is not connected.
 */
export interface RoomJoiner {
  join(entity: string, roomId: string): Promise<string | undefined>;
}

/** Where a notice about a request goes: the thread of its source event. */
export interface NoticePlace {
  readonly roomId: string;
  readonly threadRoot: string;
  readonly sourceEventId: string;
}

/** Short status notices dispatch posts (queued, refused, rate limited). */
export interface DispatchNotices {
  /**
   * Posts `text` as a notice from `entity`'s account in the thread of `place`; `key` makes
   * its transaction id (one notice per key and source). `extraContent` adds namespaced keys
   * (a limit note's marker). Failures are logged, never thrown.
   */
  post(
    entity: string,
    place: NoticePlace,
    text: string,
    key: string,
    extraContent?: Readonly<Record<string, unknown>>,
  ): Promise<void>;
}
