/**
 * Runs scripts/synapse.sh from tests: used by the e2e global setup in the main vitest process
 * and by tests that stop and restart Synapse from a worker.
 */
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';

/** Absolute path of scripts/synapse.sh. */
export const SYNAPSE_SCRIPT = resolve(import.meta.dirname, '../../scripts/synapse.sh');

/** A Synapse that scripts/synapse.sh manages: the same data dir keeps its state across restarts. */
export interface SynapseControl {
  readonly scriptPath: string;
  /** Absolute data dir (QUORUM_SYNAPSE_DIR for the script). */
  readonly dataDir: string;
}

/** What one run of the script printed. */
export interface ScriptResult {
  /** Exit code; `status` exits 3 when Synapse is stopped. */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A subcommand of scripts/synapse.sh. */
export type SynapseCommand = 'start' | 'stop' | 'restart' | 'status' | 'env' | 'env-file';

/**
 * Runs `scripts/synapse.sh <command>`. `dataDir` selects the data dir (else the script's
 * default, or QUORUM_SYNAPSE_DIR from `env`). Resolves with the exit code instead of rejecting
 * on failure. A cold `start` builds the Debian root and can take minutes: no timeout here.
 */
export function runSynapseScript(
  command: SynapseCommand,
  options: { dataDir?: string; env?: NodeJS.ProcessEnv; scriptPath?: string } = {},
): Promise<ScriptResult> {
  const env = { ...(options.env ?? process.env) };
  if (options.dataDir !== undefined) env['QUORUM_SYNAPSE_DIR'] = options.dataDir;
  return new Promise((resolvePromise) => {
    execFile(
      'bash',
      [options.scriptPath ?? SYNAPSE_SCRIPT, command],
      { env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolvePromise({ exitCode: code, stdout, stderr });
      },
    );
  });
}

/** Parses `KEY=value` lines (the script's env file); other lines are ignored. */
export function parseEnvLines(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match !== null) values[match[1]!] = match[2]!;
  }
  return values;
}

/** The data dir the script would use with `env`, from its `env-file` answer. */
export async function synapseDataDir(env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await runSynapseScript('env-file', env === undefined ? {} : { env });
  if (result.exitCode !== 0) throw new Error(`synapse.sh env-file failed:\n${result.stderr}`);
  return dirname(result.stdout.trim());
}

/**
 * Runs `command` against a managed Synapse and throws with the script's output when it fails.
 * For tests that need Synapse down for a while: `stop`, act, then `start` (state is kept).
 */
export async function controlSynapse(
  control: SynapseControl,
  command: 'start' | 'stop' | 'restart',
): Promise<void> {
  const result = await runSynapseScript(command, {
    dataDir: control.dataDir,
    scriptPath: control.scriptPath,
  });
  if (result.exitCode !== 0) {
    throw new Error(`synapse.sh ${command} failed (exit ${result.exitCode}):\n${result.stderr}`);
  }
}
