/**
 * The narrow capabilities the interaction service works through: the durable records, the
 * card poster (the asking entity's outbox) and the config file editor.
 */
import type { ConfigEditProposal, ConfigWriteResult } from '../config/index.js';
import type { InteractionDecision, InteractionRecord, NewInteraction } from '../storage/index.js';

/** Durable interaction records (storage's `InteractionStore` implements it). */
export interface InteractionStore {
  create(input: NewInteraction): InteractionRecord;
  get(id: string): InteractionRecord | undefined;
  attachCard(id: string, cardEventId: string): boolean;
  addQuorumReaction(id: string, reactionEventId: string): void;
  decide(
    id: string,
    decision: InteractionDecision,
    answer: unknown,
    decidingEventId: string,
  ): 'decided' | 'already-decided' | 'not-found';
  markExecuting(id: string): 'claimed' | 'not-approved';
  /** Records that a pending approval's arguments were posted in full (see `reviewApproval`). */
  markShownInFull(id: string): boolean;
  markExecuted(id: string, result?: unknown): boolean;
  settleInterrupted(): InteractionRecord[];
  expireDue(nowMs: number): InteractionRecord[];
  cancelPendingForTurn(responder: string, sourceEventId: string): InteractionRecord[];
  nextExpiry(): number | undefined;
}

/** Where an interaction happens and who may decide it. */
export interface InteractionScope {
  readonly roomId: string;
  readonly threadRoot: string | undefined;
  /** The person entitled to decide. */
  readonly requester: string;
  /** The entity that asks (its account posts the card). */
  readonly responder: string;
  /** The turn's source event, when a turn waits on it. */
  readonly sourceEventId: string | undefined;
}

/** Where a card goes: the room, the thread, and the entity whose account posts it. */
export interface CardPlace {
  readonly roomId: string;
  readonly threadRoot: string | undefined;
  /** The entity that asks (its account posts the card and its reactions). */
  readonly responder: string;
}

/** Posts cards and their reaction keys from an entity's account. */
export interface CardPoster {
  /** Posts a Markdown notice and resolves with its event id; rejects when the entity is not running. */
  post(place: CardPlace, markdown: string, txnId: string): Promise<string>;
  /** Adds reaction `key` to the card; resolves with the reaction's event id. */
  react(place: CardPlace, cardEventId: string, key: string, txnId: string): Promise<string>;
}

/** The config file that `!config` and `propose_config_change` edit. */
export interface ConfigEditor {
  /** The exact change (diff, validation) of setting `path` to `value` (YAML), or removing it. */
  propose(path: string, value: string | undefined): Promise<ConfigEditProposal>;
  /** Writes `newText` if the file still has the text the proposal was computed from. */
  apply(oldHash: string, newText: string): Promise<ConfigWriteResult>;
}
