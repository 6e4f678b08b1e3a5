/**
 * Schedules as one of dispatch's feeders, assembled: the ScheduleService behind `!schedule`
 * and the `scheduler` tools, one Scheduler (one re-armed timer), the sink that turns a due
 * schedule into a posted, admitted message, and the reader that turns that message back into
 * its creator's request for the dispatcher. The orchestrator builds one per process.
 */
import type { ModelCatalog, Responders } from '../agents/index.js';
import {
  createScheduleCommands,
  SCHEDULE_COMMAND_ALIASES,
  type Command,
} from '../commands/index.js';
import { configAuthorityRules, type QuorumConfig } from '../config/index.js';
import type { IngressSink } from '../ingress/index.js';
import type { ChatModel } from '../llm/index.js';
import { decodeEvent } from '../matrix/index.js';
import { isSenderAuthorized } from '../routing/index.js';
import {
  ScheduleInterpreter,
  ScheduleService,
  Scheduler,
  scheduleSettingsOf,
  type ScheduleEntity,
} from '../schedules/index.js';
import type { Clock, Logger, QuorumMetrics } from '../shared/index.js';
import type { IngressJournal, ScheduleStore, TurnRecord } from '../storage/index.js';
import {
  createSchedulerTools,
  SCHEDULER_TOOLKIT,
  staticToolSource,
  type ToolSource,
} from '../tools/index.js';
import type { FleetView, RoomMembership } from './dispatch-ports.js';
import { asScheduleFire, ScheduleFireInputs } from './schedule-fire-inputs.js';
import { PipelineFireSink } from './schedule-fire-sink.js';

/** Dependencies of {@link Scheduling}. */
export interface SchedulingDeps {
  readonly schedules: ScheduleStore;
  readonly journal: Pick<IngressJournal, 'admit' | 'get'>;
  /** The current config snapshot: `timezone`, the `quorum:` schedule keys, the config admins. */
  readonly config: () => QuorumConfig;
  /** The fleet as dispatch sees it (entities, authorization). */
  readonly fleet: () => FleetView;
  readonly rooms: RoomMembership;
  readonly responders: Responders;
  /** The configured models now (they change on reload). */
  readonly catalog: () => Pick<ModelCatalog, 'model'>;
  /** The router's model name now, for requests the rules do not read; `undefined`: rules only. */
  readonly routerModel: () => string | undefined;
  /** Where admitted fires go: the event pipeline (read at each fire, so it may be built later). */
  readonly pipeline: () => Pick<IngressSink, 'onAdmitted'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: QuorumMetrics;
  /** The fleet's lifetime: ends model calls of the service. */
  readonly lifetime: AbortSignal;
}

/**
 * Everything schedules need at run time, built once per process. `start` after the fleet has
 * booted (fires are posted by the running bots); `stop` before the bots and the store close:
 * deliveries in flight are cut and delivered again, under the same ids, on the next start.
 */
export class Scheduling {
  readonly service: ScheduleService;
  readonly scheduler: Scheduler;
  /** Reads posted fires back as their creators' messages (for the event pipeline). */
  readonly fires: ScheduleFireInputs;
  private readonly tools: ToolSource;
  private isStarted = false;

  constructor(private readonly deps: SchedulingDeps) {
    const { schedules, clock, log } = deps;
    const settings = (): ReturnType<typeof scheduleSettingsOf> => scheduleSettingsOf(deps.config());
    const mayUse = (userId: string, roomId: string): boolean =>
      isSenderAuthorized(deps.fleet().authorization, userId, roomId);
    const userIdOf = (name: string): string | undefined =>
      deps.fleet().entities.find((entity) => entity.name === name)?.userId;
    this.scheduler = new Scheduler({
      store: schedules,
      sink: new PipelineFireSink({ ...deps, userIdOf, fires: schedules }),
      clock,
      log: log.child({ component: 'scheduler' }),
      settings,
      mayUse,
      metrics: deps.metrics,
    });
    this.service = new ScheduleService({
      store: schedules,
      clock,
      log: log.child({ component: 'schedules' }),
      settings,
      mayUse,
      isAdmin: (userId) => configAuthorityRules(deps.config()).admins.has(userId),
      entities: (roomId) => this.entitiesIn(roomId),
      interpreter: new ScheduleInterpreter({ model: () => this.routerModel(), clock }),
      onChange: () => {
        this.scheduler.changed();
      },
      lifetime: deps.lifetime,
    });
    this.fires = new ScheduleFireInputs({ fires: schedules, log });
    this.tools = staticToolSource(SCHEDULER_TOOLKIT, createSchedulerTools(this.service));
  }

  /** Starts the timer (once; later calls do nothing): fires left undelivered go out first. */
  start(signal: AbortSignal): void {
    if (this.isStarted) return;
    this.isStarted = true;
    this.scheduler.start(signal);
  }

  /** Stops the timer and waits for deliveries in flight. Idempotent. */
  stop(): Promise<void> {
    return this.scheduler.stop();
  }

  /** `!schedule`, `!list_schedules`, `!cancel_schedule`, `!edit_schedule`. */
  commands(): readonly Command[] {
    return createScheduleCommands(this.service, {
      mentionsOf: (decision) => {
        const source = this.deps.journal.get(decision.sourceEventId);
        const decoded = source === undefined ? undefined : decodeEvent(source.event);
        return decoded?.kind === 'message'
          ? [...decoded.mentions.userIds, ...decoded.mentions.pills]
          : [];
      },
    });
  }

  /** The tool sources for an agent listing `toolNames`: the scheduler tools when it lists `scheduler`. */
  toolSources(toolNames: readonly string[]): readonly ToolSource[] {
    return toolNames.includes(SCHEDULER_TOOLKIT) ? [this.tools] : [];
  }

  /** The history limit of the schedule fire `turn` answers, if it answers one. */
  historyLimitOf(turn: Pick<TurnRecord, 'sourceEventId'>): number | undefined {
    const record = this.deps.schedules.fireByEvent(turn.sourceEventId);
    return record === undefined ? undefined : asScheduleFire(record.payload)?.historyLimit;
  }

  private routerModel(): ChatModel | undefined {
    const name = this.deps.routerModel();
    return name === undefined ? undefined : this.deps.catalog().model(name);
  }

  /** The agents and teams a schedule in `roomId` may mention. */
  private entitiesIn(roomId: string): ScheduleEntity[] {
    const joined = this.deps.rooms.joinedEntities(roomId);
    return this.deps
      .fleet()
      .entities.filter((entity) => entity.kind !== 'router')
      .map((entity) => ({
        name: entity.name,
        userId: entity.userId,
        displayName: entity.displayName,
        isInRoom: joined.has(entity.name),
      }));
  }
}

/** The command name MindRoom's spellings of the schedule commands stand for (`!listschedules`). */
export function canonicalCommandName(name: string): string {
  return Object.hasOwn(SCHEDULE_COMMAND_ALIASES, name)
    ? (SCHEDULE_COMMAND_ALIASES[name] ?? name)
    : name;
}
