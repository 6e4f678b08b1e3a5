/**
 * Makes sure a bot's Matrix account exists and returns working credentials, changing as little
 * as possible: a valid stored token is reused (same device, no login), an expired one is
 * replaced by logging in again on the same device (keeping its E2EE keys and transaction id
 * scope), and only a bot with nothing stored gets a new account. Secrets are never logged.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Logger, UserId } from '../shared/index.js';
import { asUserId, hasErrorCode, silentLogger } from '../shared/index.js';
import { MatrixRequestError, matrixErrorFromResponse } from './errors.js';
import { callMatrix, isRecord, sendMatrixRequest } from './matrix-http.js';
import type { FetchLike } from './matrix-http.js';
import type { AccountCredentials } from './types.js';
import { replaceDeviceWithoutStore } from './device-replacement.js';

/** How an account may be registered when none is stored. */
export interface RegistrationOptions {
  /** Synapse `registration_shared_secret`: registers through the admin API. Wins over `token`. */
  readonly sharedSecret?: string;
  /** A registration token (`m.login.registration_token`), for servers that require one. */
  readonly token?: string;
}

/** Inputs of {@link provisionAccount}; `signal` aborts any request in flight. */
export interface ProvisionAccountOptions {
  readonly homeserverUrl: string;
  readonly localpart: string;
  /** Set as the display name when the account is created. */
  readonly displayName: string;
  /** What the caller persisted last time for this bot, if anything. */
  readonly stored: AccountCredentials | undefined;
  readonly registration: RegistrationOptions;
  readonly signal: AbortSignal;
  readonly logger?: Logger;
  /** Defaults to the global `fetch`. */
  readonly fetch?: FetchLike;
  /** Defaults to 32 random bytes, base64url. */
  readonly generatePassword?: () => string;
  /**
   * Whether the stored device can be kept: false when its local crypto state is gone (see
   * `hasCryptoStore`). The homeserver is then asked whether the device published encryption
   * keys; if it did, peers know those keys and a new store cannot take them over, so the bot
   * logs in on a new device (and deletes the old one). Default: always keep.
   */
  readonly keepDevice?: (userId: UserId, deviceId: string) => boolean;
}

/** What {@link provisionAccount} did. */
export type ProvisionOutcome = 'reused' | 'logged_in' | 'registered';

/** The result of {@link provisionAccount}. */
export interface ProvisionedAccount {
  /** Persist these (they may differ from `stored`) before using them. */
  readonly credentials: AccountCredentials;
  readonly outcome: ProvisionOutcome;
}

const DEVICE_DISPLAY_NAME = 'Quorum';

/**
 * Returns working credentials for `@localpart` on the homeserver:
 * 1. `stored` token still valid (`whoami`) → reused as is;
 * 2. token invalid but a password stored → `m.login.password` with the stored `device_id`;
 * 3. otherwise → a new strong password and registration: the Synapse shared-secret admin API
 *    (nonce + HMAC-SHA1) when `sharedSecret` is set, else `/register` with the registration
 *    token (user-interactive auth), else open registration (`m.login.dummy`).
 *
 * Rejects with MatrixRequestError: `user_in_use` when the account exists but no password is
 * stored (the message tells the operator what to do), `forbidden` when registration is
 * refused or the stored password is wrong, transient codes when the homeserver is unreachable,
 * or the signal's reason when aborted.
 */
export async function provisionAccount(
  options: ProvisionAccountOptions,
): Promise<ProvisionedAccount> {
  const context = contextOf(options);
  const stored = usableStored(options, context.log);
  if (stored !== undefined) {
    const reused = await whoami(context, stored);
    if (reused !== undefined) {
      context.log.debug('stored Matrix credentials still valid', { userId: reused.userId });
      return replaceLostDevice(context, { credentials: reused, outcome: 'reused' });
    }
    if (stored.password !== '') {
      const credentials = await logIn(context, stored);
      context.log.info('logged in again on the same device', {
        userId: credentials.userId,
        deviceId: credentials.deviceId,
      });
      return replaceLostDevice(context, { credentials, outcome: 'logged_in' });
    }
    context.log.warn('stored Matrix token is invalid and no password is stored', {
      userId: stored.userId,
    });
  }
  const credentials = await register(context);
  context.log.info('registered Matrix account', {
    userId: credentials.userId,
    deviceId: credentials.deviceId,
  });
  return { credentials, outcome: 'registered' };
}

/** See `keepDevice`: a device whose crypto state is gone is replaced when peers know its keys. */
async function replaceLostDevice(
  context: Context,
  provisioned: ProvisionedAccount,
): Promise<ProvisionedAccount> {
  const fresh = await replaceDeviceWithoutStore(provisioned.credentials, {
    keepDevice: context.options.keepDevice,
    call: context.call,
    signal: context.options.signal,
    log: context.log,
    logInNewDevice: (credentials) => logIn(context, { ...credentials, deviceId: '' }),
  });
  return fresh === undefined ? provisioned : { credentials: fresh, outcome: 'logged_in' };
}

