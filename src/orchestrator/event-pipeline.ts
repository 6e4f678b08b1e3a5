import type { IngressSink } from '../ingress/index.js';
import { decodeEvent, type RoomInvite } from '../matrix/index.js';
import {
  decide,
  toDispatchInput,
  type AuthorizationRules,
  type Decision,
  type DispatchContext,
  type DispatchInput,
  type EntityView,
  type ThreadView,
  type TurnView,
} from '../routing/index.js';
import {
  runTask,
  type Clock,
  type Logger,
  type QuorumMetrics,
  type RoomId,
} from '../shared/index.js';
import type { JournalEntry, QuorumStore, TurnRecord } from '../storage/index.js';
import { HandoffLedger } from './handoff.js';
import type { RoomRegistry } from './room-registry.js';
import { parseAdHocTeamKey } from './team-keys.js';

/** The current view of the fleet the dispatcher decides against (changes on reload). */
export interface FleetView {
  readonly entities: readonly EntityView[];
  readonly teams: ReadonlyMap<string, readonly string[]>;
  readonly botAccounts: ReadonlySet<string>;
  readonly authorization: AuthorizationRules;
  readonly catchUpWindowMs: number;
  /** The entity name for a Quorum user id, if it is one. */
  entityOf(userId: string): string | undefined;
}

/** Carries out decisions (starting turns, stopping, commands, joins). */
export interface DecisionExecutor {
  execute(decision: Decision, input: DispatchInput): Promise<void>;
}

export interface EventPipelineDeps {
  readonly store: QuorumStore;
  readonly registry: RoomRegistry;
  readonly fleet: () => FleetView;
  readonly executor: DecisionExecutor;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: QuorumMetrics;
}

type Work =
  | { readonly kind: 'entry'; readonly entry: JournalEntry }
  | { readonly kind: 'invite'; readonly invite: RoomInvite; readonly bot: string };

/**
 * The dispatcher stage: takes admitted events (from every bot's sync loop, already deduped by
 * the journal) and, per room, one at a time in arrival order, builds the dispatcher's context
 * from the stores, asks `decide`, executes the decision and records it in the journal. Rooms
 * are independent lanes, so a slow decision (a router model call) holds up only its own room.
 * Recording comes after execution, so a crash in between re-decides the event on restart;
 * the turn claim (inside execution) keeps that idempotent.
 */
export class EventPipeline implements IngressSink {
  /** Work waiting per room, in arrival order. */
  private readonly lanes = new Map<string, Work[]>();
  /** The running pump of each room that has work. */
  private readonly pumps = new Map<string, Promise<void>>();
  private isHeld = false;
  private readonly handoffs: HandoffLedger;

  constructor(private readonly deps: EventPipelineDeps) {
    this.handoffs = new HandoffLedger(deps.store.threadSettings);
  }

  onAdmitted(entries: readonly JournalEntry[]): void {
    for (const entry of entries) {
      this.deps.metrics.eventsReceived.inc({ type: entry.type });
      this.enqueue(entry.roomId, { kind: 'entry', entry });
    }
  }

  onInvites(invites: readonly RoomInvite[], bot: string): void {
    for (const invite of invites) this.enqueue(invite.roomId, { kind: 'invite', invite, bot });
  }

  onLeftRooms(roomIds: readonly RoomId[], bot: string): void {
    for (const roomId of roomIds) this.deps.registry.setJoined(bot, roomId, false);
  }

  /** Queues admitted events without processing them (while the fleet boots). */
  hold(): void {
    this.isHeld = true;
  }

  /**
   * Starts processing: every admitted event without a decision (those queued during boot and
   * those a crash left undecided) in admission order, then whatever arrives next.
   */
  release(): void {
    this.isHeld = false;
    const undecided = this.deps.store.journal.listUndecided();
    const undecidedIds = new Set(undecided.map((entry) => entry.eventId));
    const queued = [...this.lanes.values()].flat();
    this.lanes.clear();
    // Membership history first (it shapes the registry), then the undecided events, then invites.
    for (const work of queued) {
      if (work.kind === 'entry' && !undecidedIds.has(work.entry.eventId))
        this.enqueue(work.entry.roomId, work);
    }
    for (const entry of undecided) this.enqueue(entry.roomId, { kind: 'entry', entry });
    for (const work of queued) if (work.kind === 'invite') this.enqueue(work.invite.roomId, work);
    for (const roomId of this.lanes.keys()) this.startPump(roomId);
  }

  /** Resolves when every room's queue is empty. */
  async idle(): Promise<void> {
    while (this.pumps.size > 0) await Promise.all(this.pumps.values());
  }

  private enqueue(roomId: string, work: Work): void {
    const lane = this.lanes.get(roomId) ?? [];
    lane.push(work);
    this.lanes.set(roomId, lane);
    this.startPump(roomId);
  }

  private startPump(roomId: string): void {
    if (this.pumps.has(roomId) || this.isHeld) return;
    const pump = (async () => {
      try {
        const lane = this.lanes.get(roomId) ?? [];
        for (let work = lane.shift(); work !== undefined; work = lane.shift()) {
          try {
            await this.process(work);
          } catch (error: unknown) {
            this.deps.metrics.errors.inc({ where: 'dispatch' });
            this.deps.log.error('could not dispatch an event', { roomId, error });
          }
        }
        this.lanes.delete(roomId);
      } finally {
        this.pumps.delete(roomId);
      }
    })();
    this.pumps.set(roomId, pump);
    runTask(pump, { log: this.deps.log, what: 'event pipeline' });
  }

