/**
 * Replacing a bot device whose crypto store is gone (see `provisionAccount`'s `keepDevice`).
 * Peers already hold the old device's identity keys, and a new store would generate different
 * ones under the same device id, which clients reject; so when the homeserver still publishes
 * keys for the device, the bot logs in on a new device and deletes the old one.
 */
import type { Logger, UserId } from '../shared/index.js';
import type { callMatrix } from './matrix-http.js';
import { isRecord } from './matrix-http.js';
import type { AccountCredentials } from './types.js';

/** What {@link replaceDeviceWithoutStore} needs from the provisioner. */
export interface DeviceReplacementDeps {
  readonly keepDevice: ((userId: UserId, deviceId: string) => boolean) | undefined;
  readonly call: (request: Parameters<typeof callMatrix>[2]) => ReturnType<typeof callMatrix>;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Logs in with the password on a new device. */
  readonly logInNewDevice: (credentials: AccountCredentials) => Promise<AccountCredentials>;
}

/**
 * Credentials on a new device when the kept device has no crypto store but published keys;
 * `undefined` when the device can stay. Rejects only when the new login fails.
 */
export async function replaceDeviceWithoutStore(
  credentials: AccountCredentials,
  deps: DeviceReplacementDeps,
): Promise<AccountCredentials | undefined> {
  if (deps.keepDevice === undefined || deps.keepDevice(credentials.userId, credentials.deviceId)) {
    return undefined;
  }
  if (credentials.password === '' || !(await hasPublishedKeys(deps, credentials))) {
    return undefined;
  }
  const fresh = await deps.logInNewDevice(credentials);
  deps.log.warn(
    'the crypto store of this bot device is missing or was unusable: logged in on a new ' +
      'device (people see a new session for the bot; messages encrypted for the old one ' +
      'cannot be read)',
    { userId: fresh.userId, oldDeviceId: credentials.deviceId, newDeviceId: fresh.deviceId },
  );
  await deleteDevice(deps, fresh, credentials.deviceId);
  return fresh;
}

/** True when `/keys/query` lists device keys for the credentials' own device. */
async function hasPublishedKeys(
  deps: DeviceReplacementDeps,
  credentials: AccountCredentials,
): Promise<boolean> {
  const body = await deps.call({
    method: 'POST',
    path: '/_matrix/client/v3/keys/query',
    body: { device_keys: { [credentials.userId]: [credentials.deviceId] } },
    accessToken: credentials.accessToken,
    signal: deps.signal,
    what: 'POST /keys/query',
  });
  const keys = body['device_keys'];
  const own = isRecord(keys) ? keys[credentials.userId] : undefined;
  return isRecord(own) && isRecord(own[credentials.deviceId]);
}

/** Deletes the replaced device (user-interactive auth by password); failures only log. */
async function deleteDevice(
  deps: DeviceReplacementDeps,
  credentials: AccountCredentials,
  deviceId: string,
): Promise<void> {
  try {
    await deps.call({
      method: 'POST',
      path: '/_matrix/client/v3/delete_devices',
      body: {
        devices: [deviceId],
        auth: {
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: credentials.userId },
          password: credentials.password,
        },
      },
      accessToken: credentials.accessToken,
      signal: deps.signal,
      what: 'POST /delete_devices',
    });
  } catch (error) {
    deps.signal.throwIfAborted();
    deps.log.warn('could not delete the replaced device', { deviceId, error });
  }
}
