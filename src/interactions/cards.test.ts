import { describe, expect, it } from 'vitest';
import type { ConfigValidationSummary } from '../config/index.js';
import type { InteractionRecord } from '../storage/index.js';
import { REDACTED_ARGUMENT } from './argument-preview.js';
import { fenced, formatDuration, inlineCode } from './card-text.js';
import {
  formatApprovalCard,
  formatConfigProposal,
  formatFullArguments,
  formatOutcomeNote,
  formatQuestionCard,
} from './cards.js';

const VALID: ConfigValidationSummary = { isValid: true, issues: [], warnings: [] };

describe('formatQuestionCard', () => {
  it('numbers the options with the reaction keys and says how to answer', () => {
    expect(
      formatQuestionCard('Which colour?', ['Red', 'Blue'], {
        requester: '@alice:example.org',
        expiresInMs: 86_400_000,
      }),
    ).toBe(
      [
        '❓ **Which colour?**',
        '',
        '1️⃣ Red',
        '2️⃣ Blue',
        '',
        "_React with the option's number, or reply with its number or text. Only @alice:example.org can answer. The question expires in 1 day._",
      ].join('\n'),
    );
  });

  it('keeps each option on one line', () => {
    expect(formatQuestionCard('Pick\none', ['a\nb', 'c'])).toContain(
      '❓ **Pick one**\n\n1️⃣ a b\n2️⃣ c\n',
    );
  });

  it('refuses an impossible number of options', () => {
    expect(() => formatQuestionCard('q', [])).toThrow(RangeError);
    expect(() =>
      formatQuestionCard(
        'q',
        Array.from({ length: 11 }, (_, i) => `o${i}`),
      ),
    ).toThrow(RangeError);
  });
});

describe('formatApprovalCard', () => {
  it('shows the tool and its redacted arguments, and how to decide', () => {
    const card = formatApprovalCard(
      'shell',
      { command: 'deploy', api_key: 'abc' },
      { agentName: 'Ops', requester: '@alice:example.org', expiresInMs: 7 * 86_400_000 },
    );
    expect(card.isTruncated).toBe(false);
    expect(card.markdown).toBe(
      [
        '🔒 **Approval needed:** Ops wants to run `shell`',
        '',
        '```json',
        `{\n  "command": "deploy",\n  "api_key": "${REDACTED_ARGUMENT}"\n}`,
        '```',
        '',
        '_React ✅ to run it, or ❌ or reply to this message to deny it (a reply is passed to the agent as the reason). Only @alice:example.org can decide. Without a decision it is denied in 7 days._',
      ].join('\n'),
    );
  });

  it('says when arguments are shortened, and cannot be broken out of its code block', () => {
    const card = formatApprovalCard('write', { text: '```\n' + 'y'.repeat(3_000) });
    expect(card.isTruncated).toBe(true);
    expect(card.markdown).toContain('cannot be approved from this card');
    expect(card.markdown).toContain('````json\n');
    const withFullView = formatApprovalCard(
      'write',
      { text: 'y'.repeat(3_000) },
      {
        isFullViewPosted: true,
      },
    );
    expect(withFullView.markdown).toContain('the arguments follow in full below');
  });

  it('survives arguments full of backtick runs (no stack overflow)', () => {
    const card = formatApprovalCard('write', { text: '` '.repeat(300_000) });
    expect(card.isTruncated).toBe(true);
  });
});

