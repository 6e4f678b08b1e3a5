/**
 * Writing a confirmed config change to disk: atomically, and only over the text it was
 * computed from, so a change confirmed in chat never overwrites an edit made meanwhile.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileErrorCode } from './load-config-file.js';
import { hashConfigText } from './parse-config.js';

/** The outcome of {@link applyConfigEdit}. */
export type ConfigWriteResult =
  | { readonly ok: true; readonly newHash: string }
  | {
      readonly ok: false;
      /**
       * `conflict`: the file no longer has the expected content (edited since the change was
       * proposed); nothing was written. `io`: the file could not be read or written.
       */
      readonly code: 'conflict' | 'io';
      /** A sentence for the person who confirmed the change. */
      readonly error: string;
    };

/**
 * Replaces the config file at `path` with `newText` if, and only if, its current text hashes
 * (`hashConfigText`) to `expectedOldTextHash`. The write is atomic: a temporary file in the same
 * directory, with the original's permission bits, is flushed to disk and renamed over the
 * original, so the live-reload watcher and a crash see either the old or the new file, never
 * a partial one. A symlinked config is followed: its target is replaced, the link kept.
 *
 * The check and the rename are not one atomic step; an edit saved in the few milliseconds
 * between them is overwritten. Never throws: failures come back as values.
 */
export async function applyConfigEdit(
  path: string,
  expectedOldTextHash: string,
  newText: string,
): Promise<ConfigWriteResult> {
  let target: string;
  let mode: number;
  try {
    target = await realpath(path);
    mode = (await stat(target)).mode & 0o7777;
    if (!(await hasExpectedText(target, expectedOldTextHash))) return conflict(path);
  } catch (error: unknown) {
    return ioFailure(`cannot read ${path}`, error);
  }

  const temporary = join(
    dirname(target),
    `.${basename(target)}.quorum-${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const handle = await open(temporary, 'wx', mode);
    try {
      await handle.writeFile(newText, 'utf8');
      // The process umask may have narrowed the mode given to open().
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Checked again right before the rename to keep the window for a lost edit small.
    if (!(await hasExpectedText(target, expectedOldTextHash))) {
      await unlink(temporary);
      return conflict(path);
    }
    await rename(temporary, target);
  } catch (error: unknown) {
    await unlink(temporary).catch(() => undefined);
    return ioFailure(`cannot write ${path}`, error);
  }
  await syncDirectory(dirname(target));
  return { ok: true, newHash: hashConfigText(newText) };
}

async function hasExpectedText(path: string, expectedHash: string): Promise<boolean> {
  return hashConfigText(await readFile(path, 'utf8')) === expectedHash;
}

function conflict(path: string): ConfigWriteResult {
  return {
    ok: false,
    code: 'conflict',
    error: `${path} changed after this change was proposed; nothing was written. Propose the change again.`,
  };
}

function ioFailure(what: string, error: unknown): ConfigWriteResult {
  const code = fileErrorCode(error);
  const reason =
    code === 'ENOENT'
      ? 'the file does not exist'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : error instanceof Error
          ? error.message
          : String(error);
  return { ok: false, code: 'io', error: `${what}: ${reason}` };
}

/** Makes the rename itself durable; best effort (not every file system allows it). */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The rename happened; only its durability across power loss is weaker here.
  }
}
