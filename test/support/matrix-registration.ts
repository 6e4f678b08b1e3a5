import { createHmac } from 'node:crypto';
import { matrixRequest } from './matrix-http.js';

/** Where the e2e homeserver is and how to create accounts on it. */
export interface HomeserverInfo {
  /** Client-Server API base URL, for example `http://127.0.0.1:18008`. */
  readonly url: string;
  /** The server name in user ids (`@alice:<serverName>`). */
  readonly serverName: string;
  /** Synapse's `registration_shared_secret`, for `/_synapse/admin/v1/register`. */
  readonly registrationSharedSecret: string;
}

/** A logged-in device of a user. */
export interface MatrixSession {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
}

/** What to register. */
export interface RegistrationRequest {
  readonly localpart: string;
  readonly password: string;
  readonly displayName?: string;
  /** Server admin (may call the /_synapse/admin API). Default false. */
  readonly isAdmin?: boolean;
}

/**
 * The MAC Synapse expects for shared-secret registration: HMAC-SHA1, keyed with the shared
 * secret, over `nonce \0 localpart \0 password \0 admin|notadmin`, hex-encoded.
 * See https://element-hq.github.io/synapse/latest/admin_api/register_api.html
 */
export function registrationMac(
  sharedSecret: string,
  nonce: string,
  localpart: string,
  password: string,
  isAdmin: boolean,
): string {
  return createHmac('sha1', sharedSecret)
    .update(`${nonce}\0${localpart}\0${password}\0${isAdmin ? 'admin' : 'notadmin'}`)
    .digest('hex');
}

/**
 * Creates an account through Synapse's shared-secret admin API (works with registration
 * disabled) and returns its first session. Rejects with MatrixHttpError when the localpart is
 * taken (`M_USER_IN_USE`) or the secret is wrong.
 */
export async function registerUser(
  homeserver: HomeserverInfo,
  request: RegistrationRequest,
  signal?: AbortSignal,
): Promise<MatrixSession> {
  const path = '/_synapse/admin/v1/register';
  const withSignal = signal === undefined ? {} : { signal };
  const { nonce } = await matrixRequest(homeserver.url, { method: 'GET', path, ...withSignal });
  if (typeof nonce !== 'string') throw new Error(`${path} returned no nonce`);
  const isAdmin = request.isAdmin ?? false;
  const response = await matrixRequest(homeserver.url, {
    method: 'POST',
    path,
    body: {
      nonce,
      username: request.localpart,
      password: request.password,
      admin: isAdmin,
      ...(request.displayName === undefined ? {} : { displayname: request.displayName }),
      mac: registrationMac(
        homeserver.registrationSharedSecret,
        nonce,
        request.localpart,
        request.password,
        isAdmin,
      ),
    },
    ...withSignal,
  });
  return sessionFrom(response, path);
}

/** Logs in with a password (`m.login.password`) and returns a new session (a new device). */
export async function loginUser(
  homeserver: HomeserverInfo,
  userId: string,
  password: string,
  signal?: AbortSignal,
): Promise<MatrixSession> {
  const path = '/_matrix/client/v3/login';
  const response = await matrixRequest(homeserver.url, {
    method: 'POST',
    path,
    body: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: userId },
      password,
    },
    ...(signal === undefined ? {} : { signal }),
  });
  return sessionFrom(response, path);
}

/**
 * A suffix unique to this test run, for localparts and aliases, so e2e test files sharing one
 * homeserver never see each other's users or rooms (and a rerun never meets `M_USER_IN_USE`).
 * Lowercase letters and digits only: valid in localparts and aliases.
 */
export function uniqueSuffix(): string {
  const random = Math.floor(Math.random() * 36 ** 4).toString(36);
  return `${Date.now().toString(36)}${random.padStart(4, '0')}`;
}

function sessionFrom(response: Record<string, unknown>, path: string): MatrixSession {
  const { user_id: userId, access_token: accessToken, device_id: deviceId } = response;
  if (
    typeof userId !== 'string' ||
    typeof accessToken !== 'string' ||
    typeof deviceId !== 'string'
  ) {
    throw new Error(`${path} returned no session: ${JSON.stringify(Object.keys(response))}`);
  }
  return { userId, accessToken, deviceId };
}
