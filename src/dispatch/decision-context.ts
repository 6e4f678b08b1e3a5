import { parseResponder, responderMembers, type HandoffLedger } from '../agents/index.js';
import type { DispatchContext, DispatchInput, ThreadView, TurnView } from '../routing/index.js';
import type { TurnRecord } from '../storage/index.js';
import type {
  DispatchInteractions,
  DispatchJournal,
  DispatchTurns,
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
  readonly now: () => number;
}

/**
 * Builds the dispatcher's pure input for one event from the stores: the fleet and room
 * views, the thread (senders, responders, open turns, handoffs), the turns an edit or
 * reaction targets, and the card or pending question a message or reaction answers.
 */
export function buildDecisionContext(
  input: DispatchInput,
  deps: DecisionContextDeps,
): DispatchContext {
  const fleet = deps.fleet();
  const roomId = input.roomId;
  const base = {
    entities: fleet.entities,
    teams: fleet.teams,
    botAccounts: fleet.botAccounts,
    authorization: fleet.authorization,
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
        thread,
        targetTurns: [],
        replyTurn: undefined,
        card: cardOf(input.replyTo, deps),
        pendingQuestion: pendingQuestionOf(roomId, thread.rootId, input.sender, deps),
        isRedacted: false,
      };
    }
    case 'edit':
      return {
        ...base,
        thread: threadView(roomId, input.targetThreadRoot ?? input.targetId, deps),
        targetTurns: deps.turns.forSource(input.targetId).map(toView),
        replyTurn: undefined,
        isRedacted: false,
      };
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
): { interactionId: string } | undefined {
  const record = eventId === undefined ? undefined : deps.interactions.getByCard(eventId);
  return record === undefined ? undefined : { interactionId: record.id };
}

/** A question the sender has pending in this thread (a reply may just name an option). */
function pendingQuestionOf(
  roomId: string,
  rootId: string,
  sender: string,
  deps: DecisionContextDeps,
): { interactionId: string; options: readonly string[] } | undefined {
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
    ? { interactionId: question.id, options: question.payload.options }
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
