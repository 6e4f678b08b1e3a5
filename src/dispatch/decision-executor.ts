import {
  adHocResponder,
  parseResponder,
  postingEntity,
  responderKey,
  type FollowUp,
  type TurnCoordinator,
  type TurnRequest,
} from '../agents/index.js';
import type { Continuation, InteractionService } from '../interactions/index.js';
import {
  LIMIT_NOTE_KEY,
  type Decision,
  type DispatchInput,
  type LimitNote,
} from '../routing/index.js';
import { AbortReason, runTask, type Logger } from '../shared/index.js';
import type { DirectRoomStore, TurnRecord } from '../storage/index.js';
import type { TurnLauncher } from '../teams/index.js';
import type {
  CommandHandler,
  DispatchInteractions,
  DispatchJournal,
  DispatchNotices,
  DispatchTurns,
  RoomJoiner,
  RoomMembership,
  RouteResolver,
} from './dispatch-ports.js';
import type { DecisionExecutor } from './event-pipeline.js';
import type { TurnAdmission } from './turn-admission.js';

export interface FleetDecisionExecutorDeps {
  readonly turns: DispatchTurns;
  readonly interactionRecords: DispatchInteractions;
  readonly directRooms: Pick<DirectRoomStore, 'add'>;
  readonly launcher: Pick<TurnLauncher, 'launch'>;
  readonly coordinator: Pick<TurnCoordinator, 'isRunning' | 'abort'>;
  readonly interactions: Pick<InteractionService, 'onReaction' | 'onReply' | 'cancelForTurn'>;
  readonly rooms: RoomMembership;
  readonly joiner: RoomJoiner;
  readonly router: RouteResolver;
  readonly commands: CommandHandler;
  /** Rate limit and running-turn caps; turns over a cap wait in their room's queue. */
  readonly admission: TurnAdmission;
  readonly notices: DispatchNotices;
  /**
   * The journal, to skip turns whose source was redacted before they start (a queued turn may
   * start minutes later); absent: not checked here (`prepareTurn` still refuses them).
   */
  readonly journal?: Pick<DispatchJournal, 'redactedBy'>;
  readonly log: Logger;
  /** The daemon's lifetime: ends router calls at shutdown. */
  readonly signal: AbortSignal;
}

/** The event a turn answers, and where. */
interface TurnSource {
  readonly sourceEventId: string;
  readonly sourceVersion: string;
  readonly requester: string;
  readonly threadRoot: string;
  readonly roomId: string;
}

/**
 * Carries out the dispatcher's decisions, and is the only code that claims a turn: each
 * responder's claim on its source event is durable before its turn starts, so a decision
 * executed twice (after a crash) starts at most one turn per responder. Work that turns hand
 * back comes here too: a handoff, an answered question or approved call nobody waited for
 * (a continuation), and open turns resumed after a restart.
 */
export class FleetDecisionExecutor implements DecisionExecutor {
  constructor(private readonly deps: FleetDecisionExecutorDeps) {}

  async execute(decision: Decision, input: DispatchInput): Promise<void> {
    if (!this.mayStartRequest(decision, input.roomId)) return;
    switch (decision.kind) {
      case 'ignore':
        if (decision.note !== undefined) this.postLimitNote(decision.note, input.roomId);
        return;
      case 'respond':
        this.respond(decision.responders, { ...decision, roomId: input.roomId });
        return;
      case 'route': {
        const chosen = await this.deps.router.choose(decision, { signal: this.deps.signal });
        if (chosen === undefined) return;
        const sourceVersion = 'eventId' in input ? input.eventId : decision.sourceEventId;
        this.respond([chosen], { ...decision, sourceVersion, roomId: input.roomId });
        return;
      }
      case 'team': {
        // The router writes an ad-hoc team's synthesis where it is present (rooms); in a DM
        // with several agents, the first member does.
        const [first] = decision.members;
        if (first === undefined) return;
        const poster = this.deps.rooms.joinedEntities(input.roomId).has('router')
          ? 'router'
          : first;
        const team = adHocResponder(decision.mode, poster, decision.members);
        this.respond([responderKey(team)], { ...decision, roomId: input.roomId });
        return;
      }
      case 'regenerate':
        await this.regenerate(decision);
        return;
      case 'stop':
        await this.stop(decision);
        return;
      case 'command':
        await this.deps.commands.handle(decision, input.roomId);
        return;
      case 'interaction':
        await this.interaction(decision);
        return;
      case 'join':
        await this.join(decision);
        return;
    }
  }

