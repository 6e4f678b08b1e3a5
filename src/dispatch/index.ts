/**
 * dispatch/: one decision per admitted event, in per-room lanes: builds the dispatcher's
 * context from the stores, asks `routing/`'s pure `decide`, and carries the decision out. It
 * is the only code that claims a turn: new messages, routed messages, edits, handoffs,
 * continuations after a restart and resumed turns all become claims here.
 */
export { buildDecisionContext } from './decision-context.js';
export type { DecisionContextDeps } from './decision-context.js';
export { FleetDecisionExecutor } from './decision-executor.js';
export type { FleetDecisionExecutorDeps } from './decision-executor.js';
export { summarizeDecision } from './decision-summary.js';
export type {
  CommandHandler,
  DispatchInteractions,
  DispatchJournal,
  DispatchNotices,
  DispatchTurns,
  DispatchUsage,
  FleetView,
  GrantRooms,
  NoticePlace,
  RoomJoiner,
  RoomMembership,
  RouteResolver,
} from './dispatch-ports.js';
export { EventPipeline } from './event-pipeline.js';
export { GrantRoomMembership } from './grant-room-membership.js';
export type { GrantRoomMembershipDeps } from './grant-room-membership.js';
export { senderTrust } from './sender-trust.js';
export type { SenderTrust, SenderTrustDeps } from './sender-trust.js';
export type { DecisionExecutor, EventPipelineDeps } from './event-pipeline.js';
export { createRouterResolver } from './router-resolver.js';
export type { RouterResolverDeps } from './router-resolver.js';
export { outboxNotices } from './outbox-notices.js';
export { PipelineFireSink, SCHEDULE_FIRE_KEY, fireMessage } from './schedule-fire-sink.js';
export type { PipelineFireSinkDeps } from './schedule-fire-sink.js';
export { ScheduleFireInputs, asScheduleFire, decideScheduleFire } from './schedule-fire-inputs.js';
export type {
  ScheduleFireInput,
  ScheduleFireInputsDeps,
  ScheduleFireReader,
} from './schedule-fire-inputs.js';
export { Scheduling, canonicalCommandName } from './scheduling.js';
export type { SchedulingDeps } from './scheduling.js';
export { TurnAdmission, turnLimitsOf } from './turn-admission.js';
export type { AdmissionOutcome, AdmittedTurn, RateVerdict, TurnLimits } from './turn-admission.js';
