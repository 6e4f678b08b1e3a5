/**
 * config/: loading, validating and diffing Quorum's `config.yaml` (MindRoom's format), the
 * effective per-entity specs derived from it, reload plans, and the live-reload watcher.
 */
export { applyConfigEdit } from './apply-config-edit.js';
export type { ConfigWriteResult } from './apply-config-edit.js';
export {
  configAuthorityRules,
  decideConfigEdit,
  decideConfigView,
  decideUsageView,
  PROTECTED_CONFIG_PATHS,
  protectedPathProblem,
} from './config-authority.js';
export type {
  ConfigAccessSource,
  ConfigAccessVerdict,
  ConfigAuthorityRules,
  ConfigEditRequest,
  ConfigRefusalReason,
} from './config-authority.js';
export { diffConfigFiles, validateConfigFile } from './config-commands.js';
export {
  proposeConfigSet,
  proposeConfigUnset,
  REDACTED_VALUE,
  showConfigPath,
} from './config-editor.js';
export type {
  ConfigEditOptions,
  ConfigEditProposal,
  ConfigShowResult,
  ConfigValidationSummary,
} from './config-editor.js';
export { configPathScope, parseConfigPath } from './config-path.js';
export type { ConfigPathParse, ConfigPathScope } from './config-path.js';
export type { CommandOutcome } from './config-commands.js';
export { chokidarWatchSource, ConfigWatcher, DEFAULT_CONFIG_QUIET_MS } from './config-watcher.js';
export type { ConfigWatcherDeps, WatchSource, WatchSourceFactory } from './config-watcher.js';
export type {
  AgentSpec,
  EntityKind,
  EntitySpec,
  HistoryPolicy,
  ManagedRoom,
  ModelEndpoint,
  ResolvedAuthorization,
  ResolvedModel,
  RouteTarget,
  RouterSpec,
  StreamingCadence,
  TeamSpec,
} from './entity-spec.js';
export type { ConfigErrorCode } from './errors.js';
export { canonicalJson, fingerprintOf } from './fingerprint.js';
export { parseFrontMatter } from './front-matter.js';
export type { FrontMatterResult } from './front-matter.js';
export type { ConfigEnv, SecretFileReader, Substitution } from './interpolate-env.js';
export {
  CREDENTIAL_ENV_NAMES,
  isSecretEnvName,
  isSecretField,
  isSecretKeyName,
  MATRIX_CREDENTIAL_ENV_NAMES,
} from './secret-env.js';
export { formatIssues, formatPath, formatWarnings } from './issues.js';
export type { ConfigIssue, ConfigWarning, PathSegment } from './issues.js';
export { DEFAULT_DIFF_CONTEXT_LINES, unifiedLineDiff } from './line-diff.js';
export { loadConfigFile } from './load-config-file.js';
export type { ConfigLoadResult } from './load-config-file.js';
export { UNSUPPORTED_MINDROOM_KEYS } from './mindroom-compat.js';
export { hashConfigText, parseConfig } from './parse-config.js';
export type { ConfigParseResult, ParseConfigOptions } from './parse-config.js';
export { diffFields, formatPlan, planReload } from './plan-reload.js';
export type { EntityAction, EntityPlan, ReloadPlan } from './plan-reload.js';
export { PROVIDER_NAMES, PROVIDERS } from './providers.js';
export type { ModelWire, ProviderInfo, ProviderName } from './providers.js';
export { normalizeRoomRef, resolveEntitySpecs } from './resolve-entities.js';
export type { ResolveOptions } from './resolve-entities.js';
export { DEFAULT_DATA_DIR_NAME, resolvePaths } from './resolve-paths.js';
export type { ResolvedPaths, ResolvePathsInput } from './resolve-paths.js';
export type {
  AgentConfig,
  AuthorizationConfig,
  DeepReadonly,
  DefaultsConfig,
  KnowledgeBaseConfig,
  McpServerConfig,
  McpServerExposureConfig,
  MemoryConfig,
  ModelConfig,
  QuorumConfig,
  QuorumSettings,
  RoomConfig,
  RouterConfig,
  TeamConfig,
  ToolApprovalConfig,
} from './schema.js';
export {
  fetchUrlToolOverridesSchema,
  fileToolOverridesSchema,
  isQuorumToolName,
  isServiceToolName,
  MCP_TOOL_PREFIX,
  matrixMessageToolOverridesSchema,
  mcpServerIdOf,
  mcpToolOverridesSchema,
  MINDROOM_TOOL_NAMES,
  parseMcpToolOverrides,
  parseToolOptions,
  QUORUM_TOOL_NAMES,
  SERVICE_TOOL_NAMES,
  shellToolOverridesSchema,
} from './tool-settings.js';
export type { McpToolOverrides, QuorumToolName, QuorumToolOptions } from './tool-settings.js';
export { DEFAULT_TEAM_MAX_TOKENS, DEFAULT_TEAM_MAX_TURNS } from './schema-entities.js';
export { ROUTER_NAME } from './schema-primitives.js';
export type { ToolEntry } from './schema-primitives.js';