  /** Reopens and relaunches turns a crash or an outage left open (see `findTurnsToResume`). */
  resume(turns: readonly TurnRecord[]): void {
    for (const turn of turns) {
      this.deps.turns.reopen(turn.responder, turn.sourceEventId, turn.sourceVersion);
      const reopened = this.deps.turns.get(turn.responder, turn.sourceEventId);
      if (reopened === undefined) continue;
      this.deps.log.info('resuming an interrupted turn', {
        responder: turn.responder,
        source: turn.sourceEventId,
        hasReply: reopened.replyEventId !== undefined,
      });
      this.launch(reopened);
    }
  }

  /** Claims a turn per responder (skipping those that already answered) and launches it. */
  private respond(responders: readonly string[], source: TurnSource, request?: TurnRequest): void {
    const { turns, log } = this.deps;
    for (const responder of responders) {
      const claim = turns.claim({
        responder,
        sourceEventId: source.sourceEventId,
        sourceVersion: source.sourceVersion,
        requester: source.requester,
        threadRoot: source.threadRoot,
        roomId: source.roomId,
      });
      if (claim === 'duplicate') {
        log.debug('already answered', { responder, source: source.sourceEventId });
        continue;
      }
      const turn = turns.get(responder, source.sourceEventId);
      if (turn !== undefined) this.launch(turn, request);
    }
  }

  /**
   * Runs a claimed turn now, or queues it behind the caps (with a note), or refuses it. A turn
   * whose source was redacted by the time it would start is closed instead (`stopped`): the
   * deleted text must not reach a model.
   */
  private launch(turn: TurnRecord, request?: TurnRequest): void {
    const { admission, launcher } = this.deps;
    const outcome = admission.admit(turn, () => {
      if (this.deps.journal?.redactedBy(turn.sourceEventId) !== undefined) {
        this.deps.log.info('not starting a turn: its message was deleted', {
          responder: turn.responder,
          source: turn.sourceEventId,
        });
        this.deps.turns.finish(turn.responder, turn.sourceEventId, 'stopped');
        return false;
      }
      return launcher.launch(turn, {
        request,
        onFollowUp: (followUp) => {
          this.followUp(followUp);
        },
        onFinished: () => {
          admission.finished(turn);
        },
      });
    });
    if (outcome.kind === 'started') return;
    if (outcome.kind === 'queued') {
      const ahead = outcome.ahead === 0 ? '' : ` (${outcome.ahead} ahead of it)`;
      this.notify(turn.responder, turn, `⏳ Busy: your request is queued${ahead}.`, 'queued');
      return;
    }
    this.deps.turns.finish(turn.responder, turn.sourceEventId, 'failed');
    this.deps.log.warn('turn refused: the room queue is full', {
      responder: turn.responder,
      source: turn.sourceEventId,
    });
    this.notify(
      turn.responder,
      turn,
      '⚠️ Too many requests are waiting in this room; this one was not answered. Please ask again later.',
      'refused',
    );
  }

  /**
   * The rate limit: each person may start so many requests a minute (a mention, a routed
   * message, an edit to regenerate); over it, the request is dropped with one note a minute.
   */
  private mayStartRequest(decision: Decision, roomId: string): boolean {
    const request = this.requestOf(decision);
    if (request === undefined) return true;
    const verdict = this.deps.admission.request(request.requester);
    if (verdict.kind === 'allowed') return true;
    this.deps.log.warn('request dropped: rate limit', {
      requester: request.requester,
      source: request.sourceEventId,
      retryAfterMs: verdict.retryAfterMs,
    });
    if (verdict.shouldNotify) {
      const seconds = Math.ceil(verdict.retryAfterMs / 1000);
      this.notify(
        request.entity,
        { roomId, threadRoot: request.threadRoot, sourceEventId: request.sourceEventId },
        `⏳ You are sending requests faster than the agents can take them; new ones are dropped for about ${seconds} s.`,
        'rate-limited',
      );
    }
    return false;
  }

  /** Who starts the request a decision would start turns for, and who would answer it. */
  private requestOf(
    decision: Decision,
  ): { requester: string; entity: string; threadRoot: string; sourceEventId: string } | undefined {
    switch (decision.kind) {
      case 'respond':
      case 'team': {
        const [entity] = decision.kind === 'respond' ? decision.responders : decision.members;
        return entity === undefined ? undefined : { ...decision, entity };
      }
      case 'route':
        return { ...decision, entity: 'router' };
      case 'regenerate': {
        const [entity] = decision.responders;
        const turn =
          entity === undefined ? undefined : this.deps.turns.get(entity, decision.sourceEventId);
        return turn === undefined ? undefined : { ...turn, entity: turn.responder };
      }
      case 'ignore':
      case 'stop':
      case 'command':
      case 'interaction':
      case 'join':
        return undefined;
    }
  }

