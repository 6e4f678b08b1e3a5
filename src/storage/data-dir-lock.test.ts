import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../shared/index.js';
import { DataDirLock, lockPaths } from './data-dir-lock.js';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const owner = (pid: number) => ({ pid, hostname: 'host-a', startedAt: '2025-01-01T00:00:00.000Z' });

/** A child process that takes the lock of `dir`, says `locked`, then waits to be killed. */
function holdInChild(dir: string): Promise<{ kill: () => Promise<void>; pid: number }> {
  const module = resolve(import.meta.dirname, 'data-dir-lock.ts');
  const script = `import { DataDirLock } from ${JSON.stringify(module)};
DataDirLock.acquire(${JSON.stringify(dir)}, { pid: process.pid, hostname: 'child', startedAt: new Date(0).toISOString() });
process.stdout.write('locked\\n');
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolveChild, reject) => {
    child.once('error', reject);
    child.stdout.on('data', (chunk: Buffer) => {
      if (!chunk.toString().includes('locked')) return;
      resolveChild({
        pid: child.pid ?? -1,
        kill: () =>
          new Promise((done) => {
            child.once('exit', () => {
              done();
            });
            child.kill('SIGKILL');
          }),
      });
    });
  });
}

describe('DataDirLock', () => {
  it('lets one holder in, refuses a second naming the first, and frees on release', () => {
    const dir = dataDir();
    const first = DataDirLock.acquire(dir, owner(111));
    expect(JSON.parse(readFileSync(lockPaths(dir).owner, 'utf8'))).toMatchObject({ pid: 111 });
    let caught: unknown;
    try {
      DataDirLock.acquire(dir, owner(222));
    } catch (error: unknown) {
      caught = error;
    }
    expect(hasErrorCode(caught, 'data_dir_locked')).toBe(true);
    expect((caught as Error).message).toContain('pid 111 on host-a');
    first.release();
    first.release();
    expect(existsSync(lockPaths(dir).owner)).toBe(false);
    DataDirLock.acquire(dir, owner(222)).release();
  });

  it('takes over a pid file a dead process left behind', () => {
    const dir = dataDir();
    writeFileSync(lockPaths(dir).owner, JSON.stringify(owner(999_999)));
    const lock = DataDirLock.acquire(dir, owner(333));
    expect(JSON.parse(readFileSync(lockPaths(dir).owner, 'utf8'))).toMatchObject({ pid: 333 });
    lock.release();
  });

  it('is held across processes, and freed when the holder is killed (no stale lock)', async () => {
    const dir = dataDir();
    const child = await holdInChild(dir);
    expect(() => DataDirLock.acquire(dir, owner(444))).toThrow(`pid ${child.pid} on child`);
    await child.kill();
    const lock = DataDirLock.acquire(dir, owner(444));
    lock.release();
  }, 20_000);
});
