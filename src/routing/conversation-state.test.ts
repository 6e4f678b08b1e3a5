import { describe, expect, it } from 'vitest';
import type { ThreadEventView } from './conversation-state.js';
import { conversationState, LIMIT_NOTE_KEY } from './conversation-state.js';

const isEntity = (userId: string): boolean => userId.startsWith('@quorum_');
const person = (decision = 'respond:a:mention'): ThreadEventView => ({
  sender: '@alice:hs',
  type: 'm.room.message',
  decision,
  content: { body: 'hi' },
});
const agent = (
  decision: string | undefined,
  content: Record<string, unknown> = {},
): ThreadEventView => ({
  sender: '@quorum_a:hs',
  type: 'm.room.message',
  decision,
  content: { body: 'x', ...content },
});

describe('conversationState', () => {
  it('counts the turns agents started since the last message from a person', () => {
    const events = [
      agent('respond:b:mention'),
      person(),
      agent('respond:b:mention'),
      { ...agent(undefined), type: 'm.reaction' },
      agent('ignore:agent-not-mentioning'),
      agent('team:a,b:mention'),
    ];
    expect(conversationState(events, isEntity)).toEqual({ agentHops: 2, notedLimits: new Set() });
  });

  it('finds the limit notes posted since then, and forgets them after a person writes', () => {
    const noted = [person(), agent('ignore:x', { [LIMIT_NOTE_KEY]: 'agent-hops' })];
    expect(conversationState(noted, isEntity).notedLimits).toEqual(new Set(['agent-hops']));
    expect(conversationState([...noted, person()], isEntity)).toEqual({
      agentHops: 0,
      notedLimits: new Set(),
    });
  });
});
