import type { ChatModel } from '../llm/index.js';

/** Where a turn happens, for picking its model. */
export interface ModelScope {
  readonly entity: string;
  readonly roomId: string;
  readonly threadRoot: string;
}

/**
 * Picks and builds the model for a turn: the thread's `!model` choice, else the room's
 * `room_models` entry, else the entity's own model.
 */
export interface ModelProvider {
  /** The configured name of the model a turn in `scope` uses. */
  modelNameFor(scope: ModelScope): string;
  /** The model called `name` (with retries and failover). */
  model(name: string): ChatModel;
  /** Every configured model name. */
  names(): readonly string[];
}

/** The models of a config snapshot (the CLI wires llm's ModelRegistry). */
export interface ModelCatalog {
  model(name: string): ChatModel;
  names(): readonly string[];
}

/** An entity's configured model and per-room models (`room_models`, keyed by alias or id). */
export interface EntityModels {
  readonly model: string;
  readonly roomModels: Readonly<Record<string, string>>;
}

export interface ModelChoiceDeps {
  readonly catalog: () => ModelCatalog;
  /** The entity's models, or undefined when it is not configured. */
  readonly modelsOf: (entity: string) => EntityModels | undefined;
  /** The thread's `!model` choice, if any. */
  readonly threadModel: (roomId: string, threadRoot: string) => string | undefined;
  /** The alias Quorum knows for a room id, if any. */
  readonly aliasOf: (roomId: string) => string | undefined;
}

/** The fleet's model choice: the thread's `!model`, else `room_models`, else the entity's own. */
export function createModelProvider(deps: ModelChoiceDeps): ModelProvider {
  return {
    modelNameFor: (scope) => {
      const override = deps.threadModel(scope.roomId, scope.threadRoot);
      if (override !== undefined && deps.catalog().names().includes(override)) return override;
      const models = deps.modelsOf(scope.entity);
      if (models === undefined) return 'default';
      const alias = deps.aliasOf(scope.roomId);
      const roomModel = models.roomModels[alias ?? scope.roomId] ?? models.roomModels[scope.roomId];
      return roomModel ?? models.model;
    },
    model: (name) => deps.catalog().model(name),
    names: () => deps.catalog().names(),
  };
}
