import { DaemonError } from '../shared/index.js';

/**
 * Codes of {@link StorageError}:
 * - `schema_too_new`: the database was written by a newer Quorum (its schema version is above
 *   the newest this one knows); it is left untouched. Data: `version`, `knownVersion`.
 * - `data_dir_locked`: another running Quorum holds the data directory's lock. Data: `owner`
 *   (what the other process wrote about itself, when readable).
 */
export type StorageErrorCode = 'schema_too_new' | 'data_dir_locked';

/** A storage problem the operator has to resolve; `message` says how. */
export class StorageError extends DaemonError<StorageErrorCode> {
  constructor(
    code: StorageErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, 'config', message);
    this.name = 'StorageError';
  }
}
