/**
 * The frame of every benchmark script: acquires the homeserver, runs the body, prints exactly
 * one JSON object on stdout (the figures plus machine context), and releases everything the
 * run started (daemons, servers, the bench Synapse) in reverse order, also on SIGINT/SIGTERM
 * and on failure. Progress goes to stderr so stdout stays machine-readable.
 */
import { performance } from 'node:perf_hooks';
import type { HomeserverInfo } from '../../test/support/matrix-registration.js';
import { acquireBenchHomeserver } from './bench-homeserver.js';
import { machineContext } from './machine.js';

/** What a benchmark body gets. */
export interface BenchScope {
  readonly homeserver: HomeserverInfo;
  /** Registers a cleanup; cleanups run in reverse order when the run ends, however it ends. */
  defer(cleanup: () => Promise<unknown> | undefined): void;
  /** A progress line on stderr. */
  progress(message: string): void;
}

/**
 * Runs `body` as the benchmark `name` and prints `{ benchmark, ...figures, machine, ... }` as one
 * line of JSON. Exits 1 (after cleaning up) when the body throws, 130 on SIGINT/SIGTERM.
 */
export async function runBenchmark(
  name: string,
  body: (scope: BenchScope) => Promise<Record<string, unknown>>,
): Promise<void> {
  const startedAt = performance.now();
  const cleanups: (() => Promise<unknown> | undefined)[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = (): Promise<void> =>
    (cleaning ??= (async () => {
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error: unknown) {
          process.stderr.write(`[${name}] cleanup failed: ${String(error)}\n`);
        }
      }
    })());
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`[${name}] ${signal}: cleaning up\n`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const machineAtStart = machineContext();
  try {
    const acquired = await acquireBenchHomeserver();
    cleanups.push(() => acquired.release());
    const scope: BenchScope = {
      homeserver: acquired.homeserver,
      defer: (cleanup) => cleanups.push(cleanup),
      progress: (message) => process.stderr.write(`[${name}] ${message}\n`),
    };
    const figures = await body(scope);
    const result = {
      benchmark: name,
      ...figures,
      machine: { ...machineAtStart, loadavg_at_end: machineContext().loadavg },
      homeserver: { source: acquired.source, url: acquired.homeserver.url },
      duration_s: Math.round((performance.now() - startedAt) / 100) / 10,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    await cleanUp();
  } catch (error: unknown) {
    process.stderr.write(
      `[${name}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await cleanUp();
    process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
