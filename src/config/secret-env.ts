/**
 * Which environment variables hold secrets, and which config fields may receive them.
 *
 * A `${NAME}` reference in `config.yaml` may pull any variable into the config. A variable
 * that holds a secret must only ever fill a field meant for secrets (an API key, an MCP
 * server's `env` or `headers`, a token): anywhere else (an agent's `role`, a model's `id`,
 * a room name) it would reach a prompt, a room or a validation message. So a secret variable
 * referenced from any other field is a load error.
 *
 * A variable holds a secret when:
 * - Quorum itself reads it as a credential ({@link CREDENTIAL_ENV_NAMES});
 * - its name contains KEY, TOKEN, SECRET, PASSWORD, PASSWD or CREDENTIAL (any case);
 * - the operator lists it in `quorum.secret_env`;
 * - or its value comes from a `NAME_FILE` secret file.
 */
import type { PathSegment } from './issues.js';
import { PROVIDERS } from './providers.js';

/** Environment variables Quorum itself reads as credentials (the CLI reads these). */
export const MATRIX_CREDENTIAL_ENV_NAMES = [
  'MATRIX_REGISTRATION_SHARED_SECRET',
  'MATRIX_REGISTRATION_TOKEN',
  'QUORUM_API_TOKEN',
] as const;

/**
 * Every variable Quorum reads as a credential: the Matrix registration secrets, the HTTP API
 * token and each model provider's API key variable (`OPENAI_API_KEY`, …).
 */
export const CREDENTIAL_ENV_NAMES: readonly string[] = [
  ...new Set([
    ...MATRIX_CREDENTIAL_ENV_NAMES,
    ...Object.values(PROVIDERS).flatMap((info) =>
      info.apiKeyEnv === undefined ? [] : [info.apiKeyEnv],
    ),
  ]),
].sort();

const SECRET_NAME_WORDS = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL/i;

/**
 * Whether the variable `name` holds a secret: a credential Quorum reads, a secret-sounding
 * name, or one the operator listed (`extra`, from `quorum.secret_env`).
 */
export function isSecretEnvName(name: string, extra: ReadonlySet<string> = new Set()): boolean {
  return CREDENTIAL_ENV_NAMES.includes(name) || SECRET_NAME_WORDS.test(name) || extra.has(name);
}

/** Key names (lowercase) whose value is a secret, in any block. */
const SECRET_FIELD_KEYS = new Set([
  'api_key',
  'apikey',
  'token',
  'access_token',
  'secret',
  'client_secret',
  'password',
  'authorization',
]);
/** Environment-variable style keys, as in an MCP server's `env:` block. */
const SECRET_ENV_KEY = /^[A-Z0-9_]*(API_KEY|TOKEN|SECRET|PASSWORD)$/;
/** Maps whose every value may carry a secret: an MCP server's `env`, HTTP `headers`. */
const SECRET_MAPS = new Set(['env', 'headers']);

/** Whether `key` names a secret value (`api_key`, `Authorization`, `GITHUB_TOKEN`). */
export function isSecretKeyName(key: PathSegment | undefined): boolean {
  if (typeof key !== 'string') return false;
  return SECRET_FIELD_KEYS.has(key.toLowerCase()) || SECRET_ENV_KEY.test(key);
}

/**
 * Whether the config field at `path` is meant for a secret: its key names one (`api_key`,
 * `token`, `password`, `authorization`, `*_API_KEY`), or it sits in a map of secrets (an MCP
 * server's `env` and `headers`, a model's `extra_kwargs.headers`), or it is where a server's
 * credentials often have to go: an MCP server's `args` and `url`, a knowledge base's
 * `git.repo_url`. None of these reach a prompt or a room.
 */
export function isSecretField(path: readonly PathSegment[]): boolean {
  if (isSecretKeyName(path[path.length - 1])) return true;
  const parent = path[path.length - 2];
  if (typeof parent === 'string' && SECRET_MAPS.has(parent)) return true;
  const [block, , field, inner] = path;
  if (block === 'mcp_servers') return field === 'args' || (field === 'url' && path.length === 3);
  return block === 'knowledge_bases' && field === 'git' && inner === 'repo_url';
}

/** The fields a secret variable may fill, for error messages. */
export const SECRET_FIELDS_DESCRIPTION =
  "api_key, token, password, secret, authorization, an MCP server's env, headers, args or url, a model's extra_kwargs.headers, or a knowledge base's git.repo_url";
