/**
 * Runs the real Quorum daemon (`src/cli/main.ts run`, through tsx) as a child process for
 * end-to-end tests, with its own config file, data directory and API port, and reads its
 * readiness over HTTP as an operator would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ReadinessReport } from '../../src/shared/index.js';
import type { HomeserverInfo } from './matrix-registration.js';

const REPO = resolve(import.meta.dirname, '../..');

export interface DaemonOptions {
  readonly homeserver: HomeserverInfo;
  readonly configYaml: string;
  /** Reuse a data directory (restart scenarios); default: a new temp dir. */
  readonly dataDir?: string;
  readonly env?: Readonly<Record<string, string>>;
  /**
   * How the daemon is run: `tsx` (default) runs src/cli/main.ts through tsx, as the tests do;
   * `dist` runs the compiled dist/cli/main.js (`npm run build` first), as production does.
   */
  readonly runtime?: 'tsx' | 'dist';
  /** Extra arguments for node itself (e.g. `--cpu-prof`), before the entry point. */
  readonly nodeArgs?: readonly string[];
  /** Extra arguments for `quorum run` (e.g. `--api-host 0.0.0.0`). */
  readonly runArgs?: readonly string[];
}

/** How a daemon that was expected to stop on its own ended. */
export interface DaemonExit {
  readonly code: number | null;
  readonly output: string;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolvePort(port);
      });
    });
  });
}

export class DaemonProcess {
  readonly output: string[] = [];
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly apiPort: number,
    readonly dataDir: string,
    readonly configPath: string,
    private readonly apiToken?: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        resolveExit({ code, signal });
      });
    });
  }

  /** Writes the config and starts the daemon; resolves once `/api/ready` answers 200. */
  static async start(options: DaemonOptions, readyTimeoutMs = 60_000): Promise<DaemonProcess> {
    const daemon = await DaemonProcess.spawn(options);
    await daemon.waitUntil((report) => report.ready, readyTimeoutMs, 'the daemon to become ready');
    return daemon;
  }

  /**
   * Starts a daemon that is expected to refuse to run (a bad bind, a locked data dir) and
   * resolves with its exit code and output; kills it and fails if it is still up after
   * `timeoutMs`.
   */
  static async runToExit(options: DaemonOptions, timeoutMs = 30_000): Promise<DaemonExit> {
    const daemon = await DaemonProcess.spawn(options);
    const timer = setTimeout(() => daemon.child.kill('SIGKILL'), timeoutMs);
    const { code, signal } = await daemon.exited;
    clearTimeout(timer);
    if (signal === 'SIGKILL')
      throw new Error(`the daemon did not stop on its own:\n${daemon.tail()}`);
    return { code, output: daemon.output.join('') };
  }

  private static async spawn(options: DaemonOptions): Promise<DaemonProcess> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'quorum-e2e-'));
    const configPath = join(dataDir, 'config.yaml');
    writeFileSync(configPath, options.configYaml);
    const apiPort = await freePort();
    const entry =
      options.runtime === 'dist'
        ? [join(REPO, 'dist/cli/main.js')]
        : ['--import', 'tsx', join(REPO, 'src/cli/main.ts')];
    const child = spawn(
      process.execPath,
      [
        ...(options.nodeArgs ?? []),
        ...entry,
        'run',
        '--config',
        configPath,
        '--data-dir',
        dataDir,
        '--api-port',
        String(apiPort),
        ...(options.runArgs ?? []),
      ],
      {
        cwd: REPO,
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: process.env['HOME'] ?? '',
          MATRIX_HOMESERVER: options.homeserver.url,
          MATRIX_REGISTRATION_SHARED_SECRET: options.homeserver.registrationSharedSecret,
          LOG_LEVEL: process.env['QUORUM_E2E_LOG_LEVEL'] ?? 'info',
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return new DaemonProcess(
      child,
      apiPort,
      dataDir,
      configPath,
      options.env?.['QUORUM_API_TOKEN'],
    );
  }

  /** The API's headers: the bearer token when the daemon was given one. */
  private get apiHeaders(): Record<string, string> {
    return this.apiToken === undefined ? {} : { authorization: `Bearer ${this.apiToken}` };
  }

  /** The daemon's process id (for reading its memory from /proc). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Replaces the config file (the daemon reloads it live). */
  writeConfig(yaml: string): void {
    writeFileSync(this.configPath, yaml);
  }

  async readiness(): Promise<ReadinessReport | undefined> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.apiPort}/api/ready`, {
        headers: this.apiHeaders,
      });
      return (await response.json()) as ReadinessReport;
    } catch {
      return undefined;
    }
  }

  async metrics(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${this.apiPort}/metrics`, {
      headers: this.apiHeaders,
    });
    return response.text();
  }

  /** Polls `/api/ready` until `predicate` holds; fails with the last report and the log tail. */
  async waitUntil(
    predicate: (report: ReadinessReport) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<ReadinessReport> {
    const deadline = Date.now() + timeoutMs;
    let last: ReadinessReport | undefined;
    for (;;) {
      if (this.child.exitCode !== null)
        throw new Error(
          `the daemon exited (${this.child.exitCode}) while waiting for ${what}:\n${this.tail()}`,
        );
      last = await this.readiness();
      if (last !== undefined && predicate(last)) return last;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}; last report ${JSON.stringify(last)}\n${this.tail()}`,
        );
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
  }

  /** Waits until the daemon's output (stdout and stderr) matches `pattern`. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output.join(''))) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for output ${String(pattern)}:\n${this.tail()}`);
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
  }

  /** Sends SIGTERM and resolves with the exit code and how long the exit took. */
  async terminate(): Promise<{ code: number | null; durationMs: number }> {
    const started = Date.now();
    this.child.kill('SIGTERM');
    const { code } = await this.exited;
    return { code, durationMs: Date.now() - started };
  }

  /** Kills the daemon without warning (a crash). */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Stops the daemon if it still runs (for afterAll). */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(timer);
    }
  }

  tail(lines = 40): string {
    return this.output.join('').split('\n').slice(-lines).join('\n');
  }
}