  private async process(work: Work): Promise<void> {
    if (work.kind === 'invite') {
      const input: DispatchInput = {
        kind: 'invite',
        roomId: work.invite.roomId,
        invitee: work.bot,
        inviter: work.invite.inviter,
        isDirect: work.invite.isDirect,
      };
      await this.decideAndExecute(input);
      return;
    }
    const { entry } = work;
    this.trackMembership(entry);
    if (entry.isHistory) return;
    const input = toDispatchInput(entry, (eventId) => this.deps.store.journal.get(eventId));
    if (input === undefined) {
      this.deps.store.journal.markDecided(entry.eventId, 'none');
      return;
    }
    const decision = await this.decideAndExecute(input);
    this.deps.store.journal.markDecided(entry.eventId, summarize(decision));
  }

  private async decideAndExecute(input: DispatchInput): Promise<Decision> {
    const decision = decide(input, this.context(input));
    const reason = decision.kind === 'ignore' ? decision.reason : decision.kind;
    this.deps.metrics.decisions.inc({ kind: decision.kind, reason });
    if (decision.kind !== 'ignore' || this.deps.log.isEnabled('debug')) {
      this.deps.log[decision.kind === 'ignore' ? 'debug' : 'info']('dispatch decision', {
        input: input.kind,
        roomId: input.roomId,
        event: 'eventId' in input ? input.eventId : undefined,
        decision: summarize(decision),
      });
    }
    await this.deps.executor.execute(decision, input);
    return decision;
  }

  private context(input: DispatchInput): DispatchContext {
    const fleet = this.deps.fleet();
    const { journal, turns } = this.deps.store;
    const roomId = input.roomId;
    let thread: ThreadView | undefined;
    let targetTurns: readonly TurnView[] = [];
    let replyTurn: TurnView | undefined;
    let card: { interactionId: string } | undefined;
    let isRedacted = false;
    let pendingQuestion: { interactionId: string; options: readonly string[] } | undefined;
    const cardOf = (eventId: string | undefined): { interactionId: string } | undefined => {
      const record =
        eventId === undefined ? undefined : this.deps.store.interactions.getByCard(eventId);
      return record === undefined ? undefined : { interactionId: record.id };
    };
    if (input.kind === 'message' || input.kind === 'edit') {
      const rootId =
        input.kind === 'message'
          ? (input.threadRoot ?? input.eventId)
          : (input.targetThreadRoot ?? input.targetId);
      const threadTurns = turns.threadTurns(roomId, rootId);
      thread = {
        rootId,
        senders: new Set(journal.threadSenders(roomId, rootId)),
        responders: [
          ...new Set(
            threadTurns.flatMap(
              (turn) => parseAdHocTeamKey(turn.responder)?.members ?? [turn.responder],
            ),
          ),
        ],
        openTurns: threadTurns.filter(isOpen).map(toView),
        handedOff: new Set(this.handoffs.handedOff(roomId, rootId)),
      };
      if (input.kind === 'edit') targetTurns = turns.forSource(input.targetId).map(toView);
      if (input.kind === 'message') {
        card = cardOf(input.replyTo);
        const question = this.deps.store.interactions
          .listPending()
          .find(
            (record) =>
              record.kind === 'question' &&
              record.roomId === roomId &&
              record.threadRoot === rootId &&
              record.requester === input.sender,
          );
        if (question?.kind === 'question')
          pendingQuestion = { interactionId: question.id, options: question.payload.options };
      }
    } else if (input.kind === 'reaction') {
      const turn = turns.byReply(input.targetId);
      replyTurn = turn === undefined ? undefined : toView(turn);
      card = cardOf(input.targetId);
      isRedacted = journal.related(input.eventId, 'm.redaction').length > 0;
    }
    return {
      entities: fleet.entities,
      teams: fleet.teams,
      botAccounts: fleet.botAccounts,
      authorization: fleet.authorization,
      room: {
        roomId,
        joinedEntities: this.deps.registry.joinedEntities(roomId),
        directEntities: this.deps.registry.directEntities(roomId),
      },
      thread,
      targetTurns,
      replyTurn,
      card,
      pendingQuestion,
      isRedacted,
      nowMs: this.deps.clock.now(),
      catchUpWindowMs: fleet.catchUpWindowMs,
    };
  }

  /** Keeps the room registry current from the membership events of Quorum's own accounts. */
  private trackMembership(entry: JournalEntry): void {
    if (entry.type !== 'm.room.member') return;
    const decoded = decodeEvent(entry.event);
    if (decoded.kind !== 'membership') return;
    const entity = this.deps.fleet().entityOf(decoded.userId);
    if (entity === undefined) return;
    if (decoded.membership === 'join') this.deps.registry.setJoined(entity, entry.roomId, true);
    if (decoded.membership === 'leave' || decoded.membership === 'ban') {
      this.deps.registry.setJoined(entity, entry.roomId, false);
    }
  }
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

function summarize(decision: Decision): string {
  switch (decision.kind) {
    case 'ignore':
      return `ignore:${decision.reason}`;
    case 'respond':
      return `respond:${decision.responders.join(',')}:${decision.via}`;
    case 'route':
      return `route:${decision.candidates.join(',')}`;
    case 'regenerate':
      return `regenerate:${decision.responders.join(',')}`;
    case 'stop':
      return `stop:${decision.turns.map((turn) => turn.responder).join(',')}`;
    case 'command':
      return `command:${decision.name}`;
    case 'join':
      return `join:${decision.entity}`;
    case 'team':
      return `team:${decision.members.join(',')}:${decision.via}`;
    case 'interaction':
      return `interaction:${decision.via}`;
  }
}
