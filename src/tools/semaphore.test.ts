import { describe, expect, it } from 'vitest';
import { Semaphore, SemaphoreFullError } from './semaphore.js';

describe('Semaphore', () => {
  it('lets `limit` holders in and the rest wait in order', async () => {
    const semaphore = new Semaphore(2);
    const signal = new AbortController().signal;
    const first = await semaphore.acquire(signal);
    const second = await semaphore.acquire(signal);
    const order: string[] = [];
    const third = semaphore.acquire(signal).then((release) => {
      order.push('third');
      return release;
    });
    const fourth = semaphore.acquire(signal).then((release) => {
      order.push('fourth');
      return release;
    });
    expect(semaphore.queued).toBe(2);
    first();
    first(); // a second release of the same slot does nothing
    (await third)();
    second();
    (await fourth)();
    expect(order).toEqual(['third', 'fourth']);
    expect(semaphore.active).toBe(0);
  });

  it('removes a waiter whose signal aborts and rejects with the reason', async () => {
    const semaphore = new Semaphore(1);
    const release = await semaphore.acquire(new AbortController().signal);
    const controller = new AbortController();
    const waiting = semaphore.acquire(controller.signal);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    expect(semaphore.queued).toBe(0);
    release();
    expect(semaphore.active).toBe(0);
  });

  it('refuses a caller when the queue is full', async () => {
    const semaphore = new Semaphore(1, 1);
    const signal = new AbortController().signal;
    await semaphore.acquire(signal);
    const waiting = semaphore.acquire(signal);
    await expect(semaphore.acquire(signal)).rejects.toBeInstanceOf(SemaphoreFullError);
    expect(semaphore.queued).toBe(1);
    void waiting;
  });
});
