import { describeError, isAbortError } from '../shared/index.js';
import type { ChunkHit } from '../storage/index.js';
import { isCorruptionError } from '../storage/index.js';
import type { FileIndexerDeps } from './file-indexer.js';
import { FileIndexer, isChanged } from './file-indexer.js';
import type { ScannedFile } from './folder-scanner.js';
import { extensionSet, fileFilter, scanFolder, statMember } from './folder-scanner.js';
import type { FolderWatcher, FolderWatcherFactory } from './folder-watcher.js';

/**
 * Where a base is: `initializing` (first index not done, or `require_content_before_publish`
 * and no file yet), `indexing` (a sync or changed files are being processed; search serves
 * what is indexed), `ready`, `failed` (the last pass failed; search serves the last index),
 * `stopped`.
 */
export type KnowledgeState = 'initializing' | 'indexing' | 'ready' | 'failed' | 'stopped';

/** What `/api/ready` shows about one base. */
export interface KnowledgeBaseSnapshot {
  readonly files: number;
  readonly chunks: number;
  readonly state: KnowledgeState;
  readonly mode: 'semantic' | 'files';
  /** Files found but not indexed (too large, binary, unreadable). */
  readonly skipped_files: number;
  /** Why the last indexing pass failed, while it stays failed. */
  readonly last_error: string | null;
}

/** What a {@link KnowledgeBase} needs. */
export interface KnowledgeBaseDeps extends FileIndexerDeps {
  readonly watchers: FolderWatcherFactory | undefined;
  /** Called when the index file turns out corrupt; the manager rebuilds it. */
  readonly onCorruption: () => void;
}

/** Most files one base indexes; the rest are left out with a warning. */
export const MAX_FILES_PER_BASE = 100_000;
/** A watched base is also rescanned this often, in case the watcher missed something. */
const RESCAN_INTERVAL_MS = 5 * 60_000;
const SETTLE_MS = 200;
/** Longest and shortest sleep of an idle base between checks. */
const IDLE_MS = 60_000;
const MIN_IDLE_MS = 1_000;

/**
 * One knowledge base: keeps the index in step with its folder. A full sync compares the folder
 * with the index (size and mtime first, then the content hash), re-indexes changed files
 * alone and forgets removed ones; with `watch`, single files are re-indexed as they change.
 * All work runs in the background, one step at a time; searches read the index as it is.
 */
export class KnowledgeBase {
  private state: KnowledgeState = 'initializing';
  private lastError: string | null = null;
  private readonly pending = new Set<string>();
  private isFullSyncRequested = true;
  private wake: (() => void) | undefined;
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private watcher: FolderWatcher | undefined;
  private readonly isMember: (path: string) => boolean;
  private readonly settings: string;
  private readonly indexer: FileIndexer;

  constructor(private readonly deps: KnowledgeBaseDeps) {
    const config = deps.config;
    this.isMember = fileFilter({
      skipHidden: config.skip_hidden,
      includePatterns: config.include_patterns,
      excludePatterns: config.exclude_patterns,
      extensions: config.mode === 'semantic' ? extensionSet(config) : undefined,
    });
    this.settings = JSON.stringify({
      v: 1,
      size: config.chunk_size,
      overlap: config.chunk_overlap,
    });
    this.indexer = new FileIndexer(deps, this.settings);
  }

  get id(): string {
    return this.deps.id;
  }

  get mode(): 'semantic' | 'files' {
    return this.deps.config.mode;
  }

  /** Starts indexing (and watching) in the background. Idempotent. */
  start(signal: AbortSignal): void {
    if (this.loop !== undefined) return;
    this.controller = new AbortController();
    const loopSignal = AbortSignal.any([signal, this.controller.signal]);
    if (this.deps.config.watch && this.deps.watchers !== undefined) {
      try {
        this.watcher = this.deps.watchers(this.deps.root, {
          onChange: (path) => {
            this.notePath(path);
          },
          onRescan: () => {
            this.requestSync();
          },
          onError: (error) => {
            this.deps.log.warn('knowledge folder watcher failed; rescanning', {
              base: this.id,
              error: describeError(error),
            });
            this.requestSync();
          },
        });
      } catch (error: unknown) {
        this.deps.log.warn('knowledge folder cannot be watched', {
          base: this.id,
          error: describeError(error),
        });
      }
    }
    this.loop = this.run(loopSignal).catch((error: unknown) => {
      if (!isAbortError(error) && !loopSignal.aborted) {
        this.deps.log.error('knowledge indexing loop failed', { base: this.id, error });
      }
    });
  }

