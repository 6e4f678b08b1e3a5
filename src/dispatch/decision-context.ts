import { parseResponder, responderMembers, type HandoffLedger } from '../agents/index.js';
import type {
  DispatchContext,
  DispatchInput,
  GrantRoomMembers,
  ThreadView,
  TurnView,
} from '../routing/index.js';
import type { TurnRecord } from '../storage/index.js';
import { conversationInputs, type LimitNoteLedger } from './conversation-inputs.js';
import type {
  DispatchInteractions,
  DispatchJournal,
  DispatchTurns,
  DispatchUsage,
  FleetView,
  RoomMembership,
} from './dispatch-ports.js';

export interface DecisionContextDeps {
  readonly fleet: () => FleetView;
  readonly journal: DispatchJournal;
  readonly turns: DispatchTurns;
  readonly interactions: DispatchInteractions;
  readonly rooms: RoomMembership;
  readonly handoffs: Pick<HandoffLedger, 'handedOff'>;
  /** Tokens spent per thread (for `quorum.thread_token_budget`); absent: none counted. */
  readonly usage?: DispatchUsage;
  /** Limit notes posted and not yet back in the journal. */
  readonly notes: LimitNoteLedger;
  readonly now: () => number;
}

/**
 * Builds the dispatcher's pure input for one event from the stores: the fleet and room
 * views, the thread (senders, responders, open turns, handoffs), the conversation limits
 * with the thread's agent hops, noted limits and spent tokens, the turns an edit, reaction
 * or redaction targets, and the card or pending question a message or reaction answers.
 * `grantRoomMembers` are the grant rooms' members the caller has learned (see `GrantRooms`).
 */
export function buildDecisionContext(
  input: DispatchInput,
  deps: DecisionContextDeps,
  grantRoomMembers: GrantRoomMembers = new Map(),
): DispatchContext {
  const fleet = deps.fleet();
  const roomId = input.roomId;
  const base = {
    entities: fleet.entities,
    teams: fleet.teams,
    botAccounts: fleet.botAccounts,
    authorization: fleet.authorization,
    grantRoomMembers,
    room: {
      roomId,
      joinedEntities: deps.rooms.joinedEntities(roomId),
      directEntities: deps.rooms.directEntities(roomId),
    },
    nowMs: deps.now(),
    catchUpWindowMs: fleet.catchUpWindowMs,
  };
  switch (input.kind) {
    case 'message': {
      const thread = threadView(roomId, input.threadRoot ?? input.eventId, deps);
      return {
        ...base,
        ...limitsOf(fleet, input, thread.rootId, deps),
        thread,
        targetTurns: [],
        replyTurn: undefined,
        card: cardOf(input.replyTo, deps),
        pendingQuestion: pendingQuestionOf(roomId, thread.rootId, input.sender, deps),
        isRedacted: false,
      };
    }
    case 'edit': {
      const thread = threadView(roomId, input.targetThreadRoot ?? input.targetId, deps);
      return {
        ...base,
        ...limitsOf(fleet, input, thread.rootId, deps),
        thread,
        targetTurns: deps.turns.forSource(input.targetId).map(toView),
        replyTurn: undefined,
        isRedacted: false,
      };
    }
    case 'reaction': {
      const turn = deps.turns.byReply(input.targetId);
      return {
        ...base,
        thread: undefined,
        targetTurns: [],
        replyTurn: turn === undefined ? undefined : toView(turn),
        card: cardOf(input.targetId, deps),
        isRedacted: deps.journal.related(input.eventId, 'm.redaction').length > 0,
      };
    }
    case 'redaction':
      return {
        ...base,
        thread: undefined,
        targetTurns: turnsOfDeleted(input.targetId, deps),
        replyTurn: undefined,
        isRedacted: false,
      };
    case 'invite':
      return {
        ...base,
        thread: undefined,
        targetTurns: [],
        replyTurn: undefined,
        isRedacted: false,
      };
  }
}

/** Turns answering a deleted message, or writing a deleted reply. */
function turnsOfDeleted(eventId: string, deps: DecisionContextDeps): TurnView[] {
  const reply = deps.turns.byReply(eventId);
  return [...deps.turns.forSource(eventId), ...(reply === undefined ? [] : [reply])].map(toView);
}

/**
 * The conversation limits and their inputs for the thread, when the fleet has limits. Hops
 * and notes count back to the last message from a person, so for a person's own message they
 * are none, and the thread is not read.
 */
function limitsOf(
  fleet: FleetView,
  input: { readonly roomId: string; readonly sender: string },
  rootId: string,
  deps: DecisionContextDeps,
): Partial<DispatchContext> {
  if (fleet.limits === undefined) return {};
  const isEntity = (userId: string): boolean => fleet.entityOf(userId) !== undefined;
  return conversationInputs(input.roomId, rootId, fleet.limits, isEntity, deps, {
    isFromEntity: isEntity(input.sender),
  });
}

function threadView(roomId: string, rootId: string, deps: DecisionContextDeps): ThreadView {
  const threadTurns = deps.turns.threadTurns(roomId, rootId);
  return {
    rootId,
    senders: new Set(deps.journal.threadSenders(roomId, rootId)),
    responders: [
      ...new Set(threadTurns.flatMap((turn) => responderMembers(parseResponder(turn.responder)))),
    ],
    openTurns: threadTurns.filter(isOpen).map(toView),
    handedOff: new Set(deps.handoffs.handedOff(roomId, rootId)),
  };
}

function cardOf(
  eventId: string | undefined,
  deps: DecisionContextDeps,
): { interactionId: string; responder: string } | undefined {
  const record = eventId === undefined ? undefined : deps.interactions.getByCard(eventId);
  return record === undefined
    ? undefined
    : { interactionId: record.id, responder: record.responder };
}

/** A question the sender has pending in this thread (a reply may just name an option). */
function pendingQuestionOf(
  roomId: string,
  rootId: string,
  sender: string,
  deps: DecisionContextDeps,
): { interactionId: string; options: readonly string[]; responder: string } | undefined {
  const question = deps.interactions
    .listPending()
    .find(
      (record) =>
        record.kind === 'question' &&
        record.roomId === roomId &&
        record.threadRoot === rootId &&
        record.requester === sender,
    );
  return question?.kind === 'question'
    ? {
        interactionId: question.id,
        options: question.payload.options,
        responder: question.responder,
      }
    : undefined;
}

function isOpen(turn: TurnRecord): boolean {
  return turn.state === 'claimed' || turn.state === 'replying';
}

function toView(turn: TurnRecord): TurnView {
  return {
    responder: turn.responder,
    sourceEventId: turn.sourceEventId,
    requester: turn.requester,
    replyEventId: turn.replyEventId,
    isOpen: isOpen(turn),
  };
}
