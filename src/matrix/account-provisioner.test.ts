import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { ScriptedHttpServer } from '../../test/support/scripted-http-server.js';
import { AbortReason, asUserId } from '../shared/index.js';
import { provisionAccount } from './account-provisioner.js';
import type { ProvisionAccountOptions } from './account-provisioner.js';
import { MatrixRequestError } from './errors.js';
import type { AccountCredentials } from './types.js';

const SECRET = 'shared-secret-value';
const PASSWORD = 'generated-password-value';
const stored: AccountCredentials = {
  userId: asUserId('@coder:example.org'),
  accessToken: 'syt_old_token_value',
  deviceId: 'KEEPME',
  password: 'stored-password-value',
};

let server: ScriptedHttpServer;
let logger: RecordingLogger;

beforeEach(async () => {
  server = await ScriptedHttpServer.start();
  logger = new RecordingLogger();
});

afterEach(async () => {
  await server.close();
});

function options(overrides: Partial<ProvisionAccountOptions> = {}): ProvisionAccountOptions {
  return {
    homeserverUrl: server.url,
    localpart: 'coder',
    displayName: 'Coder',
    stored: undefined,
    registration: {},
    signal: new AbortController().signal,
    logger,
    generatePassword: () => PASSWORD,
    ...overrides,
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const WHOAMI = '/_matrix/client/v3/account/whoami';
const LOGIN = '/_matrix/client/v3/login';
const REGISTER = '/_matrix/client/v3/register';
const ADMIN_REGISTER = '/_synapse/admin/v1/register';
const unknownToken = { status: 401, body: { errcode: 'M_UNKNOWN_TOKEN', error: 'Invalid token' } };
const newAccount = {
  user_id: '@coder:example.org',
  access_token: 'syt_new_token_value',
  device_id: 'NEWDEV',
};

describe('provisionAccount with stored credentials', () => {
  it('reuses a token that still works, without logging in', async () => {
    server.on('GET', WHOAMI, { body: { user_id: '@coder:example.org', device_id: 'KEEPME' } });
    const result = await provisionAccount(options({ stored }));
    expect(result).toEqual({ credentials: stored, outcome: 'reused' });
    expect(server.received('GET', WHOAMI)[0]?.headers.authorization).toBe(
      `Bearer ${stored.accessToken}`,
    );
    expect(server.received('POST', LOGIN)).toEqual([]);
  });

  it('logs in again on the same device when the token is no longer valid', async () => {
    server.on('GET', WHOAMI, unknownToken);
    server.on('POST', LOGIN, { body: { ...newAccount, device_id: 'KEEPME' } });
    const result = await provisionAccount(options({ stored }));
    expect(result.outcome).toBe('logged_in');
    expect(result.credentials).toEqual({ ...stored, accessToken: 'syt_new_token_value' });
    expect(server.received('POST', LOGIN)[0]?.body).toMatchObject({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'coder' },
      password: stored.password,
      device_id: 'KEEPME',
    });
  });

  it('explains what to do when the stored password is refused', async () => {
    server.on('GET', WHOAMI, unknownToken);
    server.on('POST', LOGIN, {
      status: 403,
      body: { errcode: 'M_FORBIDDEN', error: 'Invalid password' },
    });
    const error = await rejectionOf(provisionAccount(options({ stored })));
    expect(error).toMatchObject({ code: 'forbidden' });
    expect((error as Error).message).toContain(
      'stored password for @coder:example.org was refused',
    );
  });

  it('fails with a transient error, not a registration, when the homeserver is down', async () => {
    server.on('GET', WHOAMI, { status: 502, rawBody: 'Bad Gateway' });
    const error = await rejectionOf(
      provisionAccount(options({ stored, registration: { sharedSecret: SECRET } })),
    );
    expect(error).toMatchObject({ code: 'server_error' });
    expect(server.received('GET', ADMIN_REGISTER)).toEqual([]);
  });
});

describe('provisionAccount registration', () => {
  it('registers through the Synapse shared-secret API with a valid HMAC', async () => {
    server.on('GET', ADMIN_REGISTER, { body: { nonce: 'n0nce' } });
    server.on('POST', ADMIN_REGISTER, (request) => {
      const body = request.body as Record<string, string>;
      const expected = createHmac('sha1', SECRET)
        .update(`n0nce\x00coder\x00${PASSWORD}\x00notadmin`)
        .digest('hex');
      return body['mac'] === expected
        ? { body: newAccount }
        : { status: 403, body: { errcode: 'M_FORBIDDEN', error: 'HMAC incorrect' } };
    });
    const result = await provisionAccount(
      options({ registration: { sharedSecret: SECRET, token: 'ignored' } }),
    );
    expect(result).toEqual({
      outcome: 'registered',
      credentials: {
        userId: '@coder:example.org',
        accessToken: 'syt_new_token_value',
        deviceId: 'NEWDEV',
        password: PASSWORD,
      },
    });
    expect(server.received('POST', ADMIN_REGISTER)[0]?.body).toMatchObject({
      username: 'coder',
      displayname: 'Coder',
      admin: false,
    });
  });

  it('registers with a registration token through user-interactive auth', async () => {
    server.on('POST', REGISTER, (request) => {
      const auth = (request.body as { auth?: Record<string, unknown> }).auth;
      if (auth === undefined) {
        return {
          status: 401,
          body: { session: 'S1', flows: [{ stages: ['m.login.registration_token'] }], params: {} },
        };
      }
      return auth['type'] === 'm.login.registration_token' &&
        auth['token'] === 'tok' &&
        auth['session'] === 'S1'
        ? { body: newAccount }
        : {
            status: 401,
            body: { errcode: 'M_UNAUTHORIZED', error: 'Invalid registration token', session: 'S1' },
          };
    });
    server.on('PUT', '/_matrix/client/v3/profile/@coder:example.org/displayname', { body: {} });
    const result = await provisionAccount(options({ registration: { token: 'tok' } }));
    expect(result.outcome).toBe('registered');
    const profile = server.received('PUT', /\/displayname$/)[0];
    expect(profile?.body).toEqual({ displayname: 'Coder' });
    expect(profile?.headers.authorization).toBe('Bearer syt_new_token_value');
  });

  it('maps a refused registration token to forbidden', async () => {
    server.on('POST', REGISTER, (request) =>
      (request.body as { auth?: unknown }).auth === undefined
        ? {
            status: 401,
            body: { session: 'S1', flows: [{ stages: ['m.login.registration_token'] }] },
          }
        : {
            status: 401,
            body: { errcode: 'M_UNAUTHORIZED', error: 'Invalid registration token', session: 'S1' },
          },
    );
    const error = await rejectionOf(
      provisionAccount(options({ registration: { token: 'wrong' } })),
    );
    expect(error).toMatchObject({ code: 'forbidden', httpStatus: 401 });
  });

  it('uses open registration with m.login.dummy when nothing else is configured', async () => {
    server.on('POST', REGISTER, (request) =>
      (request.body as { auth?: { type: string } }).auth?.type === 'm.login.dummy'
        ? { body: newAccount }
        : {
            status: 401,
            body: {
              session: 'S2',
              flows: [{ stages: ['m.login.recaptcha'] }, { stages: ['m.login.dummy'] }],
            },
          },
    );
    server.on('PUT', /\/displayname$/, { body: {} });
    expect((await provisionAccount(options())).outcome).toBe('registered');
  });

  it('says so when the server needs a registration step Quorum cannot do', async () => {
    server.on('POST', REGISTER, {
      status: 401,
      body: { session: 'S3', flows: [{ stages: ['m.login.email.identity'] }] },
    });
    const error = await rejectionOf(provisionAccount(options()));
    expect(error).toMatchObject({ code: 'forbidden' });
    expect((error as Error).message).toContain('shared secret or token');
  });

  it('tells the operator what to do when the username is taken and no password is stored', async () => {
    server.on('GET', ADMIN_REGISTER, { body: { nonce: 'n' } });
    server.on('POST', ADMIN_REGISTER, {
      status: 400,
      body: { errcode: 'M_USER_IN_USE', error: 'User ID already taken.' },
    });
    const error = await rejectionOf(
      provisionAccount(options({ registration: { sharedSecret: SECRET } })),
    );
    expect(error).toBeInstanceOf(MatrixRequestError);
    expect(error).toMatchObject({ code: 'user_in_use', kind: 'config' });
    expect((error as Error).message).toMatch(/@coder already exists.*no password/);
  });

  it('registers anew when the stored token is invalid and no password is stored', async () => {
    server.on('GET', WHOAMI, unknownToken);
    server.on('GET', ADMIN_REGISTER, { body: { nonce: 'n' } });
    server.on('POST', ADMIN_REGISTER, {
      status: 400,
      body: { errcode: 'M_USER_IN_USE', error: 'taken' },
    });
    const error = await rejectionOf(
      provisionAccount(
        options({ stored: { ...stored, password: '' }, registration: { sharedSecret: SECRET } }),
      ),
    );
    expect(error).toMatchObject({ code: 'user_in_use' });
  });
});

describe('provisionAccount hygiene', () => {
  it('never logs passwords, tokens or the shared secret', async () => {
    server.on('GET', WHOAMI, unknownToken);
    server.on('POST', LOGIN, { body: { ...newAccount, device_id: 'KEEPME' } });
    await provisionAccount(options({ stored, registration: { sharedSecret: SECRET } }));
    const logged = JSON.stringify(logger.lines);
    expect(logger.lines.length).toBeGreaterThan(0);
    for (const secret of [stored.password, stored.accessToken, 'syt_new_token_value', SECRET]) {
      expect(logged).not.toContain(secret);
    }
  });

  it('rejects with the abort reason when aborted', async () => {
    server.on('GET', WHOAMI, () => new Promise(() => undefined));
    const controller = new AbortController();
    const pending = provisionAccount(options({ stored, signal: controller.signal }));
    const reason = new AbortReason('shutdown');
    await vi.waitFor(() => {
      expect(server.received('GET', WHOAMI)).toHaveLength(1);
    });
    controller.abort(reason);
    expect(await rejectionOf(pending)).toBe(reason);
  });
});

describe('provisionAccount when a device lost its crypto store', () => {
  const KEYS_QUERY = '/_matrix/client/v3/keys/query';
  const DELETE = '/_matrix/client/v3/delete_devices';

  it('logs in on a new device when the old one published keys, and deletes the old one', async () => {
    server.on('GET', WHOAMI, { body: { user_id: '@coder:example.org', device_id: 'KEEPME' } });
    server.on('POST', KEYS_QUERY, {
      body: { device_keys: { '@coder:example.org': { KEEPME: { keys: {} } } } },
    });
    server.on('POST', LOGIN, { body: newAccount });
    server.on('POST', DELETE, { body: {} });
    const asked: string[] = [];
    const result = await provisionAccount(
      options({
        stored,
        keepDevice: (_userId, deviceId) => {
          asked.push(deviceId);
          return false;
        },
      }),
    );
    expect(asked).toEqual(['KEEPME']);
    expect(result.credentials.deviceId).toBe('NEWDEV');
    expect(result.credentials.password).toBe(stored.password);
    const login = server.received('POST', LOGIN)[0]?.body as Record<string, unknown>;
    expect(login['device_id']).toBeUndefined();
    const deleted = server.received('POST', DELETE)[0]?.body as Record<string, unknown>;
    expect(deleted['devices']).toEqual(['KEEPME']);
    expect(logger.at('warn', 'crypto store of this bot device is missing')).toHaveLength(1);
  });

  it('keeps a device that never published keys (nothing to take over)', async () => {
    server.on('GET', WHOAMI, { body: { user_id: '@coder:example.org', device_id: 'KEEPME' } });
    server.on('POST', KEYS_QUERY, { body: { device_keys: { '@coder:example.org': {} } } });
    const result = await provisionAccount(options({ stored, keepDevice: () => false }));
    expect(result).toEqual({ credentials: stored, outcome: 'reused' });
    expect(server.received('POST', LOGIN)).toEqual([]);
  });

  it('keeps the device when its store exists, without asking the server', async () => {
    server.on('GET', WHOAMI, { body: { user_id: '@coder:example.org', device_id: 'KEEPME' } });
    const result = await provisionAccount(options({ stored, keepDevice: () => true }));
    expect(result.outcome).toBe('reused');
    expect(server.received('POST', '/_matrix/client/v3/keys/query')).toEqual([]);
  });
});
