import type { OutgoingText } from '../matrix/index.js';
import { asEventId, asRoomId, type EventId, type RoomId } from '../shared/index.js';
import type { CardPoster } from './interaction-ports.js';

/** The outbox operations cards need (an entity's `Outbox` implements them). */
export interface CardOutbox {
  sendText(roomId: RoomId, message: OutgoingText, txnId: string): Promise<EventId>;
  react(roomId: RoomId, targetId: EventId, key: string, txnId: string): Promise<EventId>;
}

/**
 * Cards as notices in the asking entity's thread, with its reaction keys, sent through that
 * entity's outbox (`outboxOf` is undefined while it is not running: posting then rejects).
 */
export function outboxCardPoster(outboxOf: (entity: string) => CardOutbox | undefined): CardPoster {
  const outbox = (entity: string): CardOutbox => {
    const found = outboxOf(entity);
    if (found === undefined) throw new Error(`${entity} is not running`);
    return found;
  };
  return {
    post: async (place, markdown, txnId) =>
      await outbox(place.responder).sendText(
        asRoomId(place.roomId),
        {
          body: markdown,
          format: 'markdown',
          msgtype: 'm.notice',
          ...(place.threadRoot === undefined
            ? {}
            : { thread: { rootId: asEventId(place.threadRoot) } }),
        },
        txnId,
      ),
    react: async (place, cardEventId, key, txnId) =>
      await outbox(place.responder).react(
        asRoomId(place.roomId),
        asEventId(cardEventId),
        key,
        txnId,
      ),
  };
}
