import { lstat, opendir, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import picomatch from 'picomatch';

/** MindRoom's default text-like extensions for semantic bases. */
export const DEFAULT_TEXT_EXTENSIONS: readonly string[] = [
  '.md',
  '.markdown',
  '.txt',
  '.text',
  '.rst',
  '.json',
  '.yaml',
  '.yml',
  '.toml',
  '.ini',
  '.csv',
  '.tsv',
  '.html',
  '.xml',
  '.py',
  '.pyi',
  '.js',
  '.jsx',
  '.ts',
  '.tsx',
  '.mjs',
  '.cjs',
  '.c',
  '.cc',
  '.cpp',
  '.cxx',
  '.h',
  '.hh',
  '.hpp',
  '.java',
  '.kt',
  '.kts',
  '.go',
  '.rs',
  '.rb',
  '.php',
  '.swift',
  '.scala',
  '.sc',
  '.sh',
  '.bash',
  '.zsh',
  '.fish',
  '.ps1',
  '.sql',
  '.css',
  '.scss',
  '.sass',
  '.less',
  '.vue',
  '.svelte',
  '.proto',
];

/** Which files of a folder belong to a base. */
export interface FileFilterOptions {
  readonly skipHidden: boolean;
  /** Root-anchored globs (`*` one segment, `**` any); empty: every file. */
  readonly includePatterns: readonly string[];
  readonly excludePatterns: readonly string[];
  /** Allowed extensions (lower case, with the dot); undefined: any (files mode). */
  readonly extensions: ReadonlySet<string> | undefined;
}

/** The extension set of a semantic base (MindRoom: include replaces, extra adds, exclude wins). */
export function extensionSet(config: {
  readonly include_extensions: readonly string[] | null;
  readonly extra_extensions: readonly string[];
  readonly exclude_extensions: readonly string[];
}): Set<string> {
  const norm = (ext: string): string => {
    const lower = ext.trim().toLowerCase();
    return lower.startsWith('.') ? lower : `.${lower}`;
  };
  const set = new Set((config.include_extensions ?? DEFAULT_TEXT_EXTENSIONS).map(norm));
  for (const ext of config.extra_extensions) set.add(norm(ext));
  for (const ext of config.exclude_extensions) set.delete(norm(ext));
  return set;
}

/** A predicate over root-relative POSIX paths: does this file belong to the base? */
export function fileFilter(options: FileFilterOptions): (relativePath: string) => boolean {
  const clean = (patterns: readonly string[]): string[] =>
    patterns
      .map((p) => p.replace(/\\/g, '/').trim().replace(/^\.\//, '').replace(/^\/+/, ''))
      .filter((p) => p !== '');
  const include = clean(options.includePatterns);
  const exclude = clean(options.excludePatterns);
  const isIncluded = include.length === 0 ? () => true : picomatch(include, { dot: true });
  const isExcluded = exclude.length === 0 ? () => false : picomatch(exclude, { dot: true });
  return (relativePath) => {
    const parts = relativePath.split('/');
    if (parts.some((part) => part === '' || part === '.' || part === '..')) return false;
    if (options.skipHidden && parts.some((part) => part.startsWith('.'))) return false;
    if (
      options.extensions !== undefined &&
      !options.extensions.has(extname(relativePath).toLowerCase())
    )
      return false;
    return isIncluded(relativePath) && !isExcluded(relativePath);
  };
}

/** A file found in a knowledge folder. */
export interface ScannedFile {
  /** Root-relative, `/`-separated. */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** What a scan found. */
export interface ScanResult {
  readonly files: ScannedFile[];
  /** True when the folder does not exist (or is not a folder). */
  readonly isMissing: boolean;
  /** True when the scan stopped at `maxFiles`. */
  readonly isTruncated: boolean;
}

/**
 * Lists the files of a knowledge folder that belong to the base. Symbolic links are never
 * followed (neither files nor folders), so nothing outside the folder is ever read; hidden
 * entries are skipped when `skipHidden`. Unreadable sub-folders are skipped.
 */
export async function scanFolder(
  root: string,
  filter: (relativePath: string) => boolean,
  options: {
    readonly maxFiles: number;
    readonly signal?: AbortSignal;
    readonly skipHidden: boolean;
  },
): Promise<ScanResult> {
  try {
    if (!(await stat(root)).isDirectory())
      return { files: [], isMissing: true, isTruncated: false };
  } catch {
    return { files: [], isMissing: true, isTruncated: false };
  }
  const files: ScannedFile[] = [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    options.signal?.throwIfAborted();
    const relativeDir = pending.pop() ?? '';
    let dir;
    try {
      dir = await opendir(join(root, ...relativeDir.split('/').filter((p) => p !== '')));
    } catch {
      continue;
    }
    for await (const entry of dir) {
      if (options.skipHidden && entry.name.startsWith('.')) continue;
      // A name with a path separator cannot come from readdir, but stay safe on odd platforms.
      if (entry.name.includes('/') || entry.name.includes(sep)) continue;
      const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        pending.push(relative);
      } else if (entry.isFile() && filter(relative)) {
        try {
          const info = await stat(join(root, ...relative.split('/')));
          files.push({ path: relative, size: info.size, mtimeMs: Math.floor(info.mtimeMs) });
        } catch {
          // Vanished between listing and stat: the next scan or watch event settles it.
        }
        if (files.length >= options.maxFiles) return { files, isMissing: false, isTruncated: true };
      }
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, isMissing: false, isTruncated: false };
}

/**
 * The one file at `relativePath` under `root`, if it is a regular file reached without any
 * symbolic link on the way (the same rule as {@link scanFolder}); undefined otherwise.
 */
export async function statMember(
  root: string,
  relativePath: string,
): Promise<ScannedFile | undefined> {
  const parts = relativePath.split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..')) return undefined;
  let current = root;
  for (const [index, part] of parts.entries()) {
    current = join(current, part);
    let info;
    try {
      info = await lstat(current);
    } catch {
      return undefined;
    }
    if (info.isSymbolicLink()) return undefined;
    const isLast = index === parts.length - 1;
    if (isLast) {
      return info.isFile()
        ? { path: relativePath, size: info.size, mtimeMs: Math.floor(info.mtimeMs) }
        : undefined;
    }
    if (!info.isDirectory()) return undefined;
  }
  return undefined;
}
