import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseToolOptions } from '../config/index.js';
import { systemClock } from '../shared/index.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { createShellTool } from './shell-tool.js';
import type { ToolContext, ToolResult } from './tool.js';

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'quorum-shell-'));
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

function context(signal = new AbortController().signal): ToolContext {
  return {
    agentName: 'ops',
    roomId: '!r:x',
    threadRoot: undefined,
    requester: '@u:x',
    signal,
    clock: systemClock,
    timezone: 'UTC',
    log: new RecordingLogger(),
    workspaceDir: join(base, 'ops'),
  };
}

async function run(command: string, options = {}, signal?: AbortSignal): Promise<ToolResult> {
  const [tool] = createShellTool(parseToolOptions('shell', options), {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
  });
  const result = await tool!.run({ command }, context(signal));
  return typeof result === 'string' ? { content: result, isError: false } : result;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('run_shell_command', () => {
  it('runs in the workspace with a minimal environment', async () => {
    process.env['QUORUM_SHELL_CANARY'] = 'do-not-leak';
    try {
      const result = await run('pwd; echo "$HOME"; env | cut -d= -f1 | sort | tr "\\n" " "');
      const [pwd, home, names] = result.content.split('\n').slice(1);
      expect(result.content.startsWith('Exit code 0.')).toBe(true);
      expect(pwd).toBe(join(base, 'ops'));
      expect(home).toBe(join(base, 'ops'));
      expect(names).not.toContain('QUORUM_SHELL_CANARY');
      expect(names?.trim().split(' ')).toEqual(
        expect.arrayContaining(['HOME', 'LANG', 'PATH', 'TERM']),
      );
    } finally {
      delete process.env['QUORUM_SHELL_CANARY'];
    }
  });

  it('reports a failing command as an error with its exit code and output', async () => {
    expect(await run('echo oops >&2; exit 3')).toEqual({
      content: 'Exit code 3.\noops',
      isError: true,
    });
  });

  it('always asks for approval (an implicit rule)', () => {
    const [tool] = createShellTool(parseToolOptions('shell', {}), {});
    expect(tool?.approvalNeed?.({ command: 'ls' }, context())).toEqual({
      reason: 'runs a shell command on the Quorum host',
    });
    expect(
      createShellTool(parseToolOptions('shell', { enable_run_shell_command: false }), {}),
    ).toEqual([]);
  });

  it('kills the whole process group on timeout', async () => {
    const result = await run('sleep 30 & echo $!; wait', { timeout_seconds: 0.5 });
    const pid = Number(result.content.split('\n')[1]);
    expect(result).toMatchObject({ isError: true });
    expect(result.content).toContain('Stopped after 0.5 s (timeout).');
    await expect.poll(() => isAlive(pid), { timeout: 3_000 }).toBe(false);
  });

  it('kills the group and rejects with the reason when the turn is aborted', async () => {
    const controller = new AbortController();
    const running = run('sleep 30', {}, controller.signal);
    setTimeout(() => {
      controller.abort(new Error('turn stopped'));
    }, 200);
    await expect(running).rejects.toThrow('turn stopped');
  });

  it('keeps only the tail of long output', async () => {
    const result = await run('seq 1 20000', { max_output_chars: 100 });
    expect(result.content).toMatch(
      /^Exit code 0\.\n\[\d+ earlier characters of output dropped\]\n/,
    );
    expect(result.content.endsWith('19999\n20000')).toBe(true);
  });
});
