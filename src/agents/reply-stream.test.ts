import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import type { OutgoingText } from '../matrix/index.js';
import { asEventId, asRoomId, silentLogger, type EventId } from '../shared/index.js';
import {
  FIRST_SEND_COALESCE_MS,
  ReplyStream,
  editIntervalMs,
  type ReplyOutbox,
} from './reply-stream.js';

interface Sent {
  readonly op: string;
  readonly txnId: string;
  readonly body?: string;
  readonly status?: unknown;
}

class RecordingOutbox implements ReplyOutbox {
  readonly sent: Sent[] = [];
  private n = 0;
  private next(): EventId {
    this.n += 1;
    return asEventId(`$out${this.n}`);
  }
  sendText(_room: string, message: OutgoingText, txnId: string): Promise<EventId> {
    this.sent.push({
      op: 'send',
      txnId,
      body: message.body,
      status: message.extraContent?.['io.quorum.stream_status'],
    });
    return Promise.resolve(this.next());
  }
  editText(_room: string, target: string, message: OutgoingText, txnId: string): Promise<EventId> {
    this.sent.push({
      op: `edit ${target}`,
      txnId,
      body: message.body,
      status: message.extraContent?.['io.quorum.stream_status'],
    });
    return Promise.resolve(this.next());
  }
  react(_room: string, target: string, key: string, txnId: string): Promise<EventId> {
    this.sent.push({ op: `react ${target} ${key}`, txnId });
    return Promise.resolve(this.next());
  }
  redact(_room: string, eventId: string, txnId: string): Promise<EventId> {
    this.sent.push({ op: `redact ${eventId}`, txnId });
    return Promise.resolve(this.next());
  }
}

function setup(
  overrides: { isStreaming?: boolean; showStopButton?: boolean; existingReplyId?: EventId } = {},
) {
  const outbox = new RecordingOutbox();
  const clock = new FakeClock();
  const replies: EventId[] = [];
  const stream = new ReplyStream({
    outbox,
    clock,
    log: silentLogger,
    roomId: asRoomId('!r:hs'),
    threadRoot: asEventId('$root'),
    sourceEventId: asEventId('$src'),
    txnPrefix: 'qr-x',
    generation: 0,
    existingReplyId: overrides.existingReplyId,
    isStreaming: overrides.isStreaming ?? true,
    useMarkdown: true,
    showStopButton: overrides.showStopButton ?? false,
    onReplySent: (id) => replies.push(id),
  });
  return { outbox, clock, stream, replies };
}

describe('ReplyStream', () => {
  it('sends the first text at once, then edits at the cadence, then one final edit', async () => {
    const { outbox, clock, stream, replies } = setup();
    stream.update('Hel');
    await clock.advance(FIRST_SEND_COALESCE_MS);
    expect(outbox.sent).toEqual([
      { op: 'send', txnId: 'qr-x.send', body: 'Hel ⋯', status: 'streaming' },
    ]);
    expect(replies).toEqual(['$out1']);
    stream.update('Hello');
    stream.update('Hello wor');
    await flushMicrotasks();
    expect(outbox.sent).toHaveLength(1);
    await clock.advance(editIntervalMs(9));
    expect(outbox.sent[1]).toEqual({
      op: 'edit $out1',
      txnId: 'qr-x.g0.e1',
      body: 'Hello wor ⋯',
      status: 'streaming',
    });
    await stream.finish('Hello world', 'completed');
    expect(outbox.sent.at(-1)).toEqual({
      op: 'edit $out1',
      txnId: 'qr-x.g0.final',
      body: 'Hello world',
      status: 'final',
    });
    expect(outbox.sent).toHaveLength(3);
  });

  it('slows the edit cadence for long replies', () => {
    expect(editIntervalMs(10)).toBe(500);
    expect(editIntervalMs(2_000)).toBeGreaterThan(editIntervalMs(10));
    expect(editIntervalMs(10_000)).toBeGreaterThan(editIntervalMs(2_000));
  });

  it('sends only the final text when not streaming', async () => {
    const { outbox, stream } = setup({ isStreaming: false });
    stream.update('partial');
    await stream.finish('complete', 'completed');
    expect(outbox.sent).toEqual([
      { op: 'send', txnId: 'qr-x.send', body: 'complete', status: 'final' },
    ]);
  });

  it('marks a stopped reply as stopped in its final edit', async () => {
    const { outbox, stream } = setup();
    stream.update('partial answer');
    await flushMicrotasks();
    await stream.finish('partial answer', 'stopped');
    expect(outbox.sent.at(-1)?.body).toBe('partial answer\n\n_⏹ Stopped._');
  });

  it('edits an existing reply in place when regenerating', async () => {
    const { outbox, stream } = setup({ existingReplyId: asEventId('$old') });
    stream.update('new text');
    await flushMicrotasks();
    await stream.finish('new text, final', 'completed');
    expect(outbox.sent.map((s) => s.op)).toEqual(['edit $old', 'edit $old']);
    expect(outbox.sent.at(-1)?.body).toBe('new text, final');
  });

  it('adds a stop button while streaming and removes it at the end', async () => {
    const { outbox, stream, clock } = setup({ showStopButton: true });
    stream.update('thinking');
    await clock.advance(FIRST_SEND_COALESCE_MS);
    await stream.finish('done', 'completed');
    expect(outbox.sent.map((s) => s.op)).toEqual([
      'send',
      'react $out1 🛑',
      'edit $out1',
      'redact $out2',
    ]);
  });

  it('sends a reply that finishes at once as one final message, without a stop button', async () => {
    const { outbox, stream } = setup({ showStopButton: true });
    stream.update('quick');
    await stream.finish('quick answer', 'completed');
    expect(outbox.sent).toEqual([
      { op: 'send', txnId: 'qr-x.send', body: 'quick answer', status: 'final' },
    ]);
  });

  it('abandons without a final edit when superseded', async () => {
    const { outbox, stream, clock } = setup();
    stream.update('old');
    await clock.advance(FIRST_SEND_COALESCE_MS);
    await stream.abandon();
    stream.update('ignored');
    await flushMicrotasks();
    expect(outbox.sent.map((s) => s.op)).toEqual(['send']);
  });
});
