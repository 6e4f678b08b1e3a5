/**
 * The dispatcher's inputs and outputs: pure data, so every rule is a unit test.
 */
import type { AuthorizationRules, GrantRoomMembers } from './authorization.js';

/** A Quorum entity as the dispatcher sees it. */
export interface EntityView {
  readonly name: string;
  readonly kind: 'router' | 'agent' | 'team';
  readonly userId: string;
  readonly displayName: string;
  /** Room ids the entity is configured for. */
  readonly rooms: ReadonlySet<string>;
  /** Whether the entity accepts DM invites from authorized users. */
  readonly acceptsInvites: boolean;
}

/** A new message, or the final text of an agent's streamed message. */
export interface MessageInput {
  readonly kind: 'message';
  readonly eventId: string;
  readonly roomId: string;
  readonly sender: string;
  readonly body: string;
  /** The thread the message is in, if any. */
  readonly threadRoot: string | undefined;
  readonly mentionedUserIds: readonly string[];
  readonly originTs: number;
  /** False while an agent's reply is still streaming (`io.quorum.stream_status: streaming`). */
  readonly isFinal: boolean;
  /** `m.notice`: status output of a bot, never acted on when an entity sent it. */
  readonly isNotice: boolean;
  /** The event this message really replies to (not a thread fallback), if any. */
  readonly replyTo?: string | undefined;
}

/** An edit (`m.replace`) of an earlier message. */
export interface EditInput {
  readonly kind: 'edit';
  readonly eventId: string;
  readonly roomId: string;
  readonly sender: string;
  readonly targetId: string;
  /** The sender of the edited message (edits by anyone else are ignored). */
  readonly targetSender: string | undefined;
  readonly targetThreadRoot: string | undefined;
  readonly newBody: string;
  readonly mentionedUserIds: readonly string[];
  readonly originTs: number;
  readonly isFinal: boolean;
  /** The new content is an `m.notice` (never acted on). */
  readonly isNotice?: boolean;
}

export interface ReactionInput {
  readonly kind: 'reaction';
  readonly eventId: string;
  readonly roomId: string;
  readonly sender: string;
  readonly targetId: string;
  readonly key: string;
  readonly originTs: number;
}

export interface InviteInput {
  readonly kind: 'invite';
  readonly roomId: string;
  /** The entity that was invited. */
  readonly invitee: string;
  readonly inviter: string | undefined;
  readonly isDirect: boolean;
}

/**
 * A redaction (`m.room.redaction`) of an earlier event. The journal has already removed the
 * target's content; dispatch stops the turns still answering it, so the deleted text is not
 * sent to a model again (a tool loop re-sends its prompt on every step).
 */
export interface RedactionInput {
  readonly kind: 'redaction';
  readonly eventId: string;
  readonly roomId: string;
  readonly sender: string;
  readonly targetId: string;
  readonly originTs: number;
}

export type DispatchInput = MessageInput | EditInput | ReactionInput | InviteInput | RedactionInput;

/** A turn as the dispatcher needs to see it. */
export interface TurnView {
  readonly responder: string;
  readonly sourceEventId: string;
  readonly requester: string;
  readonly replyEventId: string | undefined;
  readonly isOpen: boolean;
}

export interface RoomView {
  readonly roomId: string;
  /** Entities joined to the room (names). */
  readonly joinedEntities: ReadonlySet<string>;
  /** Set when this room is a direct-message room of these entities. */
  readonly directEntities: ReadonlySet<string>;
}

export interface ThreadView {
  readonly rootId: string;
  /** Senders of messages in the thread, root included. */
  readonly senders: ReadonlySet<string>;
  /** Entities that answered in the thread, oldest first. */
  readonly responders: readonly string[];
  /** Turns in the thread whose reply is still being written. */
  readonly openTurns: readonly TurnView[];
  /** Agents that handed the thread over to another (they no longer continue it). */
  readonly handedOff?: ReadonlySet<string>;
}

export interface DispatchContext {
  readonly entities: readonly EntityView[];
  /** Configured teams: name → member agent names. */
  readonly teams: ReadonlyMap<string, readonly string[]>;
  /** Non-Quorum bot accounts (bridges): never counted as people. */
  readonly botAccounts: ReadonlySet<string>;
  readonly authorization: AuthorizationRules;
  readonly room: RoomView;
  /** The thread the event belongs to, when it is in one (or starts one). */
  readonly thread: ThreadView | undefined;
  /** Turns answering the event an edit, reaction or redaction targets (or whose reply it targets). */
  readonly targetTurns: readonly TurnView[];
  /** The turn whose reply event a reaction targets, if any. */
  readonly replyTurn: TurnView | undefined;
  /** True when the event was already redacted before it was dispatched (e.g. while Quorum was down). */
  readonly isRedacted?: boolean;
  /**
   * The interaction whose card a reaction or reply targets, if any, with the entity that asked
   * (the sender must still be allowed to talk to it when the answer arrives).
   */
  readonly card?: { readonly interactionId: string; readonly responder?: string } | undefined;
  /** A question the sender has pending in this thread (a reply may just name an option). */
  readonly pendingQuestion?:
    | {
        readonly interactionId: string;
        readonly options: readonly string[];
        readonly responder?: string;
      }
    | undefined;
  readonly nowMs: number;
  readonly catchUpWindowMs: number;
  /**
   * Joined members of the grant rooms of `agent_reply_permissions` (`joined_rooms`), by the
   * room keys the policies use; a room without an entry grants nobody (fail closed).
   */
  readonly grantRoomMembers?: GrantRoomMembers;
  /** Conversation limits from the config; absent: no limits. */
  readonly limits?: ConversationLimits;
  /**
   * Agent-to-agent hops in this thread since the last message from a person: how many turns
   * an agent's message (mentioning another agent) started. Computed by dispatch.
   */
  readonly agentHops?: number;
  /** Model tokens (input + output) the thread's turns have spent so far. */
  readonly threadTokensUsed?: number;
  /** Limits whose note is already in the thread since the last message from a person. */
  readonly notedLimits?: ReadonlySet<LimitKind>;
}