  /** Stops watching and indexing; waits for the current step. Idempotent. */
  async stop(): Promise<void> {
    this.controller?.abort();
    this.wake?.();
    await this.watcher?.close();
    this.watcher = undefined;
    await this.loop;
    this.loop = undefined;
    this.state = 'stopped';
  }

  /** Schedules a full comparison of folder and index. */
  requestSync(): void {
    this.isFullSyncRequested = true;
    this.wake?.();
  }

  /** Schedules one file (root-relative) to be re-read: indexed, replaced or forgotten. */
  notePath(relativePath: string): void {
    const path = relativePath.split('\\').join('/');
    if (!this.isMember(path)) return;
    this.pending.add(path);
    this.wake?.();
  }

  snapshot(): KnowledgeBaseSnapshot {
    let counts = { files: 0, chunks: 0, failedFiles: 0 };
    try {
      counts = this.deps.index().counts(this.id);
    } catch (error: unknown) {
      this.checkCorruption(error);
    }
    return {
      files: counts.files,
      chunks: counts.chunks,
      state: this.state,
      mode: this.mode,
      skipped_files: counts.failedFiles,
      last_error: this.lastError,
    };
  }

  /** Hybrid search (keywords only in files mode or without embeddings), best first. */
  search(
    text: string,
    vector: Float32Array | undefined,
    limit: number,
    minSimilarity?: number,
  ): ChunkHit[] {
    try {
      return this.deps.index().search({
        collection: this.id,
        text,
        vector: this.mode === 'semantic' ? vector : undefined,
        vectorModel: this.deps.embedder.identity,
        limit,
        ...(minSimilarity === undefined ? {} : { minSimilarity }),
      });
    } catch (error: unknown) {
      this.checkCorruption(error);
      return [];
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    let lastRescan = this.deps.clock.now();
    for (;;) {
      signal.throwIfAborted();
      if (this.isFullSyncRequested) {
        this.isFullSyncRequested = false;
        lastRescan = this.deps.clock.now();
        await this.step(signal, () => this.fullSync(signal));
      } else if (this.pending.size > 0) {
        // Let a burst of events settle, then take everything queued.
        this.deps.log.debug('knowledge changes queued', {
          base: this.id,
          paths: this.pending.size,
        });
        await this.deps.clock.sleep(SETTLE_MS, signal);
        const paths = [...this.pending];
        this.pending.clear();
        await this.step(signal, () => this.indexPaths(paths, signal));
      } else {
        const backfill = { isDone: true };
        await this.step(signal, async () => {
          backfill.isDone = await this.indexer.backfill(
            signal,
            () => this.isFullSyncRequested || this.pending.size > 0,
          );
        });
        const now = this.deps.clock.now();
        const rescanIn = this.deps.config.watch ? lastRescan + RESCAN_INTERVAL_MS - now : IDLE_MS;
        // Chunks still without vectors: try again when the embedder's cooldown ends.
        const retryIn = backfill.isDone
          ? IDLE_MS
          : (this.deps.embedder.status().retryAt ?? now) - now;
        await this.idle(signal, Math.min(rescanIn, retryIn, IDLE_MS));
        if (this.deps.config.watch && this.deps.clock.now() >= lastRescan + RESCAN_INTERVAL_MS) {
          this.isFullSyncRequested = true;
        }
      }
    }
  }

  /** Runs one unit of work; failures are logged, marked, and never end the loop. */
  private async step(signal: AbortSignal, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error: unknown) {
      if (signal.aborted) throw error;
      this.lastError = describeError(error);
      this.state = 'failed';
      this.deps.log.warn('knowledge indexing failed; the last index stays in use', {
        base: this.id,
        error: this.lastError,
      });
      this.checkCorruption(error);
    }
  }

