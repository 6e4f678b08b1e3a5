import { afterEach, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../shared/index.js';
import { silentLogger } from '../shared/index.js';
import { FakeClock, flushMicrotasks } from '../../test/support/fake-clock.js';
import type { ConfigWatcherDeps, WatchSourceFactory } from './config-watcher.js';
import { ConfigWatcher } from './config-watcher.js';
import type { ConfigLoadResult } from './load-config-file.js';
import { hashConfigText } from './parse-config.js';

const PATH = '/etc/quorum/config.yaml';

function configText(displayName: string): string {
  return `models:\n  default: {provider: openai, id: x}\nagents:\n  a: {display_name: ${displayName}}\n`;
}
const INVALID = 'agents:\n  a: {display_name: A, bogus: 1}\n';

class FakeDirectory {
  readonly files = new Map<string, string>();
  private onEvent: ((path: string) => void) | undefined;
  isClosed = false;
  readonly source: WatchSourceFactory = (_directory, _fileName, onEvent) => {
    this.onEvent = onEvent;
    return {
      ready: Promise.resolve(),
      close: () => {
        this.isClosed = true;
        return Promise.resolve();
      },
    };
  };

  write(text: string, path = PATH): void {
    this.files.set(path, text);
    this.onEvent?.(path);
  }

  remove(path = PATH): void {
    this.files.delete(path);
    this.onEvent?.(path);
  }

  readonly readFile = (path: string): Promise<string> => {
    const text = this.files.get(path);
    if (text === undefined) {
      return Promise.reject(
        Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' }),
      );
    }
    return Promise.resolve(text);
  };
}

interface Harness {
  readonly watcher: ConfigWatcher;
  readonly dir: FakeDirectory;
  readonly clock: FakeClock;
  readonly results: ConfigLoadResult[];
  readonly controller: AbortController;
}

let running: Harness | undefined;

afterEach(async () => {
  await running?.watcher.stop();
  running = undefined;
});

async function startWatcher(overrides: Partial<ConfigWatcherDeps> = {}): Promise<Harness> {
  const dir = new FakeDirectory();
  const clock = new FakeClock();
  const results: ConfigLoadResult[] = [];
  const controller = new AbortController();
  const watcher = new ConfigWatcher({
    path: PATH,
    env: {},
    log: silentLogger,
    clock,
    watchSource: dir.source,
    readFile: dir.readFile,
    onConfig: (result) => {
      results.push(result);
    },
    ...overrides,
  });
  await watcher.start(controller.signal);
  running = { watcher, dir, clock, results, controller };
  return running;
}

/**
 * Lets the watcher reach its next sleep, moves fake time on, then lets its read, parse and
 * callback chain run.
 */
async function advance(clock: FakeClock, ms: number): Promise<void> {
  await flushMicrotasks(100);
  await clock.advance(ms);
  await flushMicrotasks(100);
}

function displayNames(results: readonly ConfigLoadResult[]): (string | undefined)[] {
  return results.map((result) => (result.ok ? result.config.agents['a']?.display_name : undefined));
}

describe('ConfigWatcher', () => {
  it('reads the file once after a burst of changes has been quiet for the quiet period', async () => {
    const { dir, clock, results } = await startWatcher();
    for (const name of ['One', 'Two', 'Three']) {
      dir.write(configText(name));
      await advance(clock, 100);
    }
    expect(results).toEqual([]);
    await advance(clock, 1_000);
    expect(displayNames(results)).toEqual(['Three']);
  });

  it('does not read before the quiet period has passed', async () => {
    const { dir, clock, results } = await startWatcher();
    await advance(clock, 1_000); // the check on start finds no file
    dir.write(configText('One'));
    await advance(clock, 299);
    expect(results).toEqual([]);
    await advance(clock, 1);
    expect(results).toHaveLength(1);
  });

  it('emits nothing for content equal to the config already applied', async () => {
    const text = configText('Same');
    const { dir, clock, results } = await startWatcher({
      appliedContentHash: hashConfigText(text),
    });
    dir.write(text);
    await advance(clock, 1_000);
    expect(results).toEqual([]);
  });

  it('emits issues for an invalid save once, and nothing when the good version returns', async () => {
    const good = configText('Good');
    const { dir, clock, results } = await startWatcher({
      appliedContentHash: hashConfigText(good),
    });
    dir.write(INVALID);
    await advance(clock, 1_000);
    dir.write(INVALID);
    await advance(clock, 1_000);
    dir.write(good);
    await advance(clock, 1_000);
    expect(results).toHaveLength(1);
    expect(results[0]?.ok).toBe(false);
    expect(!results[0]?.ok && results[0]?.issues[0]?.path).toBe('agents.a.bogus');
  });

  it('reports an invalid save again when it returns after the good version was restored', async () => {
    const good = configText('Good');
    const { dir, clock, results } = await startWatcher({
      appliedContentHash: hashConfigText(good),
    });
    dir.write(INVALID);
    await advance(clock, 1_000);
    dir.write(good);
    await advance(clock, 1_000);
    dir.write(INVALID);
    await advance(clock, 1_000);
    expect(results.map((result) => result.ok)).toEqual([false, false]);
  });

  it('emits a version again when it returns after another valid version was applied', async () => {
    const { dir, clock, results } = await startWatcher({
      appliedContentHash: hashConfigText(configText('One')),
    });
    dir.write(configText('Two'));
    await advance(clock, 1_000);
    dir.write(configText('One'));
    await advance(clock, 1_000);
    expect(displayNames(results)).toEqual(['Two', 'One']);
  });

  it('waits for a vanished file to come back instead of reporting it', async () => {
    const { dir, clock, results } = await startWatcher();
    dir.write(configText('Before'));
    await advance(clock, 1_000);
    dir.remove();
    await advance(clock, 1_000);
    expect(displayNames(results)).toEqual(['Before']);
    dir.write(configText('After'));
    await advance(clock, 1_000);
    expect(displayNames(results)).toEqual(['Before', 'After']);
  });

  it('never runs the callback concurrently; changes during a run schedule exactly one more run', async () => {
    let active = 0;
    let maxActive = 0;
    let release: (() => void) | undefined;
    const results: ConfigLoadResult[] = [];
    const { dir, clock } = await startWatcher({
      onConfig: async (result) => {
        results.push(result);
        active++;
        maxActive = Math.max(maxActive, active);
        if (results.length === 1) {
          await new Promise<void>((resolve) => {
            release = resolve;
          });
        }
        active--;
      },
    });
    dir.write(configText('First'));
    await advance(clock, 1_000);
    expect(release).toBeDefined();
    for (const name of ['A', 'B', 'C']) {
      dir.write(configText(name));
      await advance(clock, 500);
    }
    expect(results).toHaveLength(1);
    release?.();
    await flushMicrotasks();
    await advance(clock, 1_000);
    await advance(clock, 5_000);
    expect(displayNames(results)).toEqual(['First', 'C']);
    expect(maxActive).toBe(1);
  });

  it('reloads unchanged content when triggered by hand', async () => {
    const text = configText('Same');
    const { watcher, dir, clock, results } = await startWatcher({
      appliedContentHash: hashConfigText(text),
    });
    dir.files.set(PATH, text);
    watcher.trigger();
    await advance(clock, 1_000);
    expect(displayNames(results)).toEqual(['Same']);
  });

  it('checks the file once on start, so an edit made before watching is not missed', async () => {
    const dir = new FakeDirectory();
    dir.files.set(PATH, configText('Edited'));
    const clock = new FakeClock();
    const results: ConfigLoadResult[] = [];
    const watcher = new ConfigWatcher({
      path: PATH,
      env: {},
      log: silentLogger,
      clock,
      watchSource: dir.source,
      readFile: dir.readFile,
      appliedContentHash: hashConfigText(configText('Loaded')),
      onConfig: (result) => {
        results.push(result);
      },
    });
    await watcher.start(new AbortController().signal);
    await advance(clock, 1_000);
    await watcher.stop();
    expect(displayNames(results)).toEqual(['Edited']);
  });

  it('ignores other files in the directory', async () => {
    const { dir, clock, results } = await startWatcher();
    dir.write('anything', '/etc/quorum/notes.txt');
    await advance(clock, 1_000);
    expect(results).toEqual([]);
  });

  it('reports an unreadable file as an issue', async () => {
    const { watcher, clock, results } = await startWatcher({
      readFile: () =>
        Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })),
    });
    watcher.trigger();
    await advance(clock, 1_000);
    expect(results).toEqual([
      {
        ok: false,
        issues: [
          {
            path: '',
            message: `cannot read the config file ${PATH}: EACCES: permission denied`,
            line: 0,
            column: 0,
          },
        ],
        warnings: [],
        contentHash: undefined,
      },
    ]);
  });

  it('logs a failing callback and keeps watching', async () => {
    const errors: { message: string; fields: LogFields | undefined }[] = [];
    const log: Logger = {
      ...silentLogger,
      error: (message, fields) => {
        errors.push({ message, fields });
      },
    };
    let calls = 0;
    const { dir, clock } = await startWatcher({
      log,
      onConfig: () => {
        calls++;
        if (calls === 1) throw new Error('apply failed');
      },
    });
    dir.write(configText('One'));
    await advance(clock, 1_000);
    dir.write(configText('Two'));
    await advance(clock, 1_000);
    expect(calls).toBe(2);
    expect(errors.map((entry) => entry.message)).toEqual(['config reload callback failed']);
  });

  it('stops when its signal aborts, closing the watch, and ignores later changes', async () => {
    const { watcher, dir, clock, results, controller } = await startWatcher();
    controller.abort();
    await watcher.stop();
    expect(dir.isClosed).toBe(true);
    dir.write(configText('Late'));
    await advance(clock, 1_000);
    expect(results).toEqual([]);
  });

  it('waits for a running callback when stopped, and stops only once', async () => {
    let release: (() => void) | undefined;
    let isDone = false;
    const { watcher, dir, clock } = await startWatcher({
      onConfig: async () => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        isDone = true;
      },
    });
    dir.write(configText('One'));
    await advance(clock, 1_000);
    const first = watcher.stop();
    const second = watcher.stop();
    expect(second).toBe(first);
    release?.();
    await first;
    expect(isDone).toBe(true);
  });

  it('refuses to start twice', async () => {
    const { watcher } = await startWatcher();
    await expect(watcher.start(new AbortController().signal)).rejects.toThrow('already started');
  });

  it('does not start watching when its signal is already aborted', async () => {
    const dir = new FakeDirectory();
    let isWatching = false;
    const watcher = new ConfigWatcher({
      path: PATH,
      env: {},
      log: silentLogger,
      watchSource: (...args) => {
        isWatching = true;
        return dir.source(...args);
      },
      readFile: dir.readFile,
      onConfig: () => undefined,
    });
    await watcher.start(AbortSignal.abort());
    expect(isWatching).toBe(false);
  });
});
