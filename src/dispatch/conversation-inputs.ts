/**
 * The dispatcher's conversation-limit inputs for one thread, read from the stores: the
 * configured limits, the agent-to-agent hops and posted limit notes since the last message
 * from a person (`routing`'s `conversationState` over the thread's journal entries) and the
 * tokens the thread has spent.
 */
import {
  conversationState,
  isTurnDecision,
  type ConversationLimits,
  type LimitKind,
  type ThreadEventView,
} from '../routing/index.js';
import type { JournalEntry } from '../storage/index.js';
import type { DispatchJournal, DispatchUsage } from './dispatch-ports.js';

/** Thread entries read to count hops (a thread's newest; hops stop long before). */
const THREAD_WINDOW = 200;

/** What `conversationInputs` adds to the dispatcher's context. */
export interface ConversationInputs {
  readonly limits: ConversationLimits;
  readonly agentHops: number;
  readonly notedLimits: ReadonlySet<LimitKind>;
  readonly threadTokensUsed: number;
}

export interface ConversationInputsDeps {
  readonly journal: Pick<DispatchJournal, 'thread' | 'related'>;
  readonly usage?: DispatchUsage | undefined;
  /** Notes dispatch posted that may not be back in the journal yet. */
  readonly notes: LimitNoteLedger;
}

/**
 * The limit inputs for the thread `rootId` of `roomId`. An agent's streamed reply is decided
 * on its final edit (an `m.replace`, outside the thread's relation), so a thread message of
 * Quorum's own accounts counts as a hop when it, or one of its edits, started a turn. For an
 * event from a person (`isFromEntity` false) hops and notes count from that event itself: none,
 * and the thread is not read.
 */
export function conversationInputs(
  roomId: string,
  rootId: string,
  limits: ConversationLimits,
  isEntity: (userId: string) => boolean,
  deps: ConversationInputsDeps,
  options: { readonly isFromEntity: boolean } = { isFromEntity: true },
): ConversationInputs {
  const threadTokensUsed =
    limits.threadTokenBudget === undefined ? 0 : (deps.usage?.threadTokens(roomId, rootId) ?? 0);
  if (!options.isFromEntity) {
    return { limits, agentHops: 0, notedLimits: new Set(), threadTokensUsed };
  }
  const entries = deps.journal.thread(roomId, rootId, THREAD_WINDOW);
  const since = lastPersonIndex(entries, isEntity);
  const views: ThreadEventView[] = entries.slice(Math.max(0, since)).map((entry) => ({
    sender: entry.sender,
    type: entry.type,
    decision: isEntity(entry.sender) ? turnDecisionOf(entry, deps.journal) : entry.decision,
    content: entry.event.content,
  }));
  const state = conversationState(views, isEntity);
  const sinceMs = since >= 0 ? (entries[since]?.originTs ?? 0) : Number.NEGATIVE_INFINITY;
  const notedLimits = new Set([
    ...state.notedLimits,
    ...deps.notes.notedSince(roomId, rootId, sinceMs),
  ]);
  return { limits, agentHops: state.agentHops, notedLimits, threadTokensUsed };
}

/** The index of the last message from a person in `entries`, or -1. */
function lastPersonIndex(
  entries: readonly JournalEntry[],
  isEntity: (userId: string) => boolean,
): number {
  for (let index = entries.length - 1; index >= 0; index--) {
    const entry = entries[index];
    if (entry?.type === 'm.room.message' && !isEntity(entry.sender)) return index;
  }
  return -1;
}

/** The entry's decision, or the first of its edits' decisions that started a turn. */
function turnDecisionOf(
  entry: JournalEntry,
  journal: Pick<DispatchJournal, 'related'>,
): string | undefined {
  if (isTurnDecision(entry.decision) || entry.type !== 'm.room.message') return entry.decision;
  const edit = journal
    .related(entry.eventId, 'm.replace')
    .find((candidate) => isTurnDecision(candidate.decision));
  return edit?.decision ?? entry.decision;
}

/** Most threads whose posted notes are remembered. */
const MAX_NOTED_THREADS = 1_000;

/**
 * The limit notes dispatch posted, remembered until the journal has them back: a note is
 * posted in the background and arrives through sync, and a second agent finishing in the same
 * thread meanwhile must not post a second note. Bounded (oldest threads forgotten first);
 * the journal is the durable record.
 */
export class LimitNoteLedger {
  private readonly threads = new Map<string, Map<LimitKind, number>>();

  /** Records that the note for `limit` was posted in the thread for an event at `atMs`. */
  record(roomId: string, rootId: string, limit: LimitKind, atMs: number): void {
    const key = `${roomId}\u0000${rootId}`;
    const notes = this.threads.get(key) ?? new Map<LimitKind, number>();
    this.threads.delete(key);
    notes.set(limit, Math.max(atMs, notes.get(limit) ?? Number.NEGATIVE_INFINITY));
    this.threads.set(key, notes);
    if (this.threads.size > MAX_NOTED_THREADS) {
      const [oldest] = this.threads.keys();
      if (oldest !== undefined) this.threads.delete(oldest);
    }
  }

  /** The limits noted in the thread for events after `sinceMs` (the last person's message). */
  notedSince(roomId: string, rootId: string, sinceMs: number): LimitKind[] {
    const notes = this.threads.get(`${roomId}\u0000${rootId}`);
    if (notes === undefined) return [];
    return [...notes].filter(([, atMs]) => atMs >= sinceMs).map(([limit]) => limit);
  }
}
