import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseToolOptions } from '../config/index.js';
import { systemClock } from '../shared/index.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { createFileTools } from './file-tool.js';
import type { Tool, ToolContext } from './tool.js';

let base: string;
let workspace: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'quorum-file-'));
  workspace = join(base, 'workspaces', 'agent');
  writeFileSync(join(base, 'secret.txt'), 'outside secret');
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

function tools(options: Record<string, unknown> = {}): Map<string, Tool> {
  return new Map(
    createFileTools(parseToolOptions('file', options)).map((tool) => [tool.name, tool]),
  );
}

function context(): ToolContext {
  return {
    agentName: 'agent',
    roomId: '!r:x',
    threadRoot: undefined,
    requester: '@u:x',
    signal: new AbortController().signal,
    clock: systemClock,
    timezone: 'UTC',
    log: new RecordingLogger(),
    workspaceDir: workspace,
  };
}

async function run(name: string, args: Record<string, unknown>, options = {}): Promise<string> {
  const tool = tools(options).get(name);
  if (tool === undefined) throw new Error(`no tool ${name}`);
  const result = await tool.run(args, context());
  return typeof result === 'string' ? result : result.content;
}

describe('file tools', () => {
  it('offers read, save and list by default; delete only when enabled', () => {
    expect([...tools().keys()]).toEqual(['read_file', 'save_file', 'list_files']);
    expect([...tools({ enable_delete_file: true, enable_save_file: false }).keys()]).toEqual([
      'read_file',
      'list_files',
      'delete_file',
    ]);
  });

  it('saves, reads, lists and deletes inside the workspace', async () => {
    expect(await run('save_file', { path: 'notes/today.md', contents: '# Hi\n' })).toBe(
      'Saved notes/today.md (5 bytes).',
    );
    expect(await run('read_file', { path: 'notes/today.md' })).toBe('# Hi\n');
    expect(await run('list_files', {})).toBe('.:\nnotes/');
    expect(await run('list_files', { directory: 'notes' })).toBe('notes:\ntoday.md (5 bytes)');
    expect(await run('delete_file', { path: 'notes/today.md' }, { enable_delete_file: true })).toBe(
      'Deleted notes/today.md.',
    );
  });

  it('refuses absolute paths and .. escapes', async () => {
    await expect(run('read_file', { path: '/etc/passwd' })).rejects.toThrow(/use a relative path/);
    await expect(run('read_file', { path: '../../secret.txt' })).rejects.toThrow(
      /outside your workspace/,
    );
    await expect(run('save_file', { path: 'a/../../../x.txt', contents: 'x' })).rejects.toThrow(
      /outside your workspace/,
    );
  });

  it('refuses to follow symlinks out of the workspace, for reading or writing', async () => {
    mkdirSync(workspace, { recursive: true });
    symlinkSync(join(base, 'secret.txt'), join(workspace, 'link.txt'));
    symlinkSync(base, join(workspace, 'outside'));
    await expect(run('read_file', { path: 'link.txt' })).rejects.toThrow(/through a link/);
    await expect(run('read_file', { path: 'outside/secret.txt' })).rejects.toThrow(
      /through a link/,
    );
    await expect(run('save_file', { path: 'outside/new.txt', contents: 'x' })).rejects.toThrow(
      /outside your workspace/,
    );
    await expect(run('save_file', { path: 'link.txt', contents: 'pwned' })).rejects.toThrow(/link/);
    expect(readFileSync(join(base, 'secret.txt'), 'utf8')).toBe('outside secret');
  });

  it('caps what it writes and what it reads', async () => {
    await expect(
      run(
        'save_file',
        { path: 'big.txt', contents: 'x'.repeat(2_000) },
        { max_write_bytes: 1_000 },
      ),
    ).rejects.toThrow(/the limit is 1000/);
    await run('save_file', { path: 'long.txt', contents: 'y'.repeat(5_000) });
    const read = await run('read_file', { path: 'long.txt' }, { max_file_length: 100 });
    expect(read).toBe(
      `${'y'.repeat(100)}\n\n[file cut: showing the first 100 characters of a 5000-byte file]`,
    );
  });

  it('keeps an existing file when asked not to overwrite', async () => {
    await run('save_file', { path: 'keep.txt', contents: 'first' });
    await expect(
      run('save_file', { path: 'keep.txt', contents: 'second', overwrite: false }),
    ).rejects.toThrow(/it exists/);
    expect(await run('read_file', { path: 'keep.txt' })).toBe('first');
  });
});
