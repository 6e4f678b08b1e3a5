export type { AgentProfile, AgentSkill, PeerProfile } from './agent-profile.js';
export { MAX_TOOL_ITERATIONS, runAgentTurn } from './agent-turn.js';
export type {
  AgentTurnDeps,
  AgentTurnInput,
  TurnOutcome,
  TurnRecorder,
  TurnResult,
} from './agent-turn.js';
export { buildSystemPrompt, formatNow } from './prompt-builder.js';
export type { PromptContext } from './prompt-builder.js';
export { ReplyStream, SOURCE_EVENT_KEY, editIntervalMs } from './reply-stream.js';
export type { ReplyOutbox, ReplyOutcome, ReplyStreamOptions } from './reply-stream.js';
export { buildThreadHistory, latestText, messageText } from './thread-history.js';
export type { HistoryRequest, ThreadReader } from './thread-history.js';
export type { ToolCallContext, ToolResult, ToolRunner } from './tool-runner.js';
export { formatToolTrace, toolTraceDetails } from './tool-trace.js';
export type { ToolTraceEntry } from './tool-trace.js';
export { DEFAULT_ATTACHMENT_LIMITS, readAttachment } from './message-attachments.js';
export type { AttachmentLimits, AttachmentResult } from './message-attachments.js';
