import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations.js';
import { QuorumStore } from './store.js';

const stores: QuorumStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});
function open(path = ':memory:', now = () => 5_000): QuorumStore {
  const store = new QuorumStore(path, now);
  stores.push(store);
  return store;
}

describe('TeamStateStore', () => {
  it('saves and reads the state of a room and thread', () => {
    const store = open();
    store.teamState.save('!r', '$t', {
      topic: 'Launch plan',
      decisions: ['ship on Friday'],
      openQuestions: ['who writes the post?'],
    });
    expect(store.teamState.get('!r', '$t')).toEqual({
      roomId: '!r',
      threadRoot: '$t',
      topic: 'Launch plan',
      decisions: ['ship on Friday'],
      openQuestions: ['who writes the post?'],
      updatedAt: 5_000,
    });
    expect(store.teamState.get('!r', '$other')).toBeUndefined();
  });

  it('replaces the state on a later save and forgets it on delete', () => {
    let now = 1;
    const store = open(':memory:', () => now);
    store.teamState.save('!r', '$t', { topic: 'a', decisions: [], openQuestions: [] });
    now = 2;
    store.teamState.save('!r', '$t', { topic: 'b', decisions: ['x'], openQuestions: [] });
    expect(store.teamState.get('!r', '$t')).toMatchObject({
      topic: 'b',
      decisions: ['x'],
      updatedAt: 2,
    });
    store.teamState.delete('!r', '$t');
    expect(store.teamState.get('!r', '$t')).toBeUndefined();
  });

  it('is added to a database created before team state existed, keeping its data', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'quorum-db-')), 'quorum.db');
    const old = new Database(path);
    old.exec(MIGRATIONS[0] ?? '');
    old.pragma('user_version = 1');
    old
      .prepare(
        "INSERT INTO thread_settings (room_id, thread_root, key, value, updated_at) VALUES ('!r', '$t', 'model', 'fast', 1)",
      )
      .run();
    old.close();
    const store = open(path);
    expect(store.threadSettings.get('!r', '$t', 'model')).toBe('fast');
    store.teamState.save('!r', '$t', { topic: 't', decisions: [], openQuestions: [] });
    expect(store.teamState.get('!r', '$t')?.topic).toBe('t');
  });
});