describe('formatFullArguments', () => {
  it('splits long arguments into fenced messages, secrets still redacted', () => {
    const canary = `sk-${'a'.repeat(30)}`;
    const args = {
      api_key: 'hunter2-secret',
      text: 'x'.repeat(30_000),
      note: canary,
      list: [1, 2],
    };
    const view = formatFullArguments(args, { maxPartChars: 12_000, maxParts: 4 });
    expect(view.kind).toBe('parts');
    const parts = view.kind === 'parts' ? view.parts : [];
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.every((part) => part.length <= 12_000)).toBe(true);
    expect(parts[0]).toMatch(/^\*\*Arguments in full \(1\/\d\)\*\*\n```json\n/);
    const joined = parts.join('');
    expect(joined).not.toContain('hunter2-secret');
    expect(joined).not.toContain(canary);
    // Nothing but secrets is left out: every character of the long value is there.
    expect(joined.replace(/[^x]/g, '').length).toBeGreaterThanOrEqual(30_000);
  });

  it('says too-long when the arguments do not fit in the messages allowed', () => {
    expect(formatFullArguments({ text: 'x'.repeat(100_000) }, { maxParts: 2 })).toEqual({
      kind: 'too-long',
      totalChars: expect.any(Number) as unknown,
    });
  });
});

describe('formatConfigProposal', () => {
  const diff = '@@ -1,1 +1,1 @@\n-    model: a\n+    model: b';

  it('shows the diff, the verdict and how to confirm', () => {
    expect(
      formatConfigProposal('agents.calc.model', diff, VALID, {
        requester: '@alice:example.org',
        expiresInMs: 3_600_000,
      }),
    ).toBe(
      [
        '⚙️ **Config change:** set `agents.calc.model`',
        '',
        '```diff',
        diff,
        '```',
        '',
        '✅ The new config is valid.',
        '',
        '_React ✅ to write it to config.yaml or ❌ to cancel. Only @alice:example.org can confirm. It expires in 1 hour._',
      ].join('\n'),
    );
  });

  it('lists warnings of a valid change', () => {
    const text = formatConfigProposal('agents.calc.learning', diff, {
      isValid: true,
      issues: [],
      warnings: [{ path: 'agents.calc.learning', message: 'is ignored', line: 4, column: 5 }],
    });
    expect(text).toContain('⚠️ Warning:\n- line 4, `agents.calc.learning`: is ignored');
  });

  it('lists the problems of an invalid change and offers no confirmation', () => {
    const text = formatConfigProposal(
      'agents.calc.model',
      diff,
      {
        isValid: false,
        issues: [
          { path: 'agents.calc.model', message: "unknown model 'gpt5'", line: 15, column: 12 },
        ],
        warnings: [],
      },
      { operation: 'set' },
    );
    expect(text).toContain(
      "❌ **The new config would be invalid**, so this change cannot be applied:\n- line 15, `agents.calc.model`: unknown model 'gpt5'",
    );
    expect(text).not.toContain('React');
  });

  it('names removals and shortens long diffs', () => {
    const long = Array.from({ length: 100 }, (_, i) => `-line ${i}`).join('\n');
    const text = formatConfigProposal('agents.old', long, VALID, {
      operation: 'unset',
      maxDiffLines: 10,
    });
    expect(text).toContain('⚙️ **Config change:** remove `agents.old`');
    expect(text).toContain('-line 9\n… 90 more lines\n```');
  });
});

describe('formatOutcomeNote', () => {
  const base = {
    id: 'i',
    roomId: '!r:hs',
    threadRoot: undefined,
    cardEventId: '$card',
    requester: '@alice:hs',
    responder: 'calc',
    sourceEventId: '$src',
    answer: undefined,
    result: undefined,
    quorumReactionIds: [],
    decidingEventId: undefined,
    createdAt: 0,
    expiresAt: 10,
    decidedAt: undefined,
    updatedAt: 0,
  };
  const question = (patch: Partial<InteractionRecord>): InteractionRecord =>
    ({
      ...base,
      kind: 'question',
      payload: { question: 'q', options: ['Red', 'Blue'] },
      state: 'pending',
      ...patch,
    }) as InteractionRecord;
  const approval = (patch: Partial<InteractionRecord>): InteractionRecord =>
    ({
      ...base,
      kind: 'approval',
      payload: { toolName: 'shell', arguments: {}, callId: 'c' },
      state: 'pending',
      ...patch,
    }) as InteractionRecord;

  it('says nothing while pending', () => {
    expect(formatOutcomeNote(question({}))).toBeUndefined();
  });

  it('names the answer, the denial reason, expiry and cancellation', () => {
    expect(
      formatOutcomeNote(question({ state: 'answered', answer: { index: 1, option: 'Blue' } })),
    ).toBe('✅ Answered by @alice:hs: 2️⃣ Blue');
    expect(formatOutcomeNote(question({ state: 'expired' }))).toBe(
      '⌛ This question expired without an answer.',
    );
    expect(formatOutcomeNote(approval({ state: 'denied', answer: { reason: 'not today' } }))).toBe(
      '❌ Denied by @alice:hs: not today',
    );
    expect(formatOutcomeNote(approval({ state: 'expired' }))).toBe(
      '⌛ Not approved in time, so the call was denied.',
    );
    expect(formatOutcomeNote(approval({ state: 'executed', result: { ok: true } }))).toBe(
      '✅ Approved by @alice:hs and run.',
    );
  });

  it('says a call interrupted by a restart was not run again', () => {
    expect(
      formatOutcomeNote(approval({ state: 'executed', result: { outcome: 'unknown' } })),
    ).toContain('it was not run again and its outcome is unknown');
  });
});

describe('card text helpers', () => {
  it('fences and quotes code that contains backticks', () => {
    expect(fenced('a ``` b', 'json')).toBe('````json\na ``` b\n````');
    expect(inlineCode('a`b')).toBe('``a`b``');
    expect(inlineCode('`x')).toBe('`` `x ``');
  });

  it('formats durations in their largest unit', () => {
    expect(formatDuration(7 * 86_400_000)).toBe('7 days');
    expect(formatDuration(36 * 3_600_000)).toBe('1.5 days');
    expect(formatDuration(60_000)).toBe('1 minute');
    expect(formatDuration(500)).toBe('a moment');
  });
});
