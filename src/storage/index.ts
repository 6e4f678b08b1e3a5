export type { StoredAccount } from './account-store.js';
export type { Admission, JournalEntry, JournalEventInput } from './journal-records.js';
export type {
  ApprovalPayload,
  ConfigChangePayload,
  InteractionDecision,
  InteractionKind,
  InteractionPayloads,
  InteractionRecord,
  InteractionSpec,
  InteractionState,
  NewInteraction,
  QuestionPayload,
} from './interaction-store.js';
export { OPEN_TURN_STATES } from './response-tracker.js';
export type { ClaimInput, TurnRecord, TurnState } from './response-tracker.js';
export { QuorumStore } from './store.js';
export type { UsageRecord, UsageTotals } from './usage-store.js';
export type { AccountStore } from './account-store.js';
export type { DirectRoomStore } from './direct-rooms.js';
export type { IngressJournal } from './ingress-journal.js';
export type { InteractionStore } from './interaction-store.js';
export type { ResponseTracker } from './response-tracker.js';
export type { ThreadSettingsStore } from './thread-settings.js';
export type { UsageStore } from './usage-store.js';
export type { TeamStateStore } from './team-state-store.js';
export type { StoredTeamState, TeamStateSnapshot } from './team-state-store.js';
export { RETENTION_MS, startRetention } from './retention.js';
export { ScheduleStore } from './schedule-store.js';
export { fireIdOf } from './schedule-records.js';
export type {
  ClaimOutcome,
  FireBinding,
  FireClaim,
  FireKind,
  FireRecord,
  FireState,
  InsertScheduleOutcome,
  NewSchedule,
  ScheduleAdvance,
  ScheduleChanges,
  ScheduleLimits,
  ScheduleRecord,
  ScheduleState,
  StoredTiming,
} from './schedule-records.js';
export { DataDirLock, lockPaths, readOwner } from './data-dir-lock.js';
export type { LockOwner } from './data-dir-lock.js';
export { StorageError } from './errors.js';
export type { StorageErrorCode } from './errors.js';
export {
  COMMON_TERM_DOCS,
  HybridSearch,
  RRF_K,
  SYNC_LOAD_ROWS,
  fuseRanks,
  keywordQuery,
  keywordTerms,
  scopeToken,
} from './hybrid-search.js';
export type { HybridHit, HybridQuery, HybridSearchOptions } from './hybrid-search.js';
export { KnowledgeIndexStore, isCorruptionError } from './knowledge-index.js';
export { KNOWLEDGE_SCHEMA_VERSION } from './knowledge-schema.js';
export type { ChunkHit, ChunkInput, IndexedFile } from './knowledge-index.js';
export { MemoryStore } from './memory-store.js';
export type {
  ExtractionKey,
  MemoryHit,
  MemoryOrigin,
  MemoryScopeKind,
  NewMemory,
  StoredMemory,
} from './memory-store.js';
export { VectorSet, blobToVector, quantize, vectorKernel, vectorToBlob } from './vector-set.js';
export type { VectorHit } from './vector-set.js';
