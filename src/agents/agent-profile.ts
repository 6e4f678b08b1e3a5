/**
 * What an agent turn needs to know about the agent, resolved from the config by the
 * orchestrator (agents/ does not read the config format itself).
 */
export interface AgentProfile {
  readonly name: string;
  readonly displayName: string;
  readonly userId: string;
  readonly role: string;
  readonly instructions: readonly string[];
  /** Stream the reply as edits (`enable_streaming`). */
  readonly isStreaming: boolean;
  /** Render replies as Markdown (`markdown`). */
  readonly useMarkdown: boolean;
  /** Add a 🛑 reaction to in-progress replies (`show_stop_button`). */
  readonly showStopButton: boolean;
  /** How many earlier thread messages to send (from `num_history_runs` / `num_history_messages`). */
  readonly historyMessages: number;
  /** Built-in and MCP tool names the agent may call. */
  readonly tools: readonly string[];
  /** Skill texts (name, description, body) loaded for the agent. */
  readonly skills: readonly AgentSkill[];
  /** IANA time zone for the date and time in the prompt. */
  readonly timezone: string;
}

export interface AgentSkill {
  readonly name: string;
  readonly description: string;
  readonly body: string;
}

/** Another entity in the room, as the prompt describes it. */
export interface PeerProfile {
  readonly name: string;
  readonly displayName: string;
  readonly userId: string;
  readonly role: string;
}
