/**
 * Live reload: watches `config.yaml` and hands each settled new version, parsed, to a callback.
 *
 * chokidar watches the file's directory rather than the file, so every way editors save
 * survives: atomic rename over the file, truncate-then-write, several writes in a row, delete
 * and recreate. Events are filtered to the file.
 */
import { readFile as readFileAsync } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { watch } from 'chokidar';
import type { Clock, LinkedSignal, Logger } from '../shared/index.js';
import {
  AbortReason,
  isAbortError,
  linkSignal,
  runTask,
  systemClock,
  toError,
} from '../shared/index.js';
import type { ConfigEnv } from './interpolate-env.js';
import type { ConfigLoadResult } from './load-config-file.js';
import { fileErrorCode } from './load-config-file.js';
import { hashConfigText, parseConfig } from './parse-config.js';

/** A running directory watch; the seam tests replace. */
export interface WatchSource {
  /** Resolves once the watch is established (events after this are seen). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts watching `fileName` in `directory`, calling `onEvent` with the absolute path of each
 * changed entry (other entries may be reported too; the caller filters).
 */
export type WatchSourceFactory = (
  directory: string,
  fileName: string,
  onEvent: (path: string) => void,
  onError: (error: unknown) => void,
) => WatchSource;

/** What a `ConfigWatcher` needs; everything but `path`, `env`, `onConfig` and `log` has a default. */
export interface ConfigWatcherDeps {
  /** The config file to watch. */
  readonly path: string;
  readonly env: ConfigEnv;
  /**
   * Receives each new parse result. Never called concurrently: a change arriving while it runs
   * schedules exactly one more run after it returns. A rejection is logged, not retried.
   */
  readonly onConfig: (result: ConfigLoadResult) => void | Promise<void>;
  readonly log: Logger;
  readonly clock?: Clock;
  /** How long the file must stay quiet before it is read; default 300 ms. */
  readonly quietMs?: number;
  /** Hash (`hashConfigText`) of the config already running, so an unchanged save emits nothing. */
  readonly appliedContentHash?: string | undefined;
  readonly watchSource?: WatchSourceFactory;
  readonly readFile?: (path: string) => Promise<string>;
}

/** Default quiet period before a changed file is read. */
export const DEFAULT_CONFIG_QUIET_MS = 300;

/**
 * The default `WatchSourceFactory`: chokidar on the directory, depth 0, ignoring every other
 * entry, so a busy neighbour (the SQLite files when the data directory is the config's own)
 * gets no watcher of its own and costs no `stat` per write.
 */
export const chokidarWatchSource: WatchSourceFactory = (directory, fileName, onEvent, onError) => {
  const watchedDir = resolve(directory);
  const watchedFile = join(watchedDir, fileName);
  const watcher = watch(directory, {
    depth: 0,
    ignoreInitial: true,
    persistent: true,
    ignored: (path) => {
      const absolute = resolve(path);
      return absolute !== watchedDir && absolute !== watchedFile;
    },
  });
  watcher.on('all', (_event, path) => {
    onEvent(resolve(directory, path));
  });
  watcher.on('error', onError);
  const ready = new Promise<void>((resolveReady) => {
    watcher.once('ready', () => {
      resolveReady();
    });
  });
  return { ready, close: () => watcher.close() };
};

/**
 * Watches the config file and emits `{ ok: true, config } | { ok: false, issues }` after each
 * burst of changes settles. Whoever calls `start` calls `stop`.
 *
 * - Bursts coalesce: the file is read once it has been quiet for `quietMs`.
 * - A vanished file is an in-progress save: nothing is emitted until it comes back.
 * - Content equal to the last applied (valid) version emits nothing, and neither does the
 *   version emitted last while the file has not been back to the applied one in between (an
 *   invalid save, reverted and saved again, is reported again).
 * - `trigger()` (SIGHUP) reloads even unchanged content, since the environment may have changed.
 * - Once watching, the file is checked once, so an edit made between loading the config and
 *   starting the watcher is not missed; pass `appliedContentHash` so the config already
 *   running is not emitted again.
 */
export class ConfigWatcher {
  private readonly path: string;
  private readonly clock: Clock;
  private readonly quietMs: number;
  private readonly readFile: (path: string) => Promise<string>;
  private appliedHash: string | undefined;
  private emittedHash: string | undefined;
  private eventCount = 0;
  private isDirty = false;
  private isForced = false;
  private wake: (() => void) | undefined;
  private linked: LinkedSignal | undefined;
  private source: WatchSource | undefined;
  private loopDone: Promise<void> | undefined;
  private failure: unknown;
  private stopping: Promise<void> | undefined;

