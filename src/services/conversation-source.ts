import { isRedacted, latestText, type TurnJournal } from '../agents/index.js';
import type { ConversationMessage, ConversationSource } from '../memory/index.js';

/** How far back a conversation is read (the extractor keeps the newest `limit` of these). */
const SCANNED_MESSAGES = 200;

/**
 * A thread as memory extraction reads it: messages only (no edits as messages of their own),
 * each at its latest edit, deleted ones left out, and only the person whose facts are
 * extracted (dispatch admitted their messages to the agent), senders `isTrusted` admits and
 * Quorum's own agents (whose replies give context); oldest first, the newest `limit`.
 */
export function journalConversations(options: {
  readonly journal: TurnJournal;
  readonly isEntityUser: (userId: string) => boolean;
  readonly isTrusted: (roomId: string, sender: string) => boolean;
}): ConversationSource {
  const { journal } = options;
  const read = (where: { roomId: string; threadRoot: string; person?: string }, limit: number) => {
    const messages: ConversationMessage[] = [];
    for (const entry of journal.thread(where.roomId, where.threadRoot, SCANNED_MESSAGES)) {
      if (entry.type !== 'm.room.message' || entry.relType === 'm.replace') continue;
      if (isRedacted(entry)) continue;
      const isAgent = options.isEntityUser(entry.sender);
      const isPerson = entry.sender === where.person;
      if (!isAgent && !isPerson && !options.isTrusted(where.roomId, entry.sender)) continue;
      const text = latestText(entry, journal.related(entry.eventId, 'm.replace')).trim();
      if (text !== '') messages.push({ sender: entry.sender, isAgent, text });
    }
    // `slice(-0)` would be everything.
    return limit > 0 ? messages.slice(-limit) : [];
  };
  return {
    // In a promise, so an aborted signal rejects rather than throwing at the caller.
    recentMessages: (where, { limit, signal }) =>
      new Promise((resolve) => {
        signal.throwIfAborted();
        resolve(read(where, limit));
      }),
  };
}
