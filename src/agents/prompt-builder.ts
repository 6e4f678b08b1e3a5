import type { AgentProfile, PeerProfile } from './agent-profile.js';

export interface PromptContext {
  readonly agent: AgentProfile;
  readonly nowMs: number;
  readonly roomId: string;
  readonly roomName: string | undefined;
  readonly threadRoot: string;
  /** Other agents and teams present in the room. */
  readonly peers: readonly PeerProfile[];
  /** Extra context blocks from context providers (team state, memory). */
  readonly extraSections?: readonly { readonly title: string; readonly body: string }[];
  /**
   * Where the conversation happens when it is not a Matrix room (e.g. `the OpenAI-compatible
   * API`): replaces the room and thread lines.
   */
  readonly channel?: string;
}

/** The date and time in `timezone`, e.g. `Tuesday, 24 November 2026, 14:05 (Europe/Berlin)`. */
export function formatNow(nowMs: number, timezone: string): string {
  return `${dateTimeFormatFor(timezone).format(new Date(nowMs))} (${timezone})`;
}

/** Formatters by time zone: building one costs far more than formatting with it. */
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

function dateTimeFormatFor(timezone: string): Intl.DateTimeFormat {
  let format = dateTimeFormats.get(timezone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: timezone,
      weekday: 'long',
      year: 'numeric',
      month: 'long',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    });
    // Time zones come from the config, so the map stays small.
    dateTimeFormats.set(timezone, format);
  }
  return format;
}

/**
 * The system prompt of one agent turn: identity and role, instructions, the current date and
 * time in the configured time zone, where the conversation happens, who else is present, and
 * the agent's skills.
 */
export function buildSystemPrompt(context: PromptContext): string {
  const { agent } = context;
  const sections: string[] = [];
  sections.push(
    `You are ${agent.displayName} (Matrix user ${agent.userId}), an AI agent in a Matrix chat.` +
      (agent.role.length > 0 ? `\nYour role: ${agent.role}` : ''),
  );
  if (agent.instructions.length > 0) {
    sections.push(`## Instructions\n${agent.instructions.map((line) => `- ${line}`).join('\n')}`);
  }
  const where =
    context.roomName === undefined ? context.roomId : `${context.roomName} (${context.roomId})`;
  const place =
    context.channel === undefined
      ? `- Room: ${where}\n- Thread: ${context.threadRoot}\n`
      : `- Channel: ${context.channel} (not a Matrix room)\n`;
  sections.push(
    `## Context\n- Current date and time: ${formatNow(context.nowMs, agent.timezone)}\n` +
      place +
      '- Messages from other participants are prefixed with their name. Reply with your answer only, without a name prefix.',
  );
  if (context.peers.length > 0) {
    const lines = context.peers.map(
      (peer) =>
        `- ${peer.displayName} (@${peer.name}, ${peer.userId})${peer.role.length > 0 ? `: ${peer.role}` : ''}`,
    );
    sections.push(
      `## Other agents in this room\n${lines.join('\n')}\nMention one with @name only when you want it to act.`,
    );
  }
  for (const skill of agent.skills) {
    sections.push(`## Skill: ${skill.name}\n${skill.description}\n\n${skill.body.trim()}`);
  }
  for (const extra of context.extraSections ?? []) {
    sections.push(`## ${extra.title}\n${extra.body.trim()}`);
  }
  return sections.join('\n\n');
}