  private async idle(signal: AbortSignal, maxMs: number): Promise<void> {
    // Work queued while the last step ran found no sleeper to wake: do it now.
    if (this.isFullSyncRequested || this.pending.size > 0) return;
    const waker = new AbortController();
    this.wake = () => {
      waker.abort();
    };
    try {
      const wait = AbortSignal.any([signal, waker.signal]);
      await this.deps.clock.sleep(Math.max(MIN_IDLE_MS, maxMs), wait);
    } catch (error: unknown) {
      if (signal.aborted) throw error;
    } finally {
      this.wake = undefined;
    }
  }

  private async fullSync(signal: AbortSignal): Promise<void> {
    const index = this.deps.index();
    const startedAt = this.deps.clock.now();
    const scan = await scanFolder(this.deps.root, this.isMember, {
      maxFiles: MAX_FILES_PER_BASE,
      skipHidden: this.deps.config.skip_hidden,
      signal,
    });
    if (scan.isMissing)
      this.deps.log.warn('knowledge folder is missing; the base is empty', {
        base: this.id,
        path: this.deps.root,
      });
    if (scan.isTruncated)
      this.deps.log.warn('knowledge folder has too many files; the rest are left out', {
        base: this.id,
        max: MAX_FILES_PER_BASE,
      });
    const known = index.files(this.id);
    const present = new Set(scan.files.map((file) => file.path));
    for (const path of known.keys()) {
      if (present.has(path)) continue;
      index.removeFile(this.id, path);
      this.deps.files?.inc({ base: this.id, outcome: 'removed' });
    }
    const changed = scan.files.filter((file) =>
      isChanged(known.get(file.path), file, this.settings),
    );
    if (changed.length > 0) {
      this.state = this.state === 'initializing' ? 'initializing' : 'indexing';
      this.deps.log.info('knowledge indexing started', {
        base: this.id,
        files: scan.files.length,
        changed: changed.length,
      });
    }
    await this.indexer.indexFiles(changed, known, signal);
    const model = this.deps.embedder.identity;
    // Load the vectors into memory now, in the background, so the first search is fast.
    if (this.mode === 'semantic' && model !== undefined) await index.engine.warm(this.id, model);
    const counts = index.counts(this.id);
    this.lastError = null;
    this.state =
      this.deps.config.require_content_before_publish && counts.files === 0
        ? 'initializing'
        : 'ready';
    if (changed.length > 0 || known.size !== present.size) {
      this.deps.log.info('knowledge index ready', {
        base: this.id,
        files: counts.files,
        chunks: counts.chunks,
        skipped: counts.failedFiles,
        durationMs: this.deps.clock.now() - startedAt,
      });
    }
  }

  private async indexPaths(paths: readonly string[], signal: AbortSignal): Promise<void> {
    const index = this.deps.index();
    const known = index.files(this.id);
    const files: ScannedFile[] = [];
    for (const path of paths) {
      signal.throwIfAborted();
      const found = await statMember(this.deps.root, path);
      if (found === undefined) {
        if (known.has(path)) {
          index.removeFile(this.id, path);
          this.deps.files?.inc({ base: this.id, outcome: 'removed' });
          this.deps.log.info('knowledge file removed from the index', { base: this.id, path });
        }
      } else if (isChanged(known.get(path), found, this.settings)) {
        files.push(found);
      }
    }
    const startedAt = this.deps.clock.now();
    await this.indexer.indexFiles(files, known, signal);
    if (files.length > 0) {
      this.deps.log.info('knowledge files re-indexed', {
        base: this.id,
        files: files.length,
        durationMs: this.deps.clock.now() - startedAt,
      });
    }
  }

  private checkCorruption(error: unknown): void {
    if (isCorruptionError(error)) this.deps.onCorruption();
  }
}
