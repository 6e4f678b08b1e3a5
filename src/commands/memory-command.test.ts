import { afterEach, describe, expect, it } from 'vitest';
import { memoryHarness } from '../../test/support/memory-harness.js';
import type { MemoryHarness } from '../../test/support/memory-harness.js';
import type { CommandContext, CommandDecision } from './command-handler.js';
import { createMemoryCommand } from './memory-command.js';

function decision(requester: string, args: string, roomId = '!dm:x'): CommandDecision {
  return {
    kind: 'command',
    name: 'memory',
    args,
    handler: 'router',
    sourceEventId: '$e',
    requester,
    threadRoot: '$e',
    roomId,
  };
}

describe('!memory', () => {
  let h: MemoryHarness;
  afterEach(() => {
    h.store.close();
  });

  async function run(requester: string, args: string, roomId?: string): Promise<string> {
    const replies: string[] = [];
    const context = {
      reply: (_d: CommandDecision, text: string) => Promise.resolve(void replies.push(text)),
    } as unknown as CommandContext;
    const command = createMemoryCommand({
      aboutPerson: (user, limit) => h.service.aboutPerson(user, limit),
      forgetForPerson: (user, id) => h.service.forgetForPerson(user, id),
      forgetAllAboutPerson: (user) => h.service.forgetAllAboutPerson(user),
      isPrivateRoom: (room) => Promise.resolve(room === '!dm:x'),
    });
    await command.run(decision(requester, args, roomId), context);
    return replies.join('\n');
  }

  it('lists only the sender’s memories, and their texts only in a private room', async () => {
    h = memoryHarness();
    const alice = await h.service.add(
      { owner: 'helper', requester: '@alice:x', roomId: '!r:x' },
      'ALICE-CANARY `code` [link](http://x)',
    );
    await h.service.add({ owner: 'helper', requester: '@bob:x', roomId: '!r:x' }, 'BOB-CANARY');
    const dm = await run('@alice:x', '');
    expect(dm).toContain('ALICE-CANARY');
    expect(dm).toContain(alice.id);
    expect(dm).not.toContain('BOB-CANARY');
    const group = await run('@alice:x', 'list', '!group:x');
    expect(group).not.toContain('ALICE-CANARY');
    expect(group).toContain('helper: 1');
  });

  it('forgets one memory of the sender, never someone else’s', async () => {
    h = memoryHarness();
    const bobs = await h.service.add(
      { owner: 'helper', requester: '@bob:x', roomId: '!r:x' },
      'bob fact',
    );
    expect(await run('@alice:x', `forget ${bobs.id}`)).toContain('No memory');
    expect(h.store.memories.get(bobs.id)).toBeDefined();
    expect(await run('@bob:x', `forget ${bobs.id}`, '!group:x')).toContain('Forgotten');
    expect(h.store.memories.get(bobs.id)).toBeUndefined();
  });

  it('asks for confirmation before forgetting everything', async () => {
    h = memoryHarness();
    await h.service.add({ owner: 'a', requester: '@alice:x', roomId: '!r:x' }, 'one');
    await h.service.add({ owner: 'b', requester: '@alice:x', roomId: '!r:x' }, 'two');
    expect(await run('@alice:x', 'forget all')).toContain('!memory forget all confirm');
    expect(h.service.aboutPerson('@alice:x', 10).total).toBe(2);
    expect(await run('@alice:x', 'forget all confirm')).toBe('Forgotten: 2 memories about you.');
    expect(await run('@alice:x', '')).toBe('No agent remembers anything about you.');
  });
});
