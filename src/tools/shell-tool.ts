/**
 * `shell` (`run_shell_command`, MindRoom's function name): runs one command with `/bin/sh -c`
 * in the agent's workspace, in its own process group, with a minimal environment (never the
 * daemon's: no API keys, no tokens). Requires the requester's approval by default (a rule
 * `tool_approval` can override). The group is killed on timeout and when the turn ends; the
 * output kept is the tail, capped.
 */
import { spawn } from 'node:child_process';
import type { QuorumToolOptions } from '../config/index.js';
import { ToolError } from './errors.js';
import type { Tool, ToolResult } from './tool.js';
import { ensureWorkspace } from './workspace-paths.js';

/** What the child starts from besides `HOME` and `PWD` (the workspace): `PATH`, `LANG`, … */
export type ShellBaseEnv = Readonly<Record<string, string>>;

const MAX_COMMAND_CHARS = 10_000;
/** Time between SIGTERM to the group and SIGKILL. */
const KILL_GRACE_MS = 1_000;

/** The `run_shell_command` tool with `options` (the agent's `shell` entry). */
export function createShellTool(
  options: QuorumToolOptions['shell'],
  baseEnv: ShellBaseEnv,
): Tool[] {
  if (!options.enable_run_shell_command) return [];
  const timeoutMs = options.timeout_seconds * 1000;
  return [
    {
      name: 'run_shell_command',
      description:
        'Run a shell command (sh -c) in your workspace directory and return its exit code and ' +
        `output (the last ${options.max_output_chars} characters). Each call needs the ` +
        `requester's approval unless the operator allows it. Stops after ${options.timeout_seconds} s.`,
      needs: ['workspaceDir'],
      parameters: {
        type: 'object',
        properties: {
          command: {
            type: 'string',
            description: 'The command line.',
            minLength: 1,
            maxLength: MAX_COMMAND_CHARS,
          },
        },
        required: ['command'],
        additionalProperties: false,
      },
      // The tool kills the command at its own timeout; the runner's is only a backstop.
      timeoutMs: timeoutMs + KILL_GRACE_MS * 3,
      approvalNeed: () => ({ reason: 'runs a shell command on the Quorum host' }),
      run: async (args, context): Promise<ToolResult> => {
        if (context.workspaceDir === undefined) {
          throw new ToolError('unavailable', 'this agent has no workspace directory');
        }
        const cwd = await ensureWorkspace(context.workspaceDir);
        const result = await runCommand(String(args['command']), {
          cwd,
          env: { ...baseEnv, HOME: cwd, PWD: cwd, TERM: 'dumb' },
          timeoutMs,
          maxOutputChars: options.max_output_chars,
          signal: context.signal,
        });
        context.log.info('tool ran a shell command', {
          exitCode: result.exitCode,
          timedOut: result.timedOut,
        });
        const status = result.timedOut
          ? `Stopped after ${options.timeout_seconds} s (timeout).`
          : result.signal !== null
            ? `Ended by signal ${result.signal}.`
            : `Exit code ${result.exitCode ?? 'unknown'}.`;
        const cut =
          result.droppedChars > 0
            ? `[${result.droppedChars} earlier characters of output dropped]\n`
            : '';
        return {
          content: `${status}\n${cut}${result.output === '' ? '(no output)' : result.output}`,
          isError: result.timedOut || result.exitCode !== 0,
        };
      },
    },
  ];
}

interface CommandResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly output: string;
  readonly droppedChars: number;
}

/**
 * Runs `command` in its own process group; on timeout or abort the whole group gets SIGTERM,
 * then SIGKILL. Resolves when the shell has exited (rejects with the signal's reason after an
 * abort, once the group is gone).
 */
function runCommand(
  command: string,
  options: {
    readonly cwd: string;
    readonly env: Readonly<Record<string, string>>;
    readonly timeoutMs: number;
    readonly maxOutputChars: number;
    readonly signal: AbortSignal;
  },
): Promise<CommandResult> {
  options.signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      env: { ...options.env },
      detached: true, // its own process group, so the group can be killed as a whole
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let dropped = 0;
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.length > options.maxOutputChars * 2) {
        dropped += output.length - options.maxOutputChars;
        output = output.slice(-options.maxOutputChars);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (): void => {
      signalGroup(child.pid, 'SIGTERM');
      killTimer ??= setTimeout(() => {
        signalGroup(child.pid, 'SIGKILL');
      }, KILL_GRACE_MS);
      killTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    timer.unref();
    const onAbort = (): void => {
      killGroup();
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      cleanup();
      reject(new ToolError('unavailable', `could not start the shell: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      cleanup();
      // Whatever the shell left running in its group goes with it.
      signalGroup(child.pid, 'SIGKILL');
      if (options.signal.aborted) {
        reject(
          options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted'),
        );
        return;
      }
      const kept =
        output.length > options.maxOutputChars ? output.slice(-options.maxOutputChars) : output;
      resolve({
        exitCode: code,
        signal,
        timedOut,
        output: kept.trimEnd(),
        droppedChars: dropped + (output.length - kept.length),
      });
    });
    function cleanup(): void {
      clearTimeout(timer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      options.signal.removeEventListener('abort', onAbort);
    }
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}
