import {
  parseToolOptions,
  QUORUM_TOOL_NAMES,
  type QuorumToolName,
  type QuorumToolOptions,
} from '../config/index.js';
import { askUserTool } from './ask-user-tool.js';
import { calculatorTool } from './calculator-tool.js';
import { currentTimeTool } from './current-time-tool.js';
import { createFetchUrlTool, type HostResolver } from './fetch-url-tool.js';
import { createFileTools } from './file-tool.js';
import { createMatrixMessageTool, matrixMessageTool } from './matrix-message-tool.js';
import { proposeConfigChangeTool } from './propose-config-change-tool.js';
import { createShellTool, type ShellBaseEnv } from './shell-tool.js';
import type { Tool } from './tool.js';
import { ToolRegistry } from './tool-registry.js';

/**
 * The tools Quorum ships whose behaviour needs no per-agent options, by name (MindRoom's names
 * where MindRoom has the tool). `ask_user` and `propose_config_change` need the
 * `interactions` capability and are left out without it. `fetch_url`, `file` and `shell`
 * are built per agent from their options (see {@link createBuiltinTools}).
 */
export const BUILTIN_TOOLS: readonly Tool[] = [
  calculatorTool,
  currentTimeTool,
  matrixMessageTool,
  askUserTool,
  proposeConfigChangeTool,
];

/** What built-in tools need from the host, injected by the CLI (and by tests). */
export interface BuiltinToolHost {
  /** Environment a `shell` command starts from (`PATH`, `LANG`, …); never the daemon's whole env. */
  readonly shellEnv: ShellBaseEnv;
  /** DNS for `fetch_url`; the system resolver when absent. */
  readonly resolver?: HostResolver;
}

type Factory<Name extends QuorumToolName> = (
  options: QuorumToolOptions[Name],
  host: BuiltinToolHost,
) => readonly Tool[];

const FACTORIES: { readonly [Name in QuorumToolName]: Factory<Name> } = {
  calculator: () => [calculatorTool],
  current_time: () => [currentTimeTool],
  matrix_message: (options) => [createMatrixMessageTool(options)],
  ask_user: () => [askUserTool],
  propose_config_change: () => [proposeConfigChangeTool],
  fetch_url: (options, host) => [createFetchUrlTool(options, host.resolver)],
  file: (options) => createFileTools(options),
  shell: (options, host) => createShellTool(options, host.shellEnv),
  // Served per process by the ScheduleService, as an agent's extra tool source (see
  // `SCHEDULER_TOOLKIT`): it needs the daemon's schedules, not per-agent options.
  scheduler: () => [],
};

/**
 * The model-visible tools of config entry `name` with its raw `overrides` (validated at
 * load): one tool for most entries, MindRoom's function names for `file` (`read_file`,
 * `save_file`, `list_files`, `delete_file`) and `shell` (`run_shell_command`).
 */
export function createBuiltinTools(
  name: QuorumToolName,
  overrides: Readonly<Record<string, unknown>>,
  host: BuiltinToolHost,
): readonly Tool[] {
  const factory = FACTORIES[name] as Factory<QuorumToolName>;
  return factory(parseToolOptions(name, overrides), host);
}

/** Every Quorum tool name (as in `tools:`); the same list the config is checked against. */
export const BUILTIN_TOOL_NAMES: readonly QuorumToolName[] = QUORUM_TOOL_NAMES;

/**
 * A new registry holding {@link BUILTIN_TOOLS}; add other tools to it with `register`.
 * Each call returns a fresh registry, so registering on one never affects another.
 */
export function createBuiltinToolRegistry(): ToolRegistry {
  return new ToolRegistry(BUILTIN_TOOLS);
}
