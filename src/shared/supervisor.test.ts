import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import { DaemonError } from './errors.js';
import { silentLogger } from './logger.js';
import { Supervisor, type SupervisedRun } from './supervisor.js';

/** A runner whose attempts the test scripts: each attempt fails, syncs, or hangs until aborted. */
class ScriptedRunner {
  attempts = 0;
  readonly startTimes: number[] = [];
  constructor(
    private readonly clock: FakeClock,
    private readonly script: ('fail' | 'sync-then-hang' | 'hang' | 'rate-limit')[],
  ) {}
  readonly run: SupervisedRun = async (signal, onSynced) => {
    this.startTimes.push(this.clock.now());
    const step = this.script[this.attempts] ?? 'sync-then-hang';
    this.attempts += 1;
    if (step === 'fail') throw new DaemonError('network', 'upstream', 'connection refused');
    if (step === 'rate-limit') {
      throw Object.assign(new DaemonError('rate_limited', 'upstream', 'slow down'), {
        retryAfterMs: 42_000,
      });
    }
    if (step === 'sync-then-hang') onSynced();
    await new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => {
        resolve();
      });
    });
    if (!signal.aborted) return;
    throw signal.reason;
  };
}

function supervisor(clock: FakeClock, runner: ScriptedRunner, stallAfterMs = 100_000): Supervisor {
  return new Supervisor({
    name: 'calc',
    clock,
    log: silentLogger,
    run: runner.run,
    stallAfterMs,
  });
}

describe('Supervisor', () => {
  it('restarts a failing bot on linear backoff: 5 s, 10 s, 15 s', async () => {
    const clock = new FakeClock(0);
    const runner = new ScriptedRunner(clock, ['fail', 'fail', 'fail']);
    const bot = supervisor(clock, runner);
    bot.start();
    await flushMicrotasks();
    await clock.advance(40_000);
    expect(runner.startTimes).toEqual([0, 5_000, 15_000, 30_000]);
    expect(bot.snapshot()).toMatchObject({ state: 'syncing', restarts: 3, hasSynced: true });
    await bot.stop();
    expect(bot.snapshot().state).toBe('stopped');
  });

  it('caps the backoff at 60 s', async () => {
    const clock = new FakeClock(0);
    const runner = new ScriptedRunner(
      clock,
      Array.from({ length: 15 }, () => 'fail' as const),
    );
    const bot = supervisor(clock, runner);
    bot.start();
    await flushMicrotasks();
    await clock.advance(800_000);
    const starts = runner.startTimes.slice(0, 16);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(gaps.slice(0, 4)).toEqual([5_000, 10_000, 15_000, 20_000]);
    expect(Math.max(...gaps)).toBe(60_000);
    await bot.stop();
  });

  it('honours retry_after_ms when the homeserver rate-limits the bot', async () => {
    const clock = new FakeClock(0);
    const runner = new ScriptedRunner(clock, ['rate-limit']);
    const bot = supervisor(clock, runner);
    bot.start();
    await flushMicrotasks();
    await clock.advance(60_000);
    expect(runner.startTimes).toEqual([0, 42_000]);
    await bot.stop();
  });

  it('restarts a bot whose sync stalls', async () => {
    const clock = new FakeClock(0);
    const runner = new ScriptedRunner(clock, ['sync-then-hang', 'sync-then-hang']);
    const bot = supervisor(clock, runner, 90_000);
    bot.start();
    await flushMicrotasks();
    await clock.advance(130_000);
    expect(runner.attempts).toBe(2);
    expect(bot.snapshot().lastError).toContain('no sync response');
    await bot.stop();
  });

  it('settles boot after the first sync or the first failure', async () => {
    const clock = new FakeClock(0);
    const bot = supervisor(clock, new ScriptedRunner(clock, ['fail']));
    bot.start();
    await bot.whenSettled();
    expect(bot.snapshot().state).toBe('backoff');
    await bot.stop();
  });
});

describe('Supervisor start gate', () => {
  /** A gate the test opens (or fails); records the signal it waited with. */
  function gate(reason = 'waiting for required MCP server slow') {
    let open: () => void = () => undefined;
    let fail: (error: Error) => void = () => undefined;
    let waitedWith: AbortSignal | undefined;
    return {
      gate: {
        reason,
        wait: (signal: AbortSignal) => {
          waitedWith = signal;
          return new Promise<void>((resolve, reject) => {
            open = resolve;
            fail = reject;
            signal.addEventListener('abort', () => {
              reject(signal.reason as Error);
            });
          });
        },
      },
      open: () => {
        open();
      },
      fail: (error: Error) => {
        fail(error);
      },
      signal: () => waitedWith,
    };
  }

  it('holds the first attempt back until the gate opens, reporting why, without holding up boot', async () => {
    const clock = new FakeClock(0);
    const runner = new ScriptedRunner(clock, ['sync-then-hang']);
    const held = gate();
    const bot = new Supervisor({
      name: 'needy',
      clock,
      log: silentLogger,
      run: runner.run,
      stallAfterMs: undefined,
      startGate: () => held.gate,
    });
    bot.start();
    await bot.whenSettled();
    expect(runner.attempts).toBe(0);
    expect(bot.snapshot()).toMatchObject({
      state: 'starting',
      lastError: 'waiting for required MCP server slow',
    });
    held.open();
    await flushMicrotasks();
    expect(runner.attempts).toBe(1);
    expect(bot.snapshot()).toMatchObject({ state: 'syncing', lastError: undefined });
    await bot.stop();
  });

  it('starts at once when the gate says there is nothing to wait for', async () => {
    const clock = new FakeClock(0);
    const runner = new ScriptedRunner(clock, ['sync-then-hang']);
    const bot = new Supervisor({
      name: 'plain',
      clock,
      log: silentLogger,
      run: runner.run,
      stallAfterMs: undefined,
      startGate: () => undefined,
    });
    bot.start();
    await bot.whenSettled();
    expect(runner.attempts).toBe(1);
    await bot.stop();
  });

  it('never starts a task stopped while held, and ends the wait', async () => {
    const clock = new FakeClock(0);
    const runner = new ScriptedRunner(clock, ['sync-then-hang']);
    const held = gate();
    const bot = new Supervisor({
      name: 'needy',
      clock,
      log: silentLogger,
      run: runner.run,
      stallAfterMs: undefined,
      startGate: () => held.gate,
    });
    bot.start();
    await flushMicrotasks();
    await bot.stop();
    expect(held.signal()?.aborted).toBe(true);
    held.open();
    await flushMicrotasks();
    expect(runner.attempts).toBe(0);
    expect(bot.snapshot().state).toBe('stopped');
  });

  it('stays held with its reason when the gate fails (logged), and stops cleanly', async () => {
    const clock = new FakeClock(0);
    const runner = new ScriptedRunner(clock, []);
    const held = gate();
    const bot = new Supervisor({
      name: 'needy',
      clock,
      log: silentLogger,
      run: runner.run,
      stallAfterMs: undefined,
      startGate: () => held.gate,
    });
    bot.start();
    await flushMicrotasks();
    held.fail(new Error('the MCP clients are stopped'));
    await flushMicrotasks();
    expect(runner.attempts).toBe(0);
    expect(bot.snapshot().state).toBe('starting');
    await bot.stop();
    expect(bot.snapshot().state).toBe('stopped');
  });
});
