/**
 * agents/: one agent's turn, from a claimed turn record to its final reply: turn preparation
 * (history, context providers, handoff, system prompt, model choice, usage), the model and
 * tool loop with a streamed reply, the agent's tools, handoffs, the turn coordinator and
 * recovery after a crash. Teams (`teams/`) build on it; dispatch alone claims turns.
 */
export type { AgentProfile, AgentSkill, PeerProfile } from './agent-profile.js';
export { MAX_TOOL_ITERATIONS, runAgentTurn } from './agent-turn.js';
export type {
  AgentTurnDeps,
  AgentTurnInput,
  TurnOutcome,
  TurnRecorder,
  TurnResult,
} from './agent-turn.js';
export { AgentTurnRunner } from './agent-turn-runner.js';
export type { AgentTurnRunnerDeps, FollowUp, TurnRequest } from './agent-turn-runner.js';
export { createAgentMessaging } from './agent-messaging.js';
export type { AgentMessagingPorts, MessageTimeline, MessagingRooms } from './agent-messaging.js';
export { AgentTooling } from './agent-tooling.js';
export type {
  AgentToolHost,
  AgentToolingDeps,
  AgentToolSettings,
  ExtraToolSources,
  RoomDirectory,
  ToolChannel,
} from './agent-tooling.js';
export type { ContextProvider, ContextRequest, PromptSection } from './context-provider.js';
export {
  HANDOFF_TOOL_NAME,
  HandoffChain,
  HandoffLedger,
  MAX_HANDOFF_DEPTH,
  formatHandoffContext,
  handoffTargets,
  handoffToolDefinition,
  parseHandoffCall,
  validateHandoff,
  withHandoffTool,
} from './handoff.js';
export type {
  HandoffRefusal,
  HandoffValidation,
  ParsedHandoff,
  RequestedHandoff,
} from './handoff.js';
export { createModelProvider } from './model-choice.js';
export type {
  EntityModels,
  ModelCatalog,
  ModelChoiceDeps,
  ModelProvider,
  ModelScope,
} from './model-choice.js';
export { handoffPreamble, prepareTurn, sourceText } from './prepare-turn.js';
export type {
  HandoffNote,
  HistoryTrust,
  PreparedTurn,
  PrepareTurnDeps,
  TurnJournal,
  TurnSubject,
} from './prepare-turn.js';
export { buildSystemPrompt, formatNow } from './prompt-builder.js';
export type { PromptContext } from './prompt-builder.js';
export { ReplyStream, SOURCE_EVENT_KEY, editIntervalMs } from './reply-stream.js';
export type {
  ReplyDetail,
  ReplyOutbox,
  ReplyOutcome,
  ReplySink,
  ReplyStreamOptions,
} from './reply-stream.js';
export {
  adHocResponder,
  parseResponder,
  postingEntity,
  responderKey,
  responderMembers,
} from './responder.js';
export type { Responder, TeamMode } from './responder.js';
export { buildThreadHistory, isRedacted, latestText, messageText } from './thread-history.js';
export type { HistoryRequest, ThreadReader } from './thread-history.js';
export { formatToolTrace, toolTraceDetails } from './tool-trace.js';
export type { ToolTraceEntry } from './tool-trace.js';
export { DEFAULT_ATTACHMENT_LIMITS, readAttachment } from './message-attachments.js';
export type { AttachmentLimits, AttachmentResult } from './message-attachments.js';
export { TurnCoordinator } from './turn-coordinator.js';
export { findReplyInThread, findTurnsToResume } from './turn-recovery.js';
export type { RecoveryStore, TurnRecoveryDeps } from './turn-recovery.js';
export type {
  AgentTools,
  FleetDirectory,
  ResponderHandle,
  Responders,
  TurnStore,
} from './turn-ports.js';
export { usageRecorder } from './usage-recorder.js';
export type { UsageOwner, UsageSink } from './usage-recorder.js';
export {
  conversationHistory,
  DETACHED_ROOM,
  DetachedAgentRunner,
  DetachedTurnError,
} from './detached-turn.js';
export type {
  DetachedAgentRunnerDeps,
  DetachedMessage,
  DetachedRequest,
  DetachedResult,
  DetachedTurnErrorCode,
} from './detached-turn.js';
