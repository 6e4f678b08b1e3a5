export { createHttpApp } from './app.js';
export type { HttpAppOptions } from './app.js';
export { CompletionError } from './agent-completions.js';
export type {
  AgentCompletions,
  CompletionDelta,
  CompletionErrorCode,
  CompletionFinishReason,
  CompletionMessage,
  CompletionModel,
  CompletionRequest,
  CompletionResult,
  CompletionUsage,
} from './agent-completions.js';
export { isLoopbackHost } from './loopback.js';
export { HttpServer } from './http-server.js';
export type { HttpServerOptions } from './http-server.js';
export {
  DEFAULT_COMPLETION_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_CONCURRENT,
  mountOpenAiApi,
} from './openai-api.js';
export type { OpenAiApiOptions } from './openai-api.js';
export type { ApiScrubber } from './openai-stream.js';
export { errorResponse, failureOf } from './openai-errors.js';
export type { ErrorStatus, Failure, OpenAiErrorType } from './openai-errors.js';
export { checkApiExposure, checkBearer, parseApiKeys, parseEnvFlag } from './openai-auth.js';
export type { BearerCheck, OpenAiAuthSettings } from './openai-auth.js';
export { MAX_MESSAGES, MAX_TEXT_CHARS, parseChatRequest } from './openai-request.js';
export { detachedCompletions } from './detached-completions.js';
export type { DetachedTurnSource } from './detached-completions.js';
