import { describe, expect, it } from 'vitest';
import { toolCallFromJson } from '../llm/index.js';
import {
  HANDOFF_TOOL_NAME,
  HandoffChain,
  MAX_HANDOFF_DEPTH,
  formatHandoffContext,
  handoffTargets,
  handoffToolDefinition,
  parseHandoffCall,
  validateHandoff,
} from './handoff.js';

describe('validateHandoff', () => {
  it('extends the chain with a new agent', () => {
    const verdict = validateHandoff(HandoffChain.start('a'), 'b');
    expect(verdict.ok && verdict.chain.agents).toEqual(['a', 'b']);
    expect(verdict.ok && verdict.chain.current).toBe('b');
    expect(verdict.ok && verdict.chain.depth).toBe(1);
  });

  it('never hands back to an agent already in the chain, itself included', () => {
    const chain = HandoffChain.start('a').extend('b');
    expect(validateHandoff(chain, 'a')).toMatchObject({ ok: false, reason: 'already-in-chain' });
    expect(validateHandoff(chain, 'b')).toMatchObject({ ok: false, reason: 'already-in-chain' });
  });

  it(`allows at most ${MAX_HANDOFF_DEPTH} handoffs in a chain`, () => {
    const full = HandoffChain.start('a').extend('b').extend('c').extend('d');
    expect(validateHandoff(HandoffChain.start('a').extend('b').extend('c'), 'd').ok).toBe(true);
    const verdict = validateHandoff(full, 'e');
    expect(verdict).toMatchObject({ ok: false, reason: 'too-deep' });
    expect(!verdict.ok && verdict.message).toBe(
      'This conversation was already handed over 3 times; answer it yourself.',
    );
  });

  it('refuses a target that is not available when a list is given', () => {
    expect(validateHandoff(HandoffChain.start('a'), 'z', ['b', 'c'])).toMatchObject({
      ok: false,
      reason: 'unknown-target',
    });
  });
});

describe('HandoffChain.from', () => {
  it('restores a chain from its agents and rejects untrusted shapes', () => {
    expect(HandoffChain.from(['a', 'b'])?.agents).toEqual(['a', 'b']);
    for (const bad of [[], ['a', 'a'], ['a', ''], 'a', [1], ['a', 'b', 'c', 'd', 'e']]) {
      expect(HandoffChain.from(bad)).toBeUndefined();
    }
  });
});

describe('handoffTargets', () => {
  it('offers the agents not yet in the chain, and none once the chain is full', () => {
    const chain = HandoffChain.start('a').extend('b');
    expect(handoffTargets(chain, ['a', 'b', 'c', 'd'])).toEqual(['c', 'd']);
    expect(handoffTargets(chain.extend('c').extend('d'), ['e'])).toEqual([]);
  });
});

describe('handoff tool', () => {
  it('has a target enum and a reason', () => {
    const tool = handoffToolDefinition([{ name: 'calc', role: 'maths' }, { name: 'scribe' }]);
    expect(tool.name).toBe(HANDOFF_TOOL_NAME);
    expect(tool.description).toContain('Available: calc (maths); scribe.');
    expect(tool.parameters).toMatchObject({
      properties: { target: { enum: ['calc', 'scribe'] }, reason: { type: 'string' } },
      required: ['target', 'reason'],
    });
  });

  it('reads a call, matching the target leniently', () => {
    const call = toolCallFromJson('1', HANDOFF_TOOL_NAME, '{"target":"@Calc","reason":" sums "}');
    expect(parseHandoffCall(call, ['calc', 'scribe'])).toEqual({
      ok: true,
      target: 'calc',
      reason: 'sums',
    });
  });

  it('explains an unknown target or broken arguments', () => {
    const unknown = toolCallFromJson('1', HANDOFF_TOOL_NAME, '{"target":"ghost"}');
    expect(parseHandoffCall(unknown, ['calc'])).toEqual({
      ok: false,
      message: 'Unknown target "ghost". Choose one of: calc.',
    });
    const broken = toolCallFromJson('1', HANDOFF_TOOL_NAME, '{"target":');
    expect(parseHandoffCall(broken, ['calc']).ok).toBe(false);
  });

  it('gives the target who handed over, why, and the chain', () => {
    expect(
      formatHandoffContext({
        fromDisplayName: 'Calculator',
        reason: 'needs prose',
        chain: HandoffChain.start('calc').extend('scribe'),
      }),
    ).toBe(
      "Calculator handed this conversation to you. Their reason: needs prose\nAnswer the person's latest message in this thread. Handoff chain so far: calc → scribe.",
    );
  });
});
