import type { Responders } from '../agents/index.js';
import { txnPrefixFor } from '../outbox/index.js';
import { asEventId, asRoomId, describeError, type Logger } from '../shared/index.js';
import type { DispatchNotices } from './dispatch-ports.js';

/**
 * Notices as `m.notice` replies in the source's thread, from the entity's own account, with a
 * transaction id derived from (entity, source, key) so a redelivered decision posts once.
 */
export function outboxNotices(responders: Responders, log: Logger): DispatchNotices {
  return {
    post: async (entity, place, text, key, extraContent) => {
      const handle = responders.get(entity);
      if (handle === undefined) {
        log.warn('no account to post a notice from', { entity, key });
        return;
      }
      try {
        await handle.outbox.sendText(
          asRoomId(place.roomId),
          {
            body: text,
            format: 'markdown',
            msgtype: 'm.notice',
            ...(extraContent === undefined ? {} : { extraContent }),
            thread: {
              rootId: asEventId(place.threadRoot),
              replyToId: asEventId(place.sourceEventId),
            },
          },
          `${txnPrefixFor(`notice:${entity}`, place.sourceEventId)}.${key}`,
        );
      } catch (error: unknown) {
        log.warn('could not post a notice', { entity, key, error: describeError(error) });
      }
    },
  };
}
