import type { Tool } from './tool.js';

/** Tool names the model accepts: OpenAI and Anthropic both require this pattern. */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The tools an agent could be given, by name. Built once per process (the built-ins, plus
 * MCP tools when those exist) and shared by every agent's runner; a runner picks the names
 * its agent lists. Names are case-sensitive and unique.
 */
export class ToolRegistry {
  private readonly tools = new Map<string, Tool>();

  /** A registry holding `tools`; throws like {@link ToolRegistry.register} on a bad entry. */
  constructor(tools: Iterable<Tool> = []) {
    for (const tool of tools) this.register(tool);
  }

  /**
   * Adds `tool`. Throws an `Error` when the name is not 1–64 letters, digits, `_` or `-`
   * (providers reject such names), or is already registered: both are programming errors.
   */
  register(tool: Tool): this {
    if (!TOOL_NAME.test(tool.name)) throw new Error(`invalid tool name '${tool.name}'`);
    if (this.tools.has(tool.name)) throw new Error(`tool '${tool.name}' is already registered`);
    this.tools.set(tool.name, tool);
    return this;
  }

  /** The tool called `name`, or `undefined`. */
  get(name: string): Tool | undefined {
    return this.tools.get(name);
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.tools.keys()];
  }
}
