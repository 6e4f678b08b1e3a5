import { describe, expect, it } from 'vitest';
import { QuorumStore } from './store.js';

const KEY = { owner: 'helper', userId: '@alice:hs', roomId: '!r:hs', threadRoot: '$t' };

describe('memory extraction queue', () => {
  it('hands out quiet conversations and forgets one once extracted', () => {
    let now = 1_000;
    const store = new QuorumStore(':memory:', () => now);
    store.memories.noteActivity(KEY);
    now = 5_000;
    const [due] = store.memories.dueForExtraction(2_000, 10);
    expect(due).toMatchObject({ ...KEY, attempts: 0, lastActivityAt: 1_000 });
    if (due === undefined) throw new Error('nothing due');
    store.memories.finishExtraction(due);
    expect(store.memories.dueForExtraction(now, 10)).toEqual([]);
    store.close();
  });

  it('keeps a conversation that had new activity while it was being extracted', () => {
    let now = 1_000;
    const store = new QuorumStore(':memory:', () => now);
    store.memories.noteActivity(KEY);
    now = 5_000;
    const [due] = store.memories.dueForExtraction(2_000, 10);
    if (due === undefined) throw new Error('nothing due');
    // A turn in the same thread ends while the model reads the conversation.
    now = 6_000;
    store.memories.noteActivity(KEY);
    store.memories.finishExtraction(due);
    expect(store.memories.dueForExtraction(now, 10)).toEqual([
      { ...KEY, attempts: 0, lastActivityAt: 6_000 },
    ]);
    store.close();
  });
});