interface Context {
  readonly options: ProvisionAccountOptions;
  readonly log: Logger;
  readonly call: (request: Parameters<typeof callMatrix>[2]) => ReturnType<typeof callMatrix>;
  readonly send: (
    request: Parameters<typeof sendMatrixRequest>[2],
  ) => ReturnType<typeof sendMatrixRequest>;
}

function contextOf(options: ProvisionAccountOptions): Context {
  const fetchFn: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  return {
    options,
    log: (options.logger ?? silentLogger).child({ localpart: options.localpart }),
    call: (request) => callMatrix(fetchFn, options.homeserverUrl, request),
    send: (request) => sendMatrixRequest(fetchFn, options.homeserverUrl, request),
  };
}

/** Stored credentials are only used if they belong to the configured localpart. */
function usableStored(
  options: ProvisionAccountOptions,
  log: Logger,
): AccountCredentials | undefined {
  const stored = options.stored;
  if (stored === undefined) return undefined;
  if (stored.userId.slice(1, stored.userId.indexOf(':')) !== options.localpart) {
    log.warn('stored Matrix credentials belong to another localpart; ignoring them', {
      storedUserId: stored.userId,
    });
    return undefined;
  }
  return stored;
}

/** The stored credentials if their token still works, `undefined` if it does not. */
async function whoami(
  context: Context,
  stored: AccountCredentials,
): Promise<AccountCredentials | undefined> {
  try {
    const body = await context.call({
      method: 'GET',
      path: '/_matrix/client/v3/account/whoami',
      accessToken: stored.accessToken,
      signal: context.options.signal,
      what: 'GET /whoami',
    });
    if (body['user_id'] !== stored.userId) return undefined;
    const deviceId = typeof body['device_id'] === 'string' ? body['device_id'] : stored.deviceId;
    if (deviceId !== stored.deviceId) {
      // The token is bound to its device; trust the server and let the caller persist it.
      context.log.warn('stored device id differs from the token device', { deviceId });
    }
    return { ...stored, deviceId };
  } catch (error) {
    if (hasErrorCode(error, 'unknown_token')) return undefined;
    throw error;
  }
}

async function logIn(context: Context, stored: AccountCredentials): Promise<AccountCredentials> {
  try {
    const body = await context.call({
      method: 'POST',
      path: '/_matrix/client/v3/login',
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: context.options.localpart },
        password: stored.password,
        // An empty device id asks the homeserver for a new device.
        ...(stored.deviceId === '' ? {} : { device_id: stored.deviceId }),
        initial_device_display_name: DEVICE_DISPLAY_NAME,
      },
      signal: context.options.signal,
      what: 'POST /login',
    });
    return credentialsFrom(body, stored.password, 'POST /login');
  } catch (error) {
    if (hasErrorCode(error, 'forbidden')) {
      throw new MatrixRequestError(
        'forbidden',
        `the stored password for ${stored.userId} was refused; reset it on the homeserver or ` +
          `remove the bot's stored credentials so Quorum can register again`,
        { cause: error, httpStatus: 403 },
      );
    }
    throw error;
  }
}

async function register(context: Context): Promise<AccountCredentials> {
  const password = (context.options.generatePassword ?? strongPassword)();
  try {
    const { sharedSecret, token } = context.options.registration;
    if (sharedSecret !== undefined && sharedSecret !== '') {
      return await registerWithSharedSecret(context, sharedSecret, password);
    }
    const credentials = await registerInteractively(context, password, token);
    await setInitialDisplayName(context, credentials);
    return credentials;
  } catch (error) {
    if (hasErrorCode(error, 'user_in_use')) {
      throw new MatrixRequestError(
        'user_in_use',
        `the Matrix account @${context.options.localpart} already exists, but Quorum has no ` +
          `password for it. Either give Quorum its credentials (or delete the account on the ` +
          `homeserver), or configure a different username for this bot.`,
        { cause: error, errcode: 'M_USER_IN_USE' },
      );
    }
    throw error;
  }
}

/** Synapse admin API: https://element-hq.github.io/synapse/latest/admin_api/register_api.html */
async function registerWithSharedSecret(
  context: Context,
  sharedSecret: string,
  password: string,
): Promise<AccountCredentials> {
  const path = '/_synapse/admin/v1/register';
  const { signal, localpart, displayName } = context.options;
  const nonceBody = await context.call({
    method: 'GET',
    path,
    signal,
    what: 'GET /admin/register',
  });
  const nonce = nonceBody['nonce'];
  if (typeof nonce !== 'string') {
    throw new MatrixRequestError('invalid_response', 'shared-secret registration gave no nonce');
  }
  const mac = createHmac('sha1', sharedSecret)
    .update([nonce, localpart, password, 'notadmin'].join('\x00'))
    .digest('hex');
  const body = await context.call({
    method: 'POST',
    path,
    body: { nonce, username: localpart, displayname: displayName, password, admin: false, mac },
    signal,
    what: 'POST /admin/register',
  });
  return credentialsFrom(body, password, 'POST /admin/register');
}

