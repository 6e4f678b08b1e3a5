import { HandoffLedger, isRedacted } from '../agents/index.js';
import type { IngressSink } from '../ingress/index.js';
import { decodeEvent, type RoomInvite } from '../matrix/index.js';
import { decide, toDispatchInput, type Decision, type DispatchInput } from '../routing/index.js';
import {
  runTask,
  type Clock,
  type Logger,
  type QuorumMetrics,
  type RoomId,
} from '../shared/index.js';
import type { JournalEntry, ThreadSettingsStore } from '../storage/index.js';
import { LimitNoteLedger } from './conversation-inputs.js';
import { buildDecisionContext, type DecisionContextDeps } from './decision-context.js';
import { summarizeDecision } from './decision-summary.js';
import { decideScheduleFire, type ScheduleFireReader } from './schedule-fire-inputs.js';
import type {
  DispatchInteractions,
  DispatchJournal,
  DispatchTurns,
  DispatchUsage,
  FleetView,
  GrantRooms,
  RoomMembership,
} from './dispatch-ports.js';

/** Carries out decisions (starting turns, stopping, commands, joins). */
export interface DecisionExecutor {
  execute(decision: Decision, input: DispatchInput): Promise<void>;
}

export interface EventPipelineDeps {
  readonly journal: DispatchJournal;
  readonly turns: DispatchTurns;
  readonly interactions: DispatchInteractions;
  readonly threadSettings: Pick<ThreadSettingsStore, 'get' | 'set'>;
  readonly rooms: RoomMembership;
  readonly fleet: () => FleetView;
  readonly executor: DecisionExecutor;
  /** Tokens spent per thread, for `quorum.thread_token_budget`. */
  readonly usage?: DispatchUsage;
  /** Members of the grant rooms of `agent_reply_permissions`; absent: no grant room grants. */
  readonly grantRooms?: GrantRooms;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: QuorumMetrics;
  /** Reads posted schedule fires as their creators' messages (absent: no schedules). */
  readonly scheduleFires?: ScheduleFireReader;
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
  private readonly contextDeps: DecisionContextDeps;

  constructor(private readonly deps: EventPipelineDeps) {
    this.contextDeps = {
      fleet: deps.fleet,
      journal: deps.journal,
      turns: deps.turns,
      interactions: deps.interactions,
      rooms: deps.rooms,
      handoffs: new HandoffLedger(deps.threadSettings),
      ...(deps.usage === undefined ? {} : { usage: deps.usage }),
      notes: new LimitNoteLedger(),
      now: () => deps.clock.now(),
    };
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
    for (const roomId of roomIds) this.deps.rooms.setJoined(bot, roomId, false);
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
    const undecided = this.deps.journal.listUndecided();
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
    // The journal's copy, not the one queued: a redaction admitted meanwhile removed its text.
    const entry = this.deps.journal.get(work.entry.eventId) ?? work.entry;
    this.trackMembership(entry);
    if (entry.isHistory) return;
    if (isRedacted(entry)) {
      this.deps.journal.markDecided(entry.eventId, 'ignore:redacted');
      return;
    }
    const fire = this.deps.scheduleFires?.read(entry, this.deps.fleet);
    const input =
      fire === undefined
        ? toDispatchInput(entry, (eventId) => this.deps.journal.get(eventId))
        : fire.kind === 'fire'
          ? fire.input
          : undefined;
    if (input === undefined) {
      this.deps.journal.markDecided(entry.eventId, 'none');
      return;
    }
    const decision = await this.decideAndExecute(input, fire !== undefined);
    this.deps.journal.markDecided(entry.eventId, summarizeDecision(decision));
  }

  private async decideAndExecute(input: DispatchInput, isScheduleFire = false): Promise<Decision> {
    const grants = await this.deps.grantRooms?.members();
    const context = buildDecisionContext(input, this.contextDeps, grants);
    const decision =
      isScheduleFire && input.kind === 'message'
        ? decideScheduleFire(input, context)
        : decide(input, context);
    if (decision.kind === 'ignore' && decision.note !== undefined) {
      const { note } = decision;
      this.contextDeps.notes.record(
        input.roomId,
        note.threadRoot,
        note.limit,
        this.noteTime(input),
      );
    }
    const reason = decision.kind === 'ignore' ? decision.reason : decision.kind;
    this.deps.metrics.decisions.inc({ kind: decision.kind, reason });
    if (decision.kind !== 'ignore' || this.deps.log.isEnabled('debug')) {
      this.deps.log[decision.kind === 'ignore' ? 'debug' : 'info']('dispatch decision', {
        input: input.kind,
        roomId: input.roomId,
        event: 'eventId' in input ? input.eventId : undefined,
        decision: summarizeDecision(decision),
      });
    }
    await this.deps.executor.execute(decision, input);
    return decision;
  }

  /** When the event that hit a limit happened (the ledger compares it to the last person's message). */
  private noteTime(input: DispatchInput): number {
    return 'originTs' in input ? input.originTs : this.deps.clock.now();
  }

  /**
   * Keeps the room registry current from the membership events of Quorum's own accounts,
   * and the grant rooms' members from everyone's.
   */
  private trackMembership(entry: JournalEntry): void {
    if (entry.type !== 'm.room.member') return;
    const decoded = decodeEvent(entry.event);
    if (decoded.kind !== 'membership') return;
    this.deps.grantRooms?.onMembership(entry.roomId, decoded.userId, decoded.membership);
    const entity = this.deps.fleet().entityOf(decoded.userId);
    if (entity === undefined) return;
    if (decoded.membership === 'join') this.deps.rooms.setJoined(entity, entry.roomId, true);
    if (decoded.membership === 'leave' || decoded.membership === 'ban') {
      this.deps.rooms.setJoined(entity, entry.roomId, false);
    }
  }
}
