/**
 * Error codes thrown by `config/`. Expected config problems are never thrown: they are
 * returned as `ConfigIssue` values. A code here means a caller broke a contract.
 *
 * - `config_unresolvable` (kind `internal`): `resolveEntitySpecs` was given a config whose
 *   references do not resolve (a model, agent or knowledge base that does not exist, or a model
 *   whose provider Quorum cannot reach). `parseConfig` rejects such configs, so this means the
 *   config did not come from `parseConfig`. The message names the missing piece.
 */
export type ConfigErrorCode = 'config_unresolvable';
