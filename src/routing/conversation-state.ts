/**
 * The dispatcher's conversation-limit inputs, computed from a thread's journal entries:
 * how many agent-to-agent hops happened since the last message from a person, and which
 * limit notes were already posted since then. Pure; dispatch passes the thread's entries.
 */
import type { LimitKind } from './dispatch-types.js';

/**
 * The content key a limit note carries (`extraContent` of the notice), naming its
 * `LimitKind`, so later events can tell the note is already in the thread.
 */
export const LIMIT_NOTE_KEY = 'io.quorum.limit_note';

/** One thread event as the journal holds it. */
export interface ThreadEventView {
  readonly sender: string;
  readonly type: string;
  /** The dispatcher's recorded decision (`respond:calc:mention`, `ignore:…`), if decided. */
  readonly decision: string | undefined;
  readonly content: Readonly<Record<string, unknown>>;
}

/** What {@link conversationState} found. */
export interface ConversationState {
  /** Turns that messages of Quorum's accounts started since the last message from a person. */
  readonly agentHops: number;
  /** Limit notes posted since the last message from a person. */
  readonly notedLimits: ReadonlySet<LimitKind>;
}

/** Whether a recorded decision started a turn (the journal's `respond:` / `team:` summaries). */
export function isTurnDecision(decision: string | undefined): boolean {
  return (
    decision !== undefined && (decision.startsWith('respond:') || decision.startsWith('team:'))
  );
}

/**
 * Counts back from the newest entry of `events` (oldest first) to the last message from a
 * person (a sender `isEntity` rejects; bots outside Quorum count as people here): every
 * message of Quorum's own accounts whose decision started a turn is one hop, and every limit
 * note (content with {@link LIMIT_NOTE_KEY}) is noted. The event being decided must not be in
 * `events` (or must be undecided).
 */
export function conversationState(
  events: readonly ThreadEventView[],
  isEntity: (userId: string) => boolean,
  startedTurn: (decision: string | undefined) => boolean = isTurnDecision,
): ConversationState {
  let agentHops = 0;
  const notedLimits = new Set<LimitKind>();
  for (let index = events.length - 1; index >= 0; index--) {
    const event = events[index];
    if (event === undefined || event.type !== 'm.room.message') continue;
    if (!isEntity(event.sender)) break;
    const note = event.content[LIMIT_NOTE_KEY];
    if (note === 'agent-hops' || note === 'thread-budget') notedLimits.add(note);
    if (startedTurn(event.decision)) agentHops++;
  }
  return { agentHops, notedLimits };
}
