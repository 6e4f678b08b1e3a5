export { AbortReason, abortKindOf, isAbortError, isAborted, linkSignal } from './abort.js';
export type { AbortReasonKind, LinkedSignal } from './abort.js';
export { startDeadline } from './deadline.js';
export type { Deadline } from './deadline.js';
export { exponentialBackoffMs, linearBackoffMs } from './backoff.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { DaemonError, asDaemonError, describeError, hasErrorCode, toError } from './errors.js';
export type { DaemonErrorOptions, ErrorKind } from './errors.js';
export { asEventId, asRoomAlias, asRoomId, asUserId, localpartOf, serverNameOf } from './ids.js';
export type { EventId, RoomAlias, RoomId, UserId } from './ids.js';
export { createLogger, parseLogLevel, redactText, redactValue, silentLogger } from './logger.js';
export type { LogFields, LogLevel, Logger, LoggerOptions } from './logger.js';
export { runTask } from './task.js';
export type { TaskFailureCounter } from './task.js';
export { EVENT_LOOP_SAMPLE_MS, startEventLoopMonitor } from './event-loop-monitor.js';
export { MetricsRegistry, QuorumMetrics } from './metrics.js';
export type { Counter, Gauge, Histogram, Labels } from './metrics.js';
export type {
  EntityHealth,
  HealthSource,
  McpServerHealth,
  ReadinessReport,
  ServiceHealth,
} from './health.js';
export { Supervisor } from './supervisor.js';
export type {
  StartGate,
  SupervisedRun,
  SupervisedState,
  SupervisedStatus,
  SupervisorOptions,
} from './supervisor.js';
export {
  DEFAULT_MIN_SECRET_LENGTH,
  REDACTED_SECRET,
  scrubDeep,
  SecretScrubber,
} from './secret-scrubber.js';
export type { SecretScrubberOptions, TextScrubber, TextStreamScrubber } from './secret-scrubber.js';
