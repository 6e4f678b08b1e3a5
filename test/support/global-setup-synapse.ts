/**
 * Vitest globalSetup of the e2e tier (vitest.e2e.config.ts): finds or starts the homeserver
 * once per run and hands its coordinates to the test files through `provide`/`inject`.
 *
 * - `MATRIX_HOMESERVER` set: use that server (it must answer /_matrix/client/versions), with
 *   `MATRIX_REGISTRATION_SHARED_SECRET` (required) and `MATRIX_SERVER_NAME` (default localhost).
 * - Otherwise: `scripts/synapse.sh start` (provisions a Synapse on first use) and read its env.
 *   If this setup started it, teardown stops it; one that was already running is left running.
 * - No homeserver: the run fails with instructions. Only with `QUORUM_SKIP_E2E=1`, and never
 *   under `CI=true`, are the e2e suites skipped instead (loudly).
 *
 * Test files read the values with the helpers of test/support/e2e-homeserver.ts.
 */
import type { TestProject } from 'vitest/node';
import type { HomeserverInfo } from './matrix-registration.js';
import type { SynapseControl } from './synapse-script.js';
import {
  SYNAPSE_SCRIPT,
  parseEnvLines,
  runSynapseScript,
  synapseDataDir,
} from './synapse-script.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The homeserver of this run; null only when the e2e suites are skipped. */
    quorumHomeserver: HomeserverInfo | null;
    /** Why the e2e suites are skipped (QUORUM_SKIP_E2E=1 and no homeserver), else null. */
    quorumE2eSkipReason: string | null;
    /** Set when scripts/synapse.sh manages the homeserver, so tests may stop and restart it. */
    quorumSynapseControl: SynapseControl | null;
  }
}

const HOW_TO_POINT_AT_A_SERVER = [
  'To run the e2e tests against an existing homeserver instead, set:',
  '  MATRIX_HOMESERVER=http://host:port                 (Client-Server API base URL)',
  '  MATRIX_REGISTRATION_SHARED_SECRET=...              (its registration_shared_secret)',
  '  MATRIX_SERVER_NAME=...                             (optional, default localhost)',
  'The server should have rate limits raised (see docker/synapse/quorum-homeserver.yaml).',
].join('\n');

interface Acquired {
  readonly homeserver: HomeserverInfo;
  readonly control: SynapseControl | null;
  /** True when this setup started Synapse and so must stop it. */
  readonly isOwned: boolean;
}

/** Vitest globalSetup entry: provides the homeserver and returns the teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = process.env;
  let acquired: Acquired;
  try {
    acquired = await acquireHomeserver(env);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    if (env['QUORUM_SKIP_E2E'] === '1' && env['CI'] !== 'true') {
      const banner = '!'.repeat(78);
      process.stderr.write(
        `\n${banner}\nE2E TESTS SKIPPED (QUORUM_SKIP_E2E=1): no homeserver.\n${reason}\n${banner}\n\n`,
      );
      project.provide('quorumHomeserver', null);
      project.provide('quorumE2eSkipReason', reason);
      project.provide('quorumSynapseControl', null);
      return () => Promise.resolve();
    }
    throw new Error(`e2e tests need a Matrix homeserver, and none could be had.\n${reason}`, {
      cause: error,
    });
  }
  project.provide('quorumHomeserver', acquired.homeserver);
  project.provide('quorumE2eSkipReason', null);
  project.provide('quorumSynapseControl', acquired.control);
  return async () => {
    if (!acquired.isOwned || acquired.control === null) return;
    const result = await runSynapseScript('stop', { dataDir: acquired.control.dataDir });
    if (result.exitCode !== 0) {
      throw new Error(`stopping the e2e Synapse failed:\n${result.stderr}`);
    }
  };
}

async function acquireHomeserver(env: NodeJS.ProcessEnv): Promise<Acquired> {
  const url = env['MATRIX_HOMESERVER'];
  if (url !== undefined && url !== '') return useGivenHomeserver(env, url);
  const dataDir = await synapseDataDir(env);
  const status = await runSynapseScript('status', { dataDir });
  const isOwned = status.exitCode !== 0;
  const started = await runSynapseScript('start', { dataDir });
  if (started.exitCode !== 0) {
    throw new Error(
      `scripts/synapse.sh start failed (exit ${started.exitCode}):\n` +
        `${lastLines(started.stderr, 30)}\n\n${HOW_TO_POINT_AT_A_SERVER}`,
    );
  }
  const values = parseEnvLines(started.stdout);
  const homeserver = homeserverFrom(values, 'scripts/synapse.sh start');
  await checkVersions(homeserver.url);
  return { homeserver, control: { scriptPath: SYNAPSE_SCRIPT, dataDir }, isOwned };
}

async function useGivenHomeserver(env: NodeJS.ProcessEnv, url: string): Promise<Acquired> {
  const homeserver = homeserverFrom(env, 'the environment');
  try {
    await checkVersions(url);
  } catch (error: unknown) {
    const reason = errorText(error);
    throw new Error(
      `MATRIX_HOMESERVER=${url} does not answer: ${reason}\n\n${HOW_TO_POINT_AT_A_SERVER}`,
      { cause: error },
    );
  }
  return { homeserver, control: await managedControl(env, homeserver.url), isOwned: false };
}

/**
 * Control of the given server when scripts/synapse.sh runs it (as in .ci/run, which starts
 * Synapse itself and exports its env): tests may then restart it. Null for any other server.
 */
