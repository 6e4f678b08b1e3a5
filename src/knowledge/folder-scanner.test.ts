import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readDocument } from './document-reader.js';
import { extensionSet, fileFilter, scanFolder, statMember } from './folder-scanner.js';

let dir: string;
let root: string;
let outside: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-scan-'));
  root = join(dir, 'docs');
  outside = join(dir, 'outside');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.md'), 'OUTSIDE-CANARY');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const semantic = (overrides: Partial<Parameters<typeof fileFilter>[0]> = {}) =>
  fileFilter({
    skipHidden: true,
    includePatterns: [],
    excludePatterns: [],
    extensions: extensionSet({
      include_extensions: null,
      extra_extensions: [],
      exclude_extensions: [],
    }),
    ...overrides,
  });

describe('scanFolder', () => {
  it('never follows symbolic links out of the folder, to files or folders', async () => {
    writeFileSync(join(root, 'ok.md'), 'fine');
    symlinkSync(join(outside, 'secret.md'), join(root, 'link.md'));
    symlinkSync(outside, join(root, 'linked-dir'));
    symlinkSync(root, join(root, 'sub', 'loop'));
    const scan = await scanFolder(root, semantic(), { maxFiles: 100, skipHidden: true });
    expect(scan.files.map((file) => file.path)).toEqual(['ok.md']);
    expect(await statMember(root, 'link.md')).toBeUndefined();
    expect(await statMember(root, 'linked-dir/secret.md')).toBeUndefined();
    expect(await statMember(root, '../outside/secret.md')).toBeUndefined();
  });

  it('keeps hostile but real file names, and skips hidden entries and other extensions', async () => {
    const names = ['new\nline.md', 'tab\tand `ticks`.md', 'ünïcödé.md', 'dots..md', '-rf.txt'];
    for (const name of names) writeFileSync(join(root, name), `content of ${name}`);
    writeFileSync(join(root, '.hidden.md'), 'x');
    mkdirSync(join(root, '.git'));
    writeFileSync(join(root, '.git', 'config.md'), 'x');
    writeFileSync(join(root, 'image.png'), 'x');
    writeFileSync(join(root, 'sub', 'deep.py'), 'print(1)');
    const scan = await scanFolder(root, semantic(), { maxFiles: 100, skipHidden: true });
    expect(scan.files.map((file) => file.path).sort()).toEqual([...names, 'sub/deep.py'].sort());
  });

  it('applies root-anchored include and exclude patterns, and caps the file count', async () => {
    mkdirSync(join(root, 'sub', 'internal'));
    writeFileSync(join(root, 'top.md'), 'x');
    writeFileSync(join(root, 'sub', 'a.md'), 'x');
    writeFileSync(join(root, 'sub', 'internal', 'b.md'), 'x');
    const filter = semantic({ includePatterns: ['sub/**'], excludePatterns: ['sub/internal/**'] });
    expect(
      (await scanFolder(root, filter, { maxFiles: 100, skipHidden: true })).files.map(
        (f) => f.path,
      ),
    ).toEqual(['sub/a.md']);
    const capped = await scanFolder(root, semantic(), { maxFiles: 2, skipHidden: true });
    expect(capped.isTruncated).toBe(true);
    expect(capped.files).toHaveLength(2);
  });

  it('reports a missing folder instead of failing', async () => {
    expect(
      await scanFolder(join(dir, 'nope'), semantic(), { maxFiles: 10, skipHidden: true }),
    ).toMatchObject({ isMissing: true, files: [] });
  });
});

describe('readDocument', () => {
  it('skips huge files by size without reading them, and binary files', async () => {
    writeFileSync(join(root, 'big.txt'), 'x'.repeat(2_000));
    writeFileSync(join(root, 'bin.txt'), Buffer.from([104, 105, 0, 1, 2]));
    expect(await readDocument(join(root, 'big.txt'), { maxBytes: 1_000 })).toMatchObject({
      kind: 'skipped',
      reason: expect.stringContaining('max_file_bytes'),
    });
    expect(await readDocument(join(root, 'bin.txt'), { maxBytes: 1_000 })).toMatchObject({
      kind: 'skipped',
      reason: 'binary content',
    });
  });

  it('refuses a symbolic link even when asked for it directly', async () => {
    symlinkSync(join(outside, 'secret.md'), join(root, 'swap.md'));
    const read = await readDocument(join(root, 'swap.md'), { maxBytes: 1_000 });
    expect(read.kind).toBe('skipped');
    expect(JSON.stringify(read)).not.toContain('OUTSIDE-CANARY');
  });

  it('decodes UTF-8 with a byte order mark and hashes the bytes', async () => {
    writeFileSync(join(root, 'a.md'), '\uFEFFhallo wêreld');
    const read = await readDocument(join(root, 'a.md'), { maxBytes: 1_000 });
    expect(read).toMatchObject({ kind: 'text', text: 'hallo wêreld' });
    expect(read.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
