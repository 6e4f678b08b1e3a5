/**
 * schedules/: due schedules as pipeline inputs. Requests are read by rules (or the router's
 * model), kept as SQLite rows, and fired exactly once per due time through a
 * `ScheduleFireSink` that dispatch implements.
 */
export { CronRule } from './cron-rule.js';
export type { CronParseResult } from './cron-rule.js';
export { extractHistory, MAX_HISTORY_LIMIT } from './history-phrases.js';
export type { HistoryChoice } from './history-phrases.js';
export type { ParseContext, ParsedTiming } from './parse-types.js';
export { ScheduleDeliveryRefused } from './schedule-fire.js';
export type {
  ScheduleFire,
  ScheduleFireSink,
  ScheduleNotice,
  ScheduleNoticeKind,
} from './schedule-fire.js';
export {
  INTERPRET_TIMEOUT_MS,
  MAX_MESSAGE_CHARS,
  SCHEDULE_SCHEMA,
  ScheduleInterpreter,
  readInterpretation,
} from './schedule-interpreter.js';
export type {
  InterpretInput,
  Interpretation,
  ScheduleInterpreterDeps,
} from './schedule-interpreter.js';
export { parseScheduleRequest } from './schedule-parser.js';
export type { RulesOutcome } from './schedule-parser.js';
export { ScheduleService, newScheduleId } from './schedule-service.js';
export type { ScheduleOptions, ScheduleServiceDeps } from './schedule-service.js';
export { checkMentions, checkTiming } from './schedule-checks.js';
export type {
  ScheduleEntity,
  ScheduleReply,
  ScheduleScope,
  ScheduleSettings,
} from './schedule-checks.js';
export { scheduleSettingsOf } from './schedule-settings.js';
export { DEFAULT_MAX_SLEEP_MS, MAX_TIMER_DELAY_MS, ScheduleTimer } from './schedule-timer.js';
export type { ScheduleTimerDeps } from './schedule-timer.js';
export { describeDelay, describeInstant } from './schedule-wording.js';
export type { TimeStyle } from './schedule-wording.js';
export { RUNTIME_TOLERANCE_MS, Scheduler } from './scheduler.js';
export type { SchedulerDeps } from './scheduler.js';
