/**
 * The narrow capabilities the turn runner works through. The orchestrator implements them
 * over the running bots and the store; tests implement them in a few lines.
 */
import type { MediaReader, TypingIndicator } from '../matrix/index.js';
import type { TurnRecord } from '../storage/index.js';
import type { ToolRunner } from '../tools/index.js';
import type { AgentProfile, PeerProfile } from './agent-profile.js';
import type { ReplyOutbox, ReplyOutcome } from './reply-stream.js';

/** What one entity's Matrix account offers a turn: its outbox, typing and media download. */
export interface ResponderHandle {
  readonly outbox: ReplyOutbox;
  readonly typing: TypingIndicator;
  readonly media: MediaReader;
}

/** The running entities' accounts by name; undefined while one is not connected (or stopping). */
export interface Responders {
  get(name: string): ResponderHandle | undefined;
}

/** The turn records a running turn reads and writes (the ResponseTracker implements it). */
export interface TurnStore {
  get(responder: string, sourceEventId: string): TurnRecord | undefined;
  recordReply(responder: string, sourceEventId: string, replyEventId: string): void;
  recordModel(responder: string, sourceEventId: string, model: string): void;
  finish(responder: string, sourceEventId: string, outcome: ReplyOutcome): void;
}

/** What the turn runner knows about the fleet's entities (changes on reload). */
export interface FleetDirectory {
  /** The entity's profile for prompts; undefined for the router and unknown names. */
  profile(name: string): AgentProfile | undefined;
  /** Other agents and teams joined to a room, for the prompt. */
  peersIn(roomId: string, except: string): PeerProfile[];
  /** True for a configured team. */
  isTeam(name: string): boolean;
  /** A readable name for a user (display name for entities, localpart for people). */
  nameOf(userId: string): string;
  /** The Matrix user id of an entity. */
  userIdOf(name: string): string;
  /** Users an entity's reply text mentions (so the mentioned agents are notified). */
  mentionsIn(text: string, except: string): readonly string[];
  /** Whether the entity replies in threads (`thread`) or the main timeline (`room`). */
  threadModeOf(name: string): 'thread' | 'room';
}

/** Each agent's tools (built once per config generation). */
export interface AgentTools {
  /** The agent's tools behind its `tool_approval` rules, or undefined when it has none. */
  toolsFor(name: string): ToolRunner | undefined;
  /** The same tools without the approval gate, for a call the person already approved. */
  toolsWithoutApproval(name: string): ToolRunner | undefined;
}