/** Which conversation limit stopped a turn. */
export type LimitKind = 'agent-hops' | 'thread-budget';

/** Bounds on one conversation (thread). */
export interface ConversationLimits {
  /** `quorum.max_agent_hops`: most agent-to-agent hops per message from a person (0: none). */
  readonly maxAgentHops: number;
  /** `quorum.thread_token_budget`: most tokens a thread may spend; `undefined`: no limit. */
  readonly threadTokenBudget: number | undefined;
}

/** Why an event gets no action; logged and counted. */
export type IgnoreReason =
  | 'too-old'
  | 'unauthorized'
  | 'own-entity-message'
  | 'agent-not-mentioning'
  | 'entity-notice'
  | 'streaming-partial'
  | 'no-mention'
  | 'multi-human-thread'
  | 'no-agent-in-room'
  | 'ambiguous'
  | 'edit-by-other-sender'
  | 'edit-unchanged'
  | 'unrelated-reaction'
  | 'redacted'
  | 'not-requester'
  | 'invite-not-allowed'
  | 'empty-message'
  /** An `m.notice`: status output of a bot, Quorum's own or another one (never starts a turn). */
  | 'notice'
  /** The message explicitly mentions someone who is not a Quorum agent, and no agent. */
  | 'other-mention'
  /** `agent_reply_permissions` let none of the would-be responders answer this sender. */
  | 'reply-not-permitted'
  /** `quorum.max_agent_hops` is reached: agents stop starting each other (see `note`). */
  | 'agent-hop-limit'
  /** `quorum.thread_token_budget` is spent: no more turns in this thread (see `note`). */
  | 'thread-budget-spent'
  /** A redaction of an event no running turn answers: nothing to stop. */
  | 'nothing-to-stop'
  /** A schedule fire whose message reads as a command: fires only ever ask agents. */
  | 'schedule-not-a-request';

/**
 * A short notice to post in the thread when a conversation limit stops a turn, so people see
 * why nobody answers. Dispatch leaves it out once the same limit's note is in the thread
 * since the last message from a person (`DispatchContext.notedLimits`).
 */
export interface LimitNote {
  readonly limit: LimitKind;
  /** The notice text (Markdown). */
  readonly text: string;
  readonly sourceEventId: string;
  readonly requester: string;
  readonly threadRoot: string;
}

export type Decision =
  | {
      readonly kind: 'ignore';
      readonly reason: IgnoreReason;
      /** Set when a conversation limit stopped a turn: post it in the thread (no model call). */
      readonly note?: LimitNote;
    }
  | {
      readonly kind: 'respond';
      /** Entities that answer, in order. */
      readonly responders: readonly string[];
      readonly sourceEventId: string;
      /** The event whose text is answered (the source, or its latest edit). */
      readonly sourceVersion: string;
      readonly requester: string;
      readonly threadRoot: string;
      readonly via: 'mention' | 'direct' | 'thread' | 'only-agent';
    }
  | {
      readonly kind: 'team';
      /** Member agents of an ad-hoc team (several agents mentioned, or a thread they share). */
      readonly members: readonly string[];
      readonly mode: 'coordinate' | 'collaborate';
      readonly sourceEventId: string;
      readonly sourceVersion: string;
      readonly requester: string;
      readonly threadRoot: string;
      readonly via: 'mention' | 'direct' | 'thread';
    }
  | {
      readonly kind: 'route';
      readonly candidates: readonly string[];
      readonly sourceEventId: string;
      readonly requester: string;
      readonly threadRoot: string;
    }
  | {
      readonly kind: 'regenerate';
      readonly sourceEventId: string;
      readonly sourceVersion: string;
      readonly responders: readonly string[];
    }
  | { readonly kind: 'stop'; readonly turns: readonly TurnView[]; readonly by: string }
  | {
      readonly kind: 'command';
      readonly name: string;
      readonly args: string;
      /** The entity whose account answers the command (the router, or the DM's agent). */
      readonly handler: string;
      readonly sourceEventId: string;
      readonly requester: string;
      readonly threadRoot: string;
    }
  | {
      readonly kind: 'interaction';
      readonly interactionId: string;
      readonly via: 'reaction' | 'reply';
      readonly eventId: string;
      readonly sender: string;
      /** The reaction key (reactions) or the reply text (replies). */
      readonly value: string;
      readonly atMs: number;
    }
  | {
      readonly kind: 'join';
      readonly entity: string;
      readonly roomId: string;
      readonly isDirect: boolean;
      readonly inviter: string | undefined;
    };
