import { describe, expect, it } from 'vitest';
import type { ApprovalPayload, InteractionRecord, InteractionSpec } from '../storage/index.js';
import {
  needsFullView,
  NOT_SHOWN_IN_FULL_REASON,
  resolveInteractionReaction,
  resolveInteractionReply,
} from './resolve-response.js';

const ALICE = '@alice:example.org';
const BOB = '@bob:example.org';

function record(spec: InteractionSpec, patch: Partial<InteractionRecord> = {}): InteractionRecord {
  return {
    id: 'i1',
    roomId: '!room:example.org',
    threadRoot: '$root',
    cardEventId: '$card',
    requester: ALICE,
    responder: 'calc',
    sourceEventId: '$source',
    state: 'pending',
    answer: undefined,
    result: undefined,
    quorumReactionIds: ['$q1'],
    decidingEventId: undefined,
    createdAt: 0,
    expiresAt: 1_000,
    decidedAt: undefined,
    updatedAt: 0,
    ...spec,
    ...patch,
  } as InteractionRecord;
}

const question = record({
  kind: 'question',
  payload: { question: 'Which colour?', options: ['Red', 'Blue', 'Green'] },
});
const approval = record({
  kind: 'approval',
  payload: { toolName: 'shell', arguments: { command: 'ls' }, callId: 'call_1' },
});
const configChange = record({
  kind: 'config_change',
  payload: {
    path: 'agents.calc.model',
    operation: 'set',
    value: 'fast',
    oldHash: 'a',
    newHash: 'b',
    newText: 'x',
  },
});

function approvalPayload(): ApprovalPayload {
  return { toolName: 'x', arguments: {}, callId: 'c' };
}

const react = (interaction: InteractionRecord, key: string, reactor = ALICE, now = 500) =>
  resolveInteractionReaction({ interaction, reactorUserId: reactor, key, now });
const reply = (interaction: InteractionRecord, text: string, sender = ALICE, now = 500) =>
  resolveInteractionReply({ interaction, senderUserId: sender, text, now });

describe('resolveInteractionReaction', () => {
  it('answers a question with the option whose number was reacted', () => {
    expect(react(question, '2️⃣')).toEqual({ kind: 'answer', index: 1, option: 'Blue' });
    expect(react(question, '3\u20E3')).toEqual({ kind: 'answer', index: 2, option: 'Green' });
  });

  it('ignores a number the question does not offer and unrelated keys', () => {
    expect(react(question, '4️⃣')).toEqual({ kind: 'ignore', reason: 'unrelated-key' });
    expect(react(question, '👍')).toEqual({ kind: 'ignore', reason: 'unrelated-key' });
    expect(react(question, '✅')).toEqual({ kind: 'ignore', reason: 'unrelated-key' });
  });

  it('cancels a question on ❌', () => {
    expect(react(question, '❌')).toEqual({ kind: 'cancel' });
  });

  it('approves with ✅ and denies with ❌', () => {
    expect(react(approval, '✅')).toEqual({ kind: 'approve' });
    expect(react(approval, '✅\uFE0F')).toEqual({ kind: 'approve' });
    expect(react(approval, '❌')).toEqual({ kind: 'deny' });
    expect(react(approval, '1️⃣')).toEqual({ kind: 'ignore', reason: 'unrelated-key' });
  });

  it('denies (with a note) a ✅ on a card that had to shorten the arguments', () => {
    const long = record({
      kind: 'approval',
      payload: { toolName: 'write', arguments: { text: 'x'.repeat(5_000) }, callId: 'c' },
    });
    expect(needsFullView(long.kind === 'approval' ? long.payload : approvalPayload())).toBe(true);
    expect(react(long, '✅')).toEqual({ kind: 'deny', reason: NOT_SHOWN_IN_FULL_REASON });
    expect(react(long, '❌')).toEqual({ kind: 'deny' });
  });

  it('approves a shortened card once its arguments were shown in full', () => {
    const shown = record({
      kind: 'approval',
      payload: {
        toolName: 'write',
        arguments: { text: 'x'.repeat(5_000) },
        callId: 'c',
        isShownInFull: true,
      },
    });
    expect(react(shown, '✅')).toEqual({ kind: 'approve' });
  });

  it('confirms a config change with ✅ and cancels it with ❌', () => {
    expect(react(configChange, '✅')).toEqual({ kind: 'confirm' });
    expect(react(configChange, '❌')).toEqual({ kind: 'cancel' });
    expect(react(configChange, '👍')).toEqual({ kind: 'ignore', reason: 'unrelated-key' });
  });

  it('ignores everyone but the requester', () => {
    for (const interaction of [question, approval, configChange]) {
      expect(react(interaction, '✅', BOB)).toEqual({ kind: 'ignore', reason: 'not-requester' });
      expect(react(interaction, '1️⃣', BOB)).toEqual({ kind: 'ignore', reason: 'not-requester' });
    }
  });

  it('ignores reactions once decided or expired', () => {
    expect(react({ ...approval, state: 'denied' }, '✅')).toEqual({
      kind: 'ignore',
      reason: 'not-pending',
    });
    expect(react(approval, '✅', ALICE, 1_000)).toEqual({ kind: 'ignore', reason: 'expired' });
    expect(react(question, '1️⃣', ALICE, 999)).toEqual({ kind: 'answer', index: 0, option: 'Red' });
  });
});

describe('resolveInteractionReply', () => {
  it('answers a question with the option a reply names', () => {
    expect(reply(question, 'option 3')).toEqual({ kind: 'answer', index: 2, option: 'Green' });
    expect(reply(question, '> <@quorum_calc:example.org> Which colour?\n\nred')).toEqual({
      kind: 'answer',
      index: 0,
      option: 'Red',
    });
    expect(reply(question, 'purple')).toEqual({ kind: 'ignore', reason: 'no-matching-option' });
  });

  it('denies an approval with the reply as the reason', () => {
    expect(reply(approval, '> quoted card\n\nnot on production, please')).toEqual({
      kind: 'deny',
      reason: 'not on production, please',
    });
    expect(reply(approval, '> quoted card\n\n   ')).toEqual({
      kind: 'ignore',
      reason: 'empty-reply',
    });
  });

  it('leaves config changes to reactions', () => {
    expect(reply(configChange, 'yes')).toEqual({ kind: 'ignore', reason: 'unrelated-key' });
  });

  it('ignores replies from others, after a decision and after expiry', () => {
    expect(reply(approval, 'no', BOB)).toEqual({ kind: 'ignore', reason: 'not-requester' });
    expect(reply({ ...question, state: 'answered' }, '1')).toEqual({
      kind: 'ignore',
      reason: 'not-pending',
    });
    expect(reply(question, '1', ALICE, 5_000)).toEqual({ kind: 'ignore', reason: 'expired' });
  });
});
