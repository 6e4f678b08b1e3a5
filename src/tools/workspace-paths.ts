/**
 * Paths inside an agent's workspace directory. A path the model gives is relative to the
 * workspace; it must stay inside it after `..` is resolved and after every symlink on the way
 * is followed. The last component is never followed when it is a symlink: files are opened
 * with `O_NOFOLLOW`.
 */
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ToolError } from './errors.js';

/** Creates the workspace (mode 0700) if needed and returns its real path. */
export async function ensureWorkspace(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return realpath(dir);
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The absolute path of `given` in the workspace whose real path is `root`. Refuses absolute
 * paths, paths that leave the workspace through `..`, and paths whose existing part leads
 * outside it through a symlink. With `mustExist`, the path must exist.
 */
export async function resolveInWorkspace(
  root: string,
  given: string,
  options: { readonly mustExist?: boolean } = {},
): Promise<string> {
  const trimmed = given.trim() === '' ? '.' : given.trim();
  if (isAbsolute(trimmed) || trimmed.includes('\0')) {
    throw new ToolError(
      'refused',
      `'${given}' is not a path inside your workspace; use a relative path`,
    );
  }
  const target = resolve(root, trimmed);
  if (!isInside(root, target)) {
    throw new ToolError('refused', `'${given}' leads outside your workspace`);
  }
  // Follow the longest existing prefix; it must still be inside the workspace.
  let existing = target;
  for (;;) {
    try {
      const real = await realpath(existing);
      if (!isInside(root, real)) {
        throw new ToolError('refused', `'${given}' leads outside your workspace (through a link)`);
      }
      break;
    } catch (error: unknown) {
      if (error instanceof ToolError) throw error;
      if (!isMissing(error)) throw error;
      if (options.mustExist === true) {
        throw new ToolError('invalid_arguments', `'${given}' does not exist in your workspace`);
      }
      const parent = resolve(existing, '..');
      if (parent === existing) break;
      existing = parent;
    }
  }
  return target;
}

/** True when `path` itself (not what it points to) is a symlink. */
export async function isSymlink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** `path` relative to `root`, for messages (never the absolute host path). */
export function displayPath(root: string, path: string): string {
  return relative(root, path) || '.';
}

/** Creates the directories leading to `path` (inside the workspace), mode 0700. */
export async function ensureParent(root: string, path: string): Promise<void> {
  const parent = resolve(path, '..');
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const real = await realpath(parent);
  if (!isInside(root, real))
    throw new ToolError('refused', 'that path leads outside your workspace');
}

function isMissing(error: unknown): boolean {
  return (
    (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ||
    (error as NodeJS.ErrnoException | undefined)?.code === 'ENOTDIR'
  );
}
