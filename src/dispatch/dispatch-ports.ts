/**
 * What dispatch needs from the running daemon, as narrow capabilities the orchestrator
 * implements (over the store, the room registry and the bots) and tests fake in a few lines.
 */
import type { AuthorizationRules, Decision, EntityView } from '../routing/index.js';
import type { IngressJournal, InteractionStore, ResponseTracker } from '../storage/index.js';

/** The current view of the fleet dispatch decides against (changes on reload). */
export interface FleetView {
  readonly entities: readonly EntityView[];
  readonly teams: ReadonlyMap<string, readonly string[]>;
  readonly botAccounts: ReadonlySet<string>;
  readonly authorization: AuthorizationRules;
  readonly catchUpWindowMs: number;
  /** The entity name for a Quorum user id, if it is one. */
  entityOf(userId: string): string | undefined;
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
  'get' | 'markDecided' | 'listUndecided' | 'threadSenders' | 'related'
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
   * its transaction id (one notice per key and source). Failures are logged, never thrown.
   */
  post(entity: string, place: NoticePlace, text: string, key: string): Promise<void>;
}
