import { afterEach, describe, expect, it } from 'vitest';
import type { Admission } from './journal-records.js';
import { QuorumStore } from './store.js';

const stores: QuorumStore[] = [];
function journal() {
  const store = new QuorumStore(':memory:', () => 1_000);
  stores.push(store);
  return store.journal;
}
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function event(
  id: string,
  opts: { type?: string; stateKey?: string; relatesTo?: string; relType?: string } = {},
): Admission {
  return {
    roomId: '!room:hs',
    event: {
      event_id: id,
      sender: '@alice:hs',
      type: opts.type ?? 'm.room.message',
      origin_server_ts: 500,
      content: { body: `text of ${id}` },
      ...(opts.stateKey === undefined ? {} : { state_key: opts.stateKey }),
    },
    threadRoot: undefined,
    relatesTo: opts.relatesTo,
    relType: opts.relType,
    isHistory: false,
  };
}

const edit = (id: string, target: string): Admission =>
  event(id, { relatesTo: target, relType: 'm.replace' });
const redaction = (id: string, target: string): Admission =>
  event(id, { type: 'm.room.redaction', relatesTo: target, relType: 'm.redaction' });

describe('journal redactions', () => {
  it('removes the content of the redacted event and of its edits, naming the redaction', () => {
    const j = journal();
    j.admit('bot', 's1', [event('$m'), edit('$e', '$m'), event('$other')]);
    j.admit('bot', 's2', [redaction('$r', '$m')]);
    for (const id of ['$m', '$e']) {
      expect(j.get(id)?.event).toMatchObject({
        content: {},
        unsigned: { redacted_because: { event_id: '$r' } },
      });
    }
    expect(j.get('$other')?.event.content).toEqual({ body: 'text of $other' });
    expect(j.redactedBy('$m')).toBe('$r');
    expect(j.redactedBy('$other')).toBeUndefined();
  });

  it('stores an event, or an edit of it, without content when its redaction came first', () => {
    const j = journal();
    j.admit('bot', 's1', [redaction('$r', '$m')]);
    const admitted = j.admit('bot', 's2', [event('$m'), edit('$e', '$m')]);
    expect(admitted.map((entry) => entry.event.content)).toEqual([{}, {}]);
    expect(j.get('$e')?.event.unsigned).toEqual({ redacted_because: { event_id: '$r' } });
  });

  it('keeps the content of a redacted state event', () => {
    const j = journal();
    j.admit('bot', 's1', [event('$state', { type: 'm.room.member', stateKey: '@alice:hs' })]);
    j.admit('bot', 's2', [redaction('$r', '$state')]);
    expect(j.get('$state')?.event.content).toEqual({ body: 'text of $state' });
  });
});