  /**
   * A conversation limit stopped a turn: its note goes into the thread once (the journal and
   * dispatch's note ledger keep later events from repeating it), from the router's account
   * where it is in the room, else from an entity that is. No model is called.
   */
  private postLimitNote(note: LimitNote, roomId: string): void {
    const joined = [...this.deps.rooms.joinedEntities(roomId)];
    const poster = joined.includes('router') ? 'router' : joined.sort()[0];
    this.deps.log.info('conversation limit reached', {
      limit: note.limit,
      roomId,
      threadRoot: note.threadRoot,
      source: note.sourceEventId,
    });
    if (poster === undefined) return;
    runTask(
      this.deps.notices.post(
        poster,
        { roomId, threadRoot: note.threadRoot, sourceEventId: note.sourceEventId },
        note.text,
        `limit-${note.limit}`,
        { [LIMIT_NOTE_KEY]: note.limit },
      ),
      { log: this.deps.log, what: 'limit note' },
    );
  }

  private notify(
    responder: string,
    place: { readonly roomId: string; readonly threadRoot: string; readonly sourceEventId: string },
    text: string,
    key: string,
  ): void {
    const entity = postingEntity(parseResponder(responder));
    runTask(this.deps.notices.post(entity, place, text, key), {
      log: this.deps.log,
      what: `${key} notice`,
    });
  }

  /** A handoff: the target agent answers the same source in the same thread. */
  private followUp(followUp: FollowUp): void {
    const { turn, target } = followUp;
    this.deps.log.info('handoff', { from: turn.responder, to: target });
    this.respond([target], turn);
  }

  private async regenerate(decision: Extract<Decision, { kind: 'regenerate' }>): Promise<void> {
    const { turns, coordinator, interactions } = this.deps;
    for (const responder of decision.responders) {
      interactions.cancelForTurn(responder, decision.sourceEventId);
      await coordinator.abort(
        responder,
        decision.sourceEventId,
        new AbortReason('superseded', 'the message was edited'),
      );
      turns.reopen(responder, decision.sourceEventId, decision.sourceVersion);
      const turn = turns.get(responder, decision.sourceEventId);
      if (turn !== undefined) this.launch(turn);
    }
  }

  private async stop(decision: Extract<Decision, { kind: 'stop' }>): Promise<void> {
    const { turns, coordinator, interactions } = this.deps;
    for (const turn of decision.turns) {
      const wasRunning = coordinator.isRunning(turn.responder, turn.sourceEventId);
      interactions.cancelForTurn(turn.responder, turn.sourceEventId);
      await coordinator.abort(
        turn.responder,
        turn.sourceEventId,
        new AbortReason('stopped', `stopped by ${decision.by}`),
      );
      if (!wasRunning) turns.finish(turn.responder, turn.sourceEventId, 'stopped');
    }
  }

  /** A reaction or reply deciding a card; a decision nobody waited for continues the conversation. */
  private async interaction(decision: Extract<Decision, { kind: 'interaction' }>): Promise<void> {
    const { interactions } = this.deps;
    const record = this.deps.interactionRecords.get(decision.interactionId);
    if (record === undefined) return;
    const respond = decision.via === 'reaction' ? interactions.onReaction : interactions.onReply;
    const continuation = await respond.call(
      interactions,
      record,
      decision.sender,
      decision.value,
      decision.eventId,
      decision.atMs,
    );
    if (continuation !== undefined) this.continueConversation(continuation);
  }

  /**
   * Continues a conversation whose turn was cut by a restart while it waited for the person:
   * a new turn of the asking agent, whose source is the person's deciding event.
   */
  private continueConversation({ record }: Continuation): void {
    const source = record.decidingEventId;
    if (source === undefined) return;
    this.deps.log.info('continuing a conversation after a restart', {
      agent: record.responder,
      interaction: record.id,
    });
    this.respond(
      [record.responder],
      {
        sourceEventId: source,
        sourceVersion: source,
        requester: record.requester,
        threadRoot: record.threadRoot ?? source,
        roomId: record.roomId,
      },
      { kind: 'continuation', record },
    );
  }

  private async join(decision: Extract<Decision, { kind: 'join' }>): Promise<void> {
    try {
      const roomId = await this.deps.joiner.join(decision.entity, decision.roomId);
      if (roomId === undefined) return;
      this.deps.rooms.setJoined(decision.entity, roomId, true);
      if (decision.isDirect && decision.inviter !== undefined) {
        this.deps.directRooms.add(decision.entity, roomId, decision.inviter);
        this.deps.rooms.markDirect(decision.entity, roomId);
      }
      this.deps.log.info('joined a room on invite', {
        entity: decision.entity,
        roomId,
        isDirect: decision.isDirect,
      });
    } catch (error: unknown) {
      this.deps.log.warn('could not accept an invite', {
        entity: decision.entity,
        roomId: decision.roomId,
        error,
      });
    }
  }
}
