import { describe, expect, it } from 'vitest';
import { AbortReason, abortKindOf, silentLogger } from '../shared/index.js';
import { TurnCoordinator } from './turn-coordinator.js';

function hangingTask(seen: (string | undefined)[]) {
  return (signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => {
        seen.push(abortKindOf(signal));
        resolve();
      });
    });
}

describe('TurnCoordinator', () => {
  it('runs one turn per responder and source event', async () => {
    const turns = new TurnCoordinator(silentLogger);
    const seen: (string | undefined)[] = [];
    expect(turns.start('calc', '$m', hangingTask(seen))).toBe(true);
    expect(turns.start('calc', '$m', hangingTask(seen))).toBe(false);
    expect(turns.start('scribe', '$m', hangingTask(seen))).toBe(true);
    expect(turns.size).toBe(2);
    await turns.abort('calc', '$m', new AbortReason('stopped'));
    expect(seen).toEqual(['stopped']);
    expect(turns.isRunning('calc', '$m')).toBe(false);
    await turns.abortAll(new AbortReason('shutdown'));
    expect(seen).toEqual(['stopped', 'shutdown']);
    expect(turns.size).toBe(0);
  });

  it('aborts every turn when the parent signal aborts', async () => {
    const parent = new AbortController();
    const turns = new TurnCoordinator(silentLogger, parent.signal);
    const seen: (string | undefined)[] = [];
    turns.start('calc', '$a', hangingTask(seen));
    parent.abort(new AbortReason('shutdown'));
    await turns.settled();
    expect(seen).toEqual(['shutdown']);
  });

  it('selects turns by responder', async () => {
    const turns = new TurnCoordinator(silentLogger);
    const seen: (string | undefined)[] = [];
    turns.start('calc', '$a', hangingTask(seen));
    turns.start('scribe', '$b', hangingTask(seen));
    const calcKeys = new Set(turns.keysFor('calc'));
    await turns.abortAll(new AbortReason('reload'), (key) => calcKeys.has(key));
    expect(turns.isRunning('scribe', '$b')).toBe(true);
    expect(turns.isRunning('calc', '$a')).toBe(false);
    await turns.abortAll(new AbortReason('shutdown'));
  });
});
