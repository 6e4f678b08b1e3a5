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
