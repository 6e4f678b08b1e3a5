import type { QuorumStore } from '../storage/index.js';
import type { Fleet } from './fleet.js';
import type { RoomRegistry } from './room-registry.js';
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

/** Builds the models of a config snapshot (the CLI wires llm's ModelRegistry). */
export interface ModelCatalog {
  model(name: string): ChatModel;
  names(): readonly string[];
}

export interface ModelProviderDeps {
  readonly catalog: () => ModelCatalog;
  readonly fleet: () => Fleet;
  readonly store: QuorumStore;
  readonly registry: RoomRegistry;
}

/** The fleet's model choice: the thread's `!model`, else `room_models`, else the entity's own. */
export function createModelProvider(deps: ModelProviderDeps): ModelProvider {
  return {
    modelNameFor: (scope) => {
      const override = deps.store.threadSettings.get(scope.roomId, scope.threadRoot, 'model');
      if (override !== undefined && deps.catalog().names().includes(override)) return override;
      const spec = deps.fleet().spec(scope.entity);
      if (spec === undefined) return 'default';
      const alias = deps.registry.aliasOf(scope.roomId);
      const roomModel = spec.roomModels[alias ?? scope.roomId] ?? spec.roomModels[scope.roomId];
      return roomModel?.name ?? spec.model.name;
    },
    model: (name) => deps.catalog().model(name),
    names: () => deps.catalog().names(),
  };
}
