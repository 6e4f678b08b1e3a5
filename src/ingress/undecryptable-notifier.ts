/**
 * Tells a thread, once, that Quorum could not read a message: the Matrix layer reports an
 * event still undecryptable after its wait (its room key never arrived), and this posts one
 * short notice in its thread, so the person knows to send it again instead of waiting for an
 * answer that cannot come. One note per thread (or per room timeline and `windowMs`), whichever
 * bot reported it first, claimed through the journal. Quorum's own bots get no note, nor does
 * history.
 */
import type { OutgoingText, RawEvent } from '../matrix/index.js';
import type { IngressJournal } from '../storage/index.js';
import { asEventId, asRoomId, type EventId, type Logger, type RoomId } from '../shared/index.js';

/** Sends the note (a bot's outbox). */
export interface NoteSender {
  sendText(roomId: RoomId, message: OutgoingText, txnId: string): Promise<EventId>;
}

/** Inputs of {@link UndecryptableNotifier}. */
export interface UndecryptableNotifierOptions {
  readonly journal: IngressJournal;
  readonly sender: NoteSender;
  readonly log: Logger;
  readonly isEntityUser: (userId: string) => boolean;
  /** One note per room timeline (outside threads) within this window; default 10 min. */
  readonly windowMs?: number;
}

/** The note's text: short, and says what to do. */
export const UNDECRYPTABLE_NOTE =
  "I couldn't decrypt this message: its encryption keys never reached me. " +
  'Please send it again (if this keeps happening, check that your client shares keys with ' +
  'unverified sessions).';

/** See the module comment. */
export class UndecryptableNotifier {
  constructor(private readonly options: UndecryptableNotifierOptions) {}

  /** Posts the note for each reported event that is the first of its thread; never throws. */
  async notify(events: readonly RawEvent[]): Promise<void> {
    const { journal, log } = this.options;
    for (const event of events) {
      if (this.options.isEntityUser(event.sender)) continue;
      const entry = journal.get(event.event_id);
      if (entry === undefined || entry.isHistory || entry.type !== 'm.room.encrypted') continue;
      const claimed = journal.claimUndecryptableNote(
        entry.eventId,
        entry.roomId,
        entry.threadRoot,
        this.options.windowMs ?? 600_000,
      );
      log.warn('message could not be decrypted: its room key never arrived', {
        roomId: entry.roomId,
        eventId: entry.eventId,
        sender: entry.sender,
        noted: claimed,
      });
      if (!claimed) continue;
      try {
        const eventId = asEventId(entry.eventId);
        await this.options.sender.sendText(
          asRoomId(entry.roomId),
          {
            body: UNDECRYPTABLE_NOTE,
            format: 'plain',
            msgtype: 'm.notice',
            thread: {
              rootId: entry.threadRoot === undefined ? eventId : asEventId(entry.threadRoot),
              replyToId: eventId,
            },
          },
          `undecryptable:${entry.eventId}`,
        );
      } catch (error: unknown) {
        log.warn('could not post the undecryptable-message note', {
          roomId: entry.roomId,
          eventId: entry.eventId,
          error,
        });
      }
    }
  }
}
