import type { TimelineSource } from '../matrix/index.js';
import { asEventId, asRoomId, describeError, type Clock, type Logger } from '../shared/index.js';
import type { TurnRecord } from '../storage/index.js';
import { parseResponder, postingEntity } from './responder.js';
import { SOURCE_EVENT_KEY } from './reply-stream.js';
import type { TurnStore } from './turn-ports.js';

/** A bot's view of a thread (to find a reply it sent before a crash). */
type ThreadSource = Pick<TimelineSource, 'getThread'> & { readonly userId: string };

/** The turn records recovery reads and settles. */
export interface RecoveryStore extends Pick<TurnStore, 'recordReply' | 'finish'> {
  listOpen(): TurnRecord[];
}

export interface TurnRecoveryDeps {
  readonly turns: RecoveryStore;
  /** Whether a turn is running now (it needs no recovery). */
  readonly isRunning: (responder: string, sourceEventId: string) => boolean;
  readonly clock: Clock;
  readonly log: Logger;
  readonly catchUpWindowMs: number;
}

/**
 * The turns of `bot` that a crash (or a homeserver outage) left open and that should be
 * resumed; dispatch reopens and launches them. A turn without a recorded reply may still
 * have sent one (the process died between send and record): the thread is checked for a
 * reply carrying the turn's source marker first, because a homeserver restart forgets
 * transaction ids, so the resumed turn edits that reply in place. Turns older than the
 * catch-up window are closed instead. A team turn belongs to the bot that posts its reply.
 */
export async function findTurnsToResume(
  bot: { readonly name: string; readonly client: ThreadSource },
  deps: TurnRecoveryDeps,
): Promise<TurnRecord[]> {
  const { turns, clock, log } = deps;
  const resumable: TurnRecord[] = [];
  for (const turn of turns.listOpen()) {
    const isBots = postingEntity(parseResponder(turn.responder)) === bot.name;
    if (!isBots || deps.isRunning(turn.responder, turn.sourceEventId)) continue;
    if (clock.now() - turn.createdAt > deps.catchUpWindowMs) {
      turns.finish(turn.responder, turn.sourceEventId, 'interrupted');
      log.info('closed an open turn too old to resume', {
        responder: turn.responder,
        source: turn.sourceEventId,
      });
      continue;
    }
    if (turn.replyEventId === undefined && !(await findEarlierReply(turn, bot.client, deps)))
      continue;
    resumable.push(turn);
  }
  return resumable;
}

/** Records a reply the turn sent before the crash; false when the thread could not be read. */
async function findEarlierReply(
  turn: TurnRecord,
  client: ThreadSource,
  deps: TurnRecoveryDeps,
): Promise<boolean> {
  try {
    const thread = await client.getThread(asRoomId(turn.roomId), asEventId(turn.threadRoot), {
      limit: 200,
    });
    const replyId = findReplyInThread(thread, client.userId, turn.sourceEventId);
    if (replyId !== undefined) deps.turns.recordReply(turn.responder, turn.sourceEventId, replyId);
    return true;
  } catch (error: unknown) {
    deps.log.warn('could not check the thread for an earlier reply', {
      source: turn.sourceEventId,
      error: describeError(error),
    });
    return false;
  }
}

/** The reply a turn posted before a crash, found in the thread by its source marker. */
export function findReplyInThread(
  events: readonly {
    readonly event_id: string;
    readonly sender: string;
    readonly content: Readonly<Record<string, unknown>>;
  }[],
  botUserId: string,
  sourceEventId: string,
): string | undefined {
  return events.find(
    (event) => event.sender === botUserId && event.content[SOURCE_EVENT_KEY] === sourceEventId,
  )?.event_id;
}
