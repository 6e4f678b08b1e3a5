/**
 * memory/: what agents remember about people across conversations. Scopes (agent × person by
 * default, optional room and team scopes), MindRoom's memory tools, automatic recall as a
 * prompt section, automatic extraction after a conversation goes quiet, and the
 * `ContextProvider` contract the turn runner calls for prompt context.
 */
export { byteLength, clipBytes, combineContextProviders, oneLine } from './context-provider.js';
export type {
  ContextOptions,
  ContextProvider,
  ContextRequest,
  ContextSection,
} from './context-provider.js';
export { MemoryExtractor, extractionSettingsFromConfig } from './memory-extractor.js';
export type {
  ConversationMessage,
  ConversationSource,
  ExtractionSettings,
  MemoryExtractorDeps,
} from './memory-extractor.js';
export {
  personCollection,
  readableCollections,
  roomCollection,
  teamMembersOf,
  teamOwner,
} from './memory-scopes.js';
export type { ReadableCollection, ScopePolicy } from './memory-scopes.js';
export {
  MAX_MEMORIES_PER_SCOPE,
  MAX_MEMORY_CHARS,
  MemoryError,
  MemoryService,
  RECALL_EMBED_TIMEOUT_MS,
  RECALL_MIN_SIMILARITY,
  memorySettingsFromConfig,
} from './memory-service.js';
export type {
  MemoryActor,
  MemoryErrorCode,
  MemoryServiceDeps,
  MemorySettings,
} from './memory-service.js';
export { MEMORY_TOOLKIT, MEMORY_TOOL_NAMES, createMemoryTools } from './memory-tools.js';
