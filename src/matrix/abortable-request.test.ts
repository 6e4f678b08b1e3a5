import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { AbortReason } from '../shared/index.js';
import { runAbortable } from './abortable-request.js';
import { MatrixRequestError } from './errors.js';

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('runAbortable', () => {
  it('resolves with the result and removes its listeners from every signal', async () => {
    const longLived = new AbortController();
    const perCall = new AbortController();
    await expect(
      runAbortable('GET /x', () => Promise.resolve(42), [longLived.signal, perCall.signal]),
    ).resolves.toBe(42);
    expect(getEventListeners(longLived.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(perCall.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with the abort reason at once and drops the late rejection', async () => {
    const controller = new AbortController();
    let fail: (error: Error) => void = () => undefined;
    const pending = runAbortable(
      'GET /sync',
      () => new Promise<never>((_resolve, reject) => (fail = reject)),
      [controller.signal],
    );
    const reason = new AbortReason('stopped');
    controller.abort(reason);
    expect(await rejectionOf(pending)).toBe(reason);
    // Would surface as an unhandled rejection (failing the run) if it were not swallowed.
    fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  });

  it('does not start the request when a signal is already aborted', async () => {
    const request = vi.fn(() => Promise.resolve(1));
    const reason = new AbortReason('shutdown');
    const error = await rejectionOf(runAbortable('GET /x', request, [AbortSignal.abort(reason)]));
    expect(error).toBe(reason);
    expect(request).not.toHaveBeenCalled();
  });

  it('maps other rejections through the converter, naming the request', async () => {
    const error = await rejectionOf(
      runAbortable(
        'PUT /send',
        () => Promise.reject(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })),
        [undefined],
      ),
    );
    expect(error).toBeInstanceOf(MatrixRequestError);
    expect(error).toMatchObject({ code: 'network' });
    expect((error as Error).message).toContain('PUT /send');
  });
});
