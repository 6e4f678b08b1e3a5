import { askUserTool } from './ask-user-tool.js';
import { calculatorTool } from './calculator-tool.js';
import { currentTimeTool } from './current-time-tool.js';
import { matrixMessageTool } from './matrix-message-tool.js';
import { proposeConfigChangeTool } from './propose-config-change-tool.js';
import type { Tool } from './tool.js';
import { ToolRegistry } from './tool-registry.js';

/**
 * The tools Quorum ships, by name (MindRoom's names where MindRoom has the tool). `ask_user`
 * and `propose_config_change` need the `interactions` capability and are left out without it.
 */
export const BUILTIN_TOOLS: readonly Tool[] = [
  calculatorTool,
  currentTimeTool,
  matrixMessageTool,
  askUserTool,
  proposeConfigChangeTool,
];

/**
 * A new registry holding the built-in tools; add MCP or other tools to it with `register`.
 * Each call returns a fresh registry, so registering on one never affects another.
 */
export function createBuiltinToolRegistry(): ToolRegistry {
  return new ToolRegistry(BUILTIN_TOOLS);
}
