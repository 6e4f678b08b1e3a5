import { isLoopbackHost } from '../http/index.js';
import { CliError } from './errors.js';
import { openAiAuthFor } from './openai-compat.js';
import { readSecret } from './secrets.js';

type Env = Readonly<Record<string, string | undefined>>;

/** How the HTTP API may be reached: where it listens, its token and the `/v1` keys. */
export interface ApiExposure {
  readonly host: string;
  /** Required on `/api/ready` and `/metrics` when set (`QUORUM_API_TOKEN`). */
  readonly bearerToken: string | undefined;
  readonly openAi: Extract<ReturnType<typeof openAiAuthFor>, { ok: true }>;
}

/**
 * Where the API listens (`--api-host`, `QUORUM_API_HOST`, else loopback) and what guards it.
 * Beyond this machine it needs both `QUORUM_API_TOKEN` (readiness, metrics) and
 * `OPENAI_COMPAT_API_KEYS` (the OpenAI-compatible API): otherwise a CliError (exit 2) before
 * anything starts.
 */
export function apiExposure(apiHost: string | undefined, env: Env): ApiExposure {
  const host = apiHost ?? env['QUORUM_API_HOST'] ?? '127.0.0.1';
  const bearerToken = readSecret(env, 'QUORUM_API_TOKEN');
  if (!isLoopbackHost(host) && (bearerToken === undefined || bearerToken.trim() === '')) {
    throw new CliError(
      `the API would listen on ${host}, beyond this machine, without a token: set QUORUM_API_TOKEN (or QUORUM_API_TOKEN_FILE) so /api/ready and /metrics need "Authorization: Bearer <token>", or bind 127.0.0.1`,
      2,
    );
  }
  const openAi = openAiAuthFor(env, host);
  if (!openAi.ok) throw new CliError(`refusing to start: ${openAi.problem}`, 2);
  return { host, bearerToken, openAi };
}
