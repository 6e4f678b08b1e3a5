import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import type { OutgoingFile, OutgoingText } from '../matrix/index.js';
import { DaemonError, asRoomId, silentLogger, type EventId } from '../shared/index.js';
import { Outbox, type OutboxClient } from './outbox.js';

const ROOM = asRoomId('!r:hs');
const text = (body: string): OutgoingText => ({ body, format: 'plain' });

class RecordingClient implements OutboxClient {
  readonly calls: string[] = [];
  failures: DaemonError[] = [];
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private counter = 0;

  /** Holds every request until `release()`. */
  hold(): void {
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
  }
  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  private async call(what: string): Promise<EventId> {
    this.calls.push(what);
    if (this.gate !== undefined) await this.gate;
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    this.counter += 1;
    return `$e${this.counter}` as EventId;
  }
  sendText(_room: string, message: OutgoingText, options: { txnId: string }): Promise<EventId> {
    return this.call(`send ${message.body} ${options.txnId}`);
  }
  editText(
    _room: string,
    target: string,
    message: OutgoingText,
    options: { txnId: string },
  ): Promise<EventId> {
    return this.call(`edit ${target} ${message.body} ${options.txnId}`);
  }
  react(_room: string, target: string, key: string): Promise<EventId> {
    return this.call(`react ${target} ${key}`);
  }
  redact(_room: string, eventId: string): Promise<EventId> {
    return this.call(`redact ${eventId}`);
  }
  sendFile(_room: string, file: OutgoingFile, options: { txnId: string }): Promise<EventId> {
    return this.call(`file ${file.filename} ${options.txnId}`);
  }
}

function rateLimited(retryAfterMs: number): DaemonError {
  return Object.assign(new DaemonError('rate_limited', 'upstream', 'M_LIMIT_EXCEEDED'), {
    retryAfterMs,
  });
}

function setup(): { client: RecordingClient; clock: FakeClock; outbox: Outbox } {
  const client = new RecordingClient();
  const clock = new FakeClock();
  return { client, clock, outbox: new Outbox({ client, clock, log: silentLogger }) };
}

describe('Outbox', () => {
  it('sends with the caller’s transaction id and returns the event id', async () => {
    const { client, outbox } = setup();
    await expect(outbox.sendText(ROOM, text('hi'), 'txn1')).resolves.toBe('$e1');
    expect(client.calls).toEqual(['send hi txn1']);
  });

  it('coalesces queued intermediate edits of one message, keeping only the newest', async () => {
    const { client, outbox } = setup();
    client.hold();
    const first = outbox.sendText(ROOM, text('start'), 't0');
    const edits = [1, 2, 3].map((n) =>
      outbox.editText(ROOM, '$m' as EventId, text(`v${n}`), `t${n}`, { isFinal: false }),
    );
    client.release();
    await first;
    expect(await Promise.all(edits)).toEqual([undefined, undefined, '$e2']);
    expect(client.calls).toEqual(['send start t0', 'edit $m v3 t3']);
  });

  it('never lets a stale intermediate edit land after the final one', async () => {
    const { client, outbox } = setup();
    client.hold();
    const blocker = outbox.sendText(ROOM, text('other'), 'x');
    const partial = outbox.editText(ROOM, '$m' as EventId, text('partial'), 'p', {
      isFinal: false,
    });
    const final = outbox.editText(ROOM, '$m' as EventId, text('final'), 'f', { isFinal: true });
    client.release();
    await Promise.all([blocker, partial, final]);
    expect(client.calls).toEqual(['send other x', 'edit $m final f']);
  });

  it('puts new messages ahead of queued streaming edits', async () => {
    const { client, outbox } = setup();
    client.hold();
    const ops = [
      outbox.sendText(ROOM, text('a'), 'a'),
      outbox.editText(ROOM, '$m' as EventId, text('stream'), 's', { isFinal: false }),
      outbox.sendText(ROOM, text('b'), 'b'),
    ];
    client.release();
    await Promise.all(ops);
    expect(client.calls).toEqual(['send a a', 'send b b', 'edit $m stream s']);
  });

  it('waits out retry_after_ms and resends with the same transaction id', async () => {
    const { client, clock, outbox } = setup();
    client.failures = [rateLimited(3000)];
    const sent = outbox.sendText(ROOM, text('hi'), 'txn');
    await flushMicrotasks();
    expect(client.calls).toEqual(['send hi txn']);
    await clock.advance(2999);
    expect(client.calls).toHaveLength(1);
    await clock.advance(1);
    await expect(sent).resolves.toBe('$e1');
    expect(client.calls).toEqual(['send hi txn', 'send hi txn']);
  });

  it('retries transient failures with backoff and gives up on permanent ones', async () => {
    const { client, clock, outbox } = setup();
    client.failures = [new DaemonError('server_error', 'upstream', '502')];
    const sent = outbox.sendText(ROOM, text('hi'), 'txn');
    await flushMicrotasks();
    await clock.advance(10_000);
    await expect(sent).resolves.toBe('$e1');

    client.failures = [new DaemonError('forbidden', 'upstream', 'not in room')];
    await expect(outbox.sendText(ROOM, text('no'), 'n')).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('rejects queued work on close and refuses new work', async () => {
    const { client, outbox } = setup();
    client.hold();
    const inFlight = outbox.sendText(ROOM, text('a'), 'a');
    const queued = outbox.sendText(ROOM, text('b'), 'b');
    outbox.close();
    await expect(queued).rejects.toMatchObject({ kind: 'shutdown' });
    await expect(outbox.sendText(ROOM, text('c'), 'c')).rejects.toMatchObject({ kind: 'shutdown' });
    client.release();
    await expect(inFlight).resolves.toBe('$e1');
    await outbox.drain();
  });

  it('sends a file with its transaction id, ahead of queued streaming edits', async () => {
    const { client, outbox } = setup();
    client.hold();
    const first = outbox.sendText(ROOM, text('hi'), 't0');
    const edit = outbox.editText(ROOM, '$e1' as EventId, text('partial'), 't1', { isFinal: false });
    const file = outbox.sendFile(
      ROOM,
      { bytes: Buffer.from('report'), filename: 'report.md', mimetype: 'text/markdown' },
      't2',
    );
    client.release();
    await Promise.all([first, edit, file]);
    expect(client.calls).toEqual(['send hi t0', 'file report.md t2', 'edit $e1 partial t1']);
  });
});
