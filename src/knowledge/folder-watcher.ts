import { relative, sep } from 'node:path';
import { watch } from 'chokidar';

/** Callbacks of a folder watch. Paths are root-relative and `/`-separated. */
export interface FolderWatchHandlers {
  /** A file was added, changed or removed. */
  onChange(relativePath: string): void;
  /** Something changed that needs a full rescan (a folder added or removed). */
  onRescan(): void;
  onError(error: unknown): void;
}

/** A running watch; `close()` ends it (idempotent). */
export interface FolderWatcher {
  close(): Promise<void>;
}

/** Starts watching a folder (injected, so tests can drive events without a filesystem). */
export type FolderWatcherFactory = (root: string, handlers: FolderWatchHandlers) => FolderWatcher;

/**
 * Watches a knowledge folder with chokidar: symbolic links are not followed, hidden entries
 * are ignored when asked, and a file reports only once its writes settled
 * (`awaitWriteFinish`), so a half-written file is not indexed.
 */
export function chokidarFolderWatcher(options: {
  readonly skipHidden: boolean;
}): FolderWatcherFactory {
  return (root, handlers) => {
    const toRelative = (path: string): string => relative(root, path).split(sep).join('/');
    const watcher = watch(root, {
      ignoreInitial: true,
      followSymlinks: false,
      awaitWriteFinish: { stabilityThreshold: 300, pollInterval: 100 },
      ignored: (path) =>
        options.skipHidden &&
        toRelative(path)
          .split('/')
          .some((part) => part.startsWith('.') && part !== '.' && part !== '..'),
    });
    watcher.on('add', (path) => {
      handlers.onChange(toRelative(path));
    });
    watcher.on('change', (path) => {
      handlers.onChange(toRelative(path));
    });
    watcher.on('unlink', (path) => {
      handlers.onChange(toRelative(path));
    });
    watcher.on('addDir', () => {
      handlers.onRescan();
    });
    watcher.on('unlinkDir', () => {
      handlers.onRescan();
    });
    watcher.on('error', (error) => {
      handlers.onError(error);
    });
    let isClosed = false;
    return {
      close: async () => {
        if (isClosed) return;
        isClosed = true;
        await watcher.close();
      },
    };
  };
}
