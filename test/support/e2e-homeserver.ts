/**
 * Test-side access to what test/support/global-setup-synapse.ts provides. Import from e2e
 * test files only (the values exist only under vitest.e2e.config.ts).
 *
 * @example
 * describeE2e('replies in threads', () => {
 *   const homeserver = e2eHomeserver();
 *   const suffix = uniqueSuffix();
 *   let alice: MatrixTestUser;
 *   beforeAll(async () => {
 *     alice = await MatrixTestUser.register(homeserver, { localpart: `alice-${suffix}` });
 *     await alice.startSync();
 *   });
 *   afterAll(() => alice.close());
 * });
 */
import { describe, inject, it } from 'vitest';
import type { HomeserverInfo } from './matrix-registration.js';
import type { SynapseControl } from './synapse-script.js';
import { controlSynapse } from './synapse-script.js';

/**
 * `describe` for e2e suites: the same as `describe`, except when the run was started with
 * QUORUM_SKIP_E2E=1 and no homeserver could be had (never under CI). Then `body` is not even
 * run (it would need the homeserver) and the suite shows as skipped, with the reason.
 */
export function describeE2e(name: string, body: () => void): void {
  const skipReason = inject('quorumE2eSkipReason');
  if (skipReason === null) {
    describe(name, body);
    return;
  }
  describe.skip(name, () => {
    it(`needs a homeserver: ${skipReason.split('\n')[0] ?? ''}`, () => undefined);
  });
}

/**
 * The homeserver of this run. Call it inside a `describeE2e` body. Throws when the e2e
 * suites are skipped, so a suite outside `describeE2e` fails instead of running without one.
 */
export function e2eHomeserver(): HomeserverInfo {
  const homeserver = inject('quorumHomeserver');
  if (homeserver === null) {
    throw new Error(
      `no homeserver: ${inject('quorumE2eSkipReason') ?? 'unknown reason'} (wrap the suite in describeE2e)`,
    );
  }
  return homeserver;
}

/**
 * Control over the run's Synapse, for tests that stop or restart it. Only available when
 * scripts/synapse.sh manages that Synapse (started by the global setup, or by the same script
 * beforehand, as .ci/run does); a foreign MATRIX_HOMESERVER is never restarted, and this throws.
 */
export function synapseControl(): SynapseControl {
  const control = inject('quorumSynapseControl');
  if (control === null) {
    throw new Error(
      'this test stops or restarts Synapse, which needs a Synapse managed by scripts/synapse.sh; ' +
        'MATRIX_HOMESERVER points at a server this run does not manage. Unset MATRIX_HOMESERVER ' +
        'to let the e2e setup start its own.',
    );
  }
  return control;
}

/** Stops the run's Synapse (state is kept in its data dir). Pair with {@link startSynapse}. */
export function stopSynapse(): Promise<void> {
  return controlSynapse(synapseControl(), 'stop');
}

/** Starts the run's Synapse again on the same data dir and port; resolves once it answers. */
export function startSynapse(): Promise<void> {
  return controlSynapse(synapseControl(), 'start');
}

/** Stops and starts the run's Synapse; users, rooms and access tokens survive. */
export function restartSynapse(): Promise<void> {
  return controlSynapse(synapseControl(), 'restart');
}
