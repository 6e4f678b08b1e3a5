/**
 * The homeserver a benchmark runs against: the one named by `MATRIX_HOMESERVER` (with
 * `MATRIX_REGISTRATION_SHARED_SECRET`), or a Synapse of its own started by scripts/synapse.sh
 * in a data dir and on a port that no test run uses, so a benchmark never disturbs (or is
 * disturbed by) the e2e suites' Synapse.
 */
import type { HomeserverInfo } from '../../test/support/matrix-registration.js';
import { parseEnvLines, runSynapseScript } from '../../test/support/synapse-script.js';

/** Data dir of the benchmarks' own Synapse, unless `QUORUM_BENCH_SYNAPSE_DIR` says otherwise. */
export const DEFAULT_BENCH_SYNAPSE_DIR = '/tmp/quorum-bench-synapse';
/** Port of the benchmarks' own Synapse, unless `QUORUM_BENCH_SYNAPSE_PORT` says otherwise. */
export const DEFAULT_BENCH_SYNAPSE_PORT = 18400;

/** A homeserver to benchmark against; `release` stops it only if this process started it. */
export interface BenchHomeserver {
  readonly homeserver: HomeserverInfo;
  /** Where it came from, for the JSON output. */
  readonly source: 'environment' | 'bench-synapse';
  /** Stops the Synapse this call started; a no-op for one that was already running. Idempotent. */
  release(): Promise<void>;
}

/**
 * Finds or starts the homeserver. With `MATRIX_HOMESERVER` set, that server is used as is (it
 * must allow shared-secret registration). Otherwise scripts/synapse.sh starts a Synapse in
 * `QUORUM_BENCH_SYNAPSE_DIR` on `QUORUM_BENCH_SYNAPSE_PORT` (a first start provisions the
 * Debian root and takes minutes); one already running there is reused and left running.
 */
export async function acquireBenchHomeserver(
  env: NodeJS.ProcessEnv = process.env,
): Promise<BenchHomeserver> {
  const url = env['MATRIX_HOMESERVER'];
  if (url !== undefined && url !== '') {
    const secret = env['MATRIX_REGISTRATION_SHARED_SECRET'];
    if (secret === undefined || secret === '') {
      throw new Error('MATRIX_HOMESERVER is set but MATRIX_REGISTRATION_SHARED_SECRET is not');
    }
    return {
      homeserver: {
        url: url.replace(/\/+$/, ''),
        serverName: env['MATRIX_SERVER_NAME'] ?? 'localhost',
        registrationSharedSecret: secret,
      },
      source: 'environment',
      release: () => Promise.resolve(),
    };
  }
  const dataDir = env['QUORUM_BENCH_SYNAPSE_DIR'] ?? DEFAULT_BENCH_SYNAPSE_DIR;
  const scriptEnv = {
    ...env,
    QUORUM_SYNAPSE_PORT: env['QUORUM_BENCH_SYNAPSE_PORT'] ?? String(DEFAULT_BENCH_SYNAPSE_PORT),
  };
  const status = await runSynapseScript('status', { dataDir, env: scriptEnv });
  const isOwned = status.exitCode !== 0;
  const started = await runSynapseScript('start', { dataDir, env: scriptEnv });
  if (started.exitCode !== 0) {
    throw new Error(
      `scripts/synapse.sh start failed (exit ${started.exitCode}):\n${started.stderr}`,
    );
  }
  const values = parseEnvLines(started.stdout);
  const startedUrl = values['MATRIX_HOMESERVER'];
  const secret = values['MATRIX_REGISTRATION_SHARED_SECRET'];
  if (startedUrl === undefined || secret === undefined) {
    throw new Error(`scripts/synapse.sh start printed no env:\n${started.stdout}`);
  }
  let released = false;
  return {
    homeserver: {
      url: startedUrl.replace(/\/+$/, ''),
      serverName: values['MATRIX_SERVER_NAME'] ?? 'localhost',
      registrationSharedSecret: secret,
    },
    source: 'bench-synapse',
    release: async () => {
      if (released || !isOwned) return;
      released = true;
      const stopped = await runSynapseScript('stop', { dataDir, env: scriptEnv });
      if (stopped.exitCode !== 0) {
        throw new Error(`stopping the bench Synapse failed:\n${stopped.stderr}`);
      }
    },
  };
}
