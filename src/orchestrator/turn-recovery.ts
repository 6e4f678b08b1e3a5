import { describeError, type Clock, type Logger, asEventId, asRoomId } from '../shared/index.js';
import type { QuorumStore } from '../storage/index.js';
import type { EntityBot } from './entity-bot.js';
import { parseAdHocTeamKey } from './team-keys.js';
import type { TurnCoordinator } from './turn-coordinator.js';
import { findReplyInThread, type TurnLauncher } from './turn-launcher.js';

export interface TurnRecoveryDeps {
  readonly store: QuorumStore;
  readonly coordinator: TurnCoordinator;
  readonly launcher: TurnLauncher;
  readonly clock: Clock;
  readonly log: Logger;
  readonly catchUpWindowMs: number;
}

/**
 * Resumes the bot's turns that a crash (or a homeserver outage) left open. A turn without a
 * recorded reply may still have sent one (the process died between send and record): the
 * thread is checked for a reply carrying the turn's source marker before anything is sent,
 * because a homeserver restart forgets transaction ids. The resumed turn regenerates and
 * edits that reply in place. Turns older than the catch-up window are closed instead.
 */
export async function recoverOpenTurns(bot: EntityBot, deps: TurnRecoveryDeps): Promise<void> {
  const { store, coordinator, launcher, clock, log } = deps;
  const client = bot.client;
  if (client === undefined) return;
  for (const turn of store.turns.listOpen()) {
    // A team turn is resumed by the bot that writes its synthesis.
    const isBots =
      turn.responder === bot.name || parseAdHocTeamKey(turn.responder)?.poster === bot.name;
    if (!isBots || coordinator.isRunning(turn.responder, turn.sourceEventId)) continue;
    if (clock.now() - turn.createdAt > deps.catchUpWindowMs) {
      store.turns.finish(turn.responder, turn.sourceEventId, 'interrupted');
      log.info('closed an open turn too old to resume', {
        responder: turn.responder,
        source: turn.sourceEventId,
      });
      continue;
    }
    if (turn.replyEventId === undefined) {
      try {
        const thread = await client.getThread(asRoomId(turn.roomId), asEventId(turn.threadRoot), {
          limit: 200,
        });
        const replyId = findReplyInThread(thread, client.userId, turn.sourceEventId);
        if (replyId !== undefined)
          store.turns.recordReply(turn.responder, turn.sourceEventId, replyId);
      } catch (error: unknown) {
        log.warn('could not check the thread for an earlier reply', {
          source: turn.sourceEventId,
          error: describeError(error),
        });
        continue;
      }
    }
    store.turns.reopen(turn.responder, turn.sourceEventId, turn.sourceVersion);
    const reopened = store.turns.get(turn.responder, turn.sourceEventId);
    if (reopened === undefined) continue;
    log.info('resuming an interrupted turn', {
      responder: turn.responder,
      source: turn.sourceEventId,
      hasReply: reopened.replyEventId !== undefined,
    });
    launcher.launch(reopened);
  }
}