  constructor(private readonly deps: ConfigWatcherDeps) {
    this.path = resolve(deps.path);
    this.clock = deps.clock ?? systemClock;
    this.quietMs = deps.quietMs ?? DEFAULT_CONFIG_QUIET_MS;
    this.readFile = deps.readFile ?? ((path) => readFileAsync(path, 'utf8'));
    this.appliedHash = deps.appliedContentHash;
  }

  /** Starts watching; resolves once changes are being observed. Aborting `signal` stops the watcher. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.linked !== undefined || this.stopping !== undefined) {
      throw new Error('ConfigWatcher already started (a watcher runs once)');
    }
    const linked = linkSignal(signal);
    this.linked = linked;
    if (linked.signal.aborted) {
      await this.stop();
      return;
    }
    const factory = this.deps.watchSource ?? chokidarWatchSource;
    this.source = factory(
      dirname(this.path),
      basename(this.path),
      (path) => {
        // depth 0: only direct children are reported, so the name identifies the file.
        if (path === this.path || basename(path) === basename(this.path)) this.markDirty();
      },
      (error) => {
        this.deps.log.warn('config watch error', { path: this.path, error });
      },
    );
    this.loopDone = this.loop(linked.signal);
    linked.signal.addEventListener(
      'abort',
      () => {
        runTask(this.stop(), { log: this.deps.log, what: 'stop config watcher' });
      },
      { once: true },
    );
    await this.source.ready;
    // One check once watching, so an edit made between loading the config and now is not missed.
    this.markDirty();
  }

  /** Reloads now (after the quiet period), even when the file content is unchanged. */
  trigger(): void {
    this.isForced = true;
    this.markDirty();
  }

  /** Stops watching and waits for a callback in progress. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.linked?.abort(new AbortReason('shutdown', 'config watcher stopped'));
    this.linked?.cleanup();
    await this.source?.close();
    await this.loopDone;
  }

  private markDirty(): void {
    this.eventCount++;
    this.isDirty = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async loop(signal: AbortSignal): Promise<void> {
    try {
      for (;;) {
        signal.throwIfAborted();
        if (!this.isDirty) await this.nextEvent(signal);
        // Quiet period: start over whenever another event arrived while we slept.
        let seen: number;
        do {
          seen = this.eventCount;
          await this.clock.sleep(this.quietMs, signal);
        } while (seen !== this.eventCount);
        this.isDirty = false;
        const isForced = this.isForced;
        this.isForced = false;
        await this.reloadOnce(isForced);
      }
    } catch (error: unknown) {
      if (signal.aborted || isAbortError(error)) return;
      this.failure = error;
    }
  }

  /**
   * Resolves when the watcher has stopped, and rejects with the error that ended it when it
   * failed on its own (so a supervisor can restart it with a new watcher).
   */
  async finished(): Promise<void> {
    await this.loopDone;
    if (this.failure !== undefined) throw toError(this.failure);
  }

  private nextEvent(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolveWait, rejectWait) => {
      const onAbort = (): void => {
        this.wake = undefined;
        rejectWait(toError(signal.reason));
      };
      this.wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolveWait();
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async reloadOnce(isForced: boolean): Promise<void> {
    let text: string;
    try {
      text = await this.readFile(this.path);
    } catch (error: unknown) {
      if (fileErrorCode(error) === 'ENOENT') {
        // Editors that delete then recreate: wait for the file to come back.
        this.deps.log.debug('config file missing; waiting for it to come back', {
          path: this.path,
        });
        return;
      }
      const message = `cannot read the config file ${this.path}: ${error instanceof Error ? error.message : String(error)}`;
      await this.emit({
        ok: false,
        issues: [{ path: '', message, line: 0, column: 0 }],
        warnings: [],
        contentHash: undefined,
      });
      return;
    }
    const hash = hashConfigText(text);
    if (!isForced && hash === this.appliedHash) {
      // Back to the running config: a broken version saved again after this is news, and must
      // be reported again rather than skipped as already emitted.
      this.emittedHash = hash;
      return;
    }
    if (!isForced && hash === this.emittedHash) return;
    this.emittedHash = hash;
    const result = parseConfig(text, { env: this.deps.env, filePath: this.path });
    if (result.ok) this.appliedHash = hash;
    await this.emit({ ...result, contentHash: hash });
  }

  private async emit(result: ConfigLoadResult): Promise<void> {
    try {
      await this.deps.onConfig(result);
    } catch (error: unknown) {
      this.deps.log.error('config reload callback failed', { path: this.path, error });
    }
  }
}
