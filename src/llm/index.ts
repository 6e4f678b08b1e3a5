/**
 * The model layer: the ChatModel contract, the OpenAI-compatible and Anthropic adapters,
 * error mapping, retries with failover, and the registry that builds models from config.
 * Nothing outside this folder imports a provider SDK.
 */
export type {
  AssistantMessage,
  ChatCallOptions,
  ChatMessage,
  ChatModel,
  ChatRequest,
  ChatResponse,
  ChatStreamEvent,
  FinishReason,
  ImagePart,
  JsonSchemaResponseFormat,
  TextAttachmentPart,
  TextPart,
  ToolCall,
  ToolDefinition,
  ToolResultMessage,
  Usage,
  UserContentPart,
  UserMessage,
} from './chat-model.js';
export { collectChatStream } from './collect-stream.js';
export type { CollectStreamOptions } from './collect-stream.js';
export { callChatModel } from './model-call.js';
export type { ModelCallOptions } from './model-call.js';
export { parseJsonObject } from './json-output.js';
export {
  ModelError,
  RETRYABLE_MODEL_ERROR_CODES,
  modelErrorFromStatus,
  parseRetryAfterMs,
} from './errors.js';
export type { HeaderLookup, ModelErrorCode, ModelErrorDetails } from './errors.js';
export { OpenAiChatModel } from './openai-chat-model.js';
export type { OpenAiChatModelOptions } from './openai-chat-model.js';
export { AnthropicChatModel, DEFAULT_ANTHROPIC_MAX_TOKENS } from './anthropic-chat-model.js';
export type { AnthropicChatModelOptions } from './anthropic-chat-model.js';
export { DEFAULT_RETRY_POLICY, ResilientChatModel } from './resilient-chat-model.js';
export type {
  NamedChatModel,
  ResilientChatModelDeps,
  RetryPolicy,
} from './resilient-chat-model.js';
export {
  ModelConfigError,
  PROVIDERS,
  canonicalProvider,
  validateModelConfigs,
} from './model-config.js';
export type {
  ModelConfig,
  ModelConfigErrorCode,
  ModelConfigIssue,
  ProviderSpec,
} from './model-config.js';
export { ModelRegistry, PLACEHOLDER_API_KEY } from './model-registry.js';
export type { ModelEndpoint, ModelRegistryDeps } from './model-registry.js';
export { UnavailableChatModel } from './unavailable-chat-model.js';
export { toolCallFromJson } from './tool-arguments.js';
export { ScrubbingChatModel, scrubChatRequest } from './scrubbing-chat-model.js';
export { OpenAiEmbedder } from './embedder.js';
export type { EmbedOptions, Embedder, OpenAiEmbedderOptions } from './embedder.js';
export { createEmbedder, memoryLlmModelConfig } from './embedder-factory.js';
export type {
  EmbedderFactoryDeps,
  EmbedderResolution,
  EmbedderSettings,
  MemoryLlmSettings,
} from './embedder-factory.js';
export { GuardedEmbedder } from './guarded-embedder.js';
export type { EmbedderStatus, GuardedEmbedderDeps } from './guarded-embedder.js';