/**
 * `/register` with user-interactive auth: the first call returns the flows (HTTP 401), then
 * each stage of a flow made only of stages we can do is completed in turn.
 */
async function registerInteractively(
  context: Context,
  password: string,
  token: string | undefined,
): Promise<AccountCredentials> {
  const request = {
    username: context.options.localpart,
    password,
    initial_device_display_name: DEVICE_DISPLAY_NAME,
  };
  const canDo = new Set([
    'm.login.dummy',
    ...(token === undefined ? [] : ['m.login.registration_token']),
  ]);
  let auth: Record<string, unknown> | undefined;
  for (let round = 0; round < 5; round++) {
    const response = await context.send({
      method: 'POST',
      path: '/_matrix/client/v3/register',
      body: auth === undefined ? request : { ...request, auth },
      signal: context.options.signal,
      what: 'POST /register',
    });
    if (response.status >= 200 && response.status < 300 && isRecord(response.body)) {
      return credentialsFrom(response.body, password, 'POST /register');
    }
    const body = isRecord(response.body) ? response.body : {};
    // A 401 without errcode asks for the next stage; with one (a refused token), it is final.
    if (response.status !== 401 || typeof body['session'] !== 'string' || 'errcode' in body) {
      throw matrixErrorFromResponse(
        response.status,
        response.body,
        'POST /register',
        response.retryAfter,
      );
    }
    const stage = nextStage(body, canDo);
    if (stage === undefined) {
      throw new MatrixRequestError(
        'forbidden',
        `registration on this homeserver needs a step Quorum cannot do ` +
          `(flows: ${JSON.stringify(body['flows'])}); set a registration shared secret or token`,
        { httpStatus: 401 },
      );
    }
    auth =
      stage === 'm.login.registration_token'
        ? { type: stage, token, session: body['session'] }
        : { type: stage, session: body['session'] };
  }
  throw new MatrixRequestError('invalid_response', 'registration did not finish after 5 rounds');
}

/** The first stage not yet completed of the first flow whose stages are all in `canDo`. */
function nextStage(
  body: Readonly<Record<string, unknown>>,
  canDo: ReadonlySet<string>,
): string | undefined {
  const completed = new Set(Array.isArray(body['completed']) ? body['completed'] : []);
  const flows = Array.isArray(body['flows']) ? body['flows'] : [];
  for (const flow of flows) {
    const stages: unknown = isRecord(flow) ? flow['stages'] : undefined;
    if (
      !Array.isArray(stages) ||
      !stages.every((stage) => typeof stage === 'string' && canDo.has(stage))
    ) {
      continue;
    }
    const next: unknown = stages.find((stage) => !completed.has(stage));
    if (typeof next === 'string') return next;
  }
  return undefined;
}

async function setInitialDisplayName(
  context: Context,
  credentials: AccountCredentials,
): Promise<void> {
  try {
    await context.call({
      method: 'PUT',
      path: `/_matrix/client/v3/profile/${encodeURIComponent(credentials.userId)}/displayname`,
      body: { displayname: context.options.displayName },
      accessToken: credentials.accessToken,
      signal: context.options.signal,
      what: 'PUT /displayname',
    });
  } catch (error) {
    // The account is usable without it; the bot sets its name again when it starts.
    context.options.signal.throwIfAborted();
    context.log.warn('could not set the display name of the new account', { error });
  }
}

function credentialsFrom(
  body: Readonly<Record<string, unknown>>,
  password: string,
  what: string,
): AccountCredentials {
  const userId = body['user_id'];
  const accessToken = body['access_token'];
  const deviceId = body['device_id'];
  if (
    typeof userId !== 'string' ||
    typeof accessToken !== 'string' ||
    typeof deviceId !== 'string'
  ) {
    throw new MatrixRequestError(
      'invalid_response',
      `${what} answered without user_id, access_token and device_id`,
    );
  }
  let branded: UserId;
  try {
    branded = asUserId(userId);
  } catch (error) {
    throw new MatrixRequestError('invalid_response', `${what} answered an invalid user id`, {
      cause: error,
    });
  }
  return { userId: branded, accessToken, deviceId, password };
}

/** 32 random bytes, base64url: 256 bits, well beyond any password policy. */
function strongPassword(): string {
  return randomBytes(32).toString('base64url');
}