async function managedControl(env: NodeJS.ProcessEnv, url: string): Promise<SynapseControl | null> {
  try {
    const dataDir = await synapseDataDir(env);
    const status = await runSynapseScript('status', { dataDir });
    if (status.exitCode !== 0) return null;
    const scriptEnv = parseEnvLines((await runSynapseScript('env', { dataDir })).stdout);
    const scriptUrl = scriptEnv['MATRIX_HOMESERVER']?.replace(/\/+$/, '');
    return scriptUrl === url ? { scriptPath: SYNAPSE_SCRIPT, dataDir } : null;
  } catch {
    // The script cannot even run here: then it does not manage this server either.
    return null;
  }
}

function homeserverFrom(
  values: Record<string, string | undefined>,
  source: string,
): HomeserverInfo {
  const url = values['MATRIX_HOMESERVER'];
  const secret = values['MATRIX_REGISTRATION_SHARED_SECRET'];
  if (url === undefined || url === '') throw new Error(`no MATRIX_HOMESERVER in ${source}`);
  if (secret === undefined || secret === '') {
    throw new Error(
      `MATRIX_REGISTRATION_SHARED_SECRET is missing from ${source}: e2e tests create their ` +
        `users through Synapse's shared-secret registration.\n\n${HOW_TO_POINT_AT_A_SERVER}`,
    );
  }
  const serverName = values['MATRIX_SERVER_NAME'];
  return {
    url: url.replace(/\/+$/, ''),
    serverName: serverName === undefined || serverName === '' ? 'localhost' : serverName,
    registrationSharedSecret: secret,
  };
}

/** Resolves when `url` serves /_matrix/client/versions; rejects with the reason otherwise. */
async function checkVersions(url: string): Promise<void> {
  const response = await fetch(new URL('/_matrix/client/versions', url), {
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json().catch(() => null)) as { versions?: unknown } | null;
  if (!response.ok || !Array.isArray(body?.versions)) {
    throw new Error(`/_matrix/client/versions answered ${response.status} ${JSON.stringify(body)}`);
  }
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** The message of `error` with its causes ("fetch failed" alone does not say what failed). */
function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let cause = error; cause !== undefined && parts.length < 4;) {
    if (!(cause instanceof Error)) {
      parts.push(typeof cause === 'string' ? cause : JSON.stringify(cause));
      break;
    }
    parts.push(cause.message);
    cause = cause.cause;
  }
  return parts.join(': ');
}
