import { afterEach, describe, expect, it } from 'vitest';
import type { OutgoingText, RawEvent } from '../matrix/index.js';
import { asEventId, silentLogger, type RoomId } from '../shared/index.js';
import { QuorumStore } from '../storage/index.js';
import { UNDECRYPTABLE_NOTE, UndecryptableNotifier } from './undecryptable-notifier.js';

const ROOM = '!r:hs';
const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function encrypted(id: string, sender = '@alice:hs', threadRoot?: string): RawEvent {
  return {
    event_id: id,
    room_id: ROOM,
    sender,
    type: 'm.room.encrypted',
    origin_server_ts: 900,
    content: {
      algorithm: 'm.megolm.v1.aes-sha2',
      ciphertext: 'AwgA',
      session_id: 'S',
      ...(threadRoot === undefined
        ? {}
        : { 'm.relates_to': { rel_type: 'm.thread', event_id: threadRoot } }),
    },
  };
}

function setup(events: readonly RawEvent[], isHistory = false) {
  const store = new QuorumStore(':memory:', () => 1_000);
  stores.push(store);
  store.journal.admit(
    'router',
    's1',
    events.map((event) => {
      const relation = event.content['m.relates_to'] as { event_id?: string } | undefined;
      return {
        roomId: ROOM,
        event,
        threadRoot: relation?.event_id,
        relatesTo: relation?.event_id,
        relType: relation === undefined ? undefined : 'm.thread',
        isHistory,
      };
    }),
  );
  const sent: { roomId: RoomId; message: OutgoingText; txnId: string }[] = [];
  const notifier = new UndecryptableNotifier({
    journal: store.journal,
    sender: {
      sendText: (roomId, message, txnId) => {
        sent.push({ roomId, message, txnId });
        return Promise.resolve(asEventId('$note'));
      },
    },
    log: silentLogger,
    isEntityUser: (user) => user.startsWith('@quorum_'),
  });
  return { store, notifier, sent };
}

describe('UndecryptableNotifier', () => {
  it('posts one short notice in the thread of each undecryptable message, once', async () => {
    const events = [encrypted('$a', '@alice:hs', '$root'), encrypted('$b', '@alice:hs', '$root')];
    const { notifier, sent, store } = setup(events);
    await notifier.notify(events);
    await notifier.notify(events);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.message).toMatchObject({
      body: UNDECRYPTABLE_NOTE,
      msgtype: 'm.notice',
      thread: { rootId: '$root', replyToId: '$a' },
    });
    expect(sent[0]?.txnId).toBe('undecryptable:$a');
    expect(store.journal.get('$a')?.decision).toBe('undecryptable');
  });

  it('starts a thread on a main-timeline message, and notes the room timeline only once', async () => {
    const events = [encrypted('$a'), encrypted('$b')];
    const { notifier, sent } = setup(events);
    await notifier.notify(events);
    expect(sent.map((s) => s.message.thread)).toEqual([{ rootId: '$a', replyToId: '$a' }]);
  });

  it('says nothing about history, bots, or messages decrypted meanwhile', async () => {
    const history = setup([encrypted('$old')], true);
    await history.notifier.notify([encrypted('$old')]);
    expect(history.sent).toEqual([]);
    const bot = setup([encrypted('$bot', '@quorum_calc:hs')]);
    await bot.notifier.notify([encrypted('$bot', '@quorum_calc:hs')]);
    expect(bot.sent).toEqual([]);
    const late = setup([encrypted('$late')]);
    late.store.journal.replaceEncrypted({
      roomId: ROOM,
      event: { ...encrypted('$late'), type: 'm.room.message', content: { body: 'hi' } },
      threadRoot: undefined,
      relatesTo: undefined,
      relType: undefined,
      isHistory: false,
    });
    await late.notifier.notify([encrypted('$late')]);
    expect(late.sent).toEqual([]);
  });
});
