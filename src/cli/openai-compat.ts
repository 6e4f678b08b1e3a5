import {
  checkApiExposure,
  parseApiKeys,
  parseEnvFlag,
  type OpenAiAuthSettings,
} from '../http/index.js';
import { readSecret } from './secrets.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The OpenAI-compatible API's auth settings from the environment: `OPENAI_COMPAT_API_KEYS`
 * (comma-separated; or a file named by `OPENAI_COMPAT_API_KEYS_FILE`) and
 * `OPENAI_COMPAT_ALLOW_UNAUTHENTICATED`.
 */
export function readOpenAiAuth(env: Env): OpenAiAuthSettings {
  return {
    apiKeys: parseApiKeys(readSecret(env, 'OPENAI_COMPAT_API_KEYS')),
    allowUnauthenticated: parseEnvFlag(env['OPENAI_COMPAT_ALLOW_UNAUTHENTICATED']),
  };
}

/**
 * The auth settings for an API listening on `host`, or the reason Quorum must not start:
 * anywhere but loopback, keys are required.
 */
export function openAiAuthFor(
  env: Env,
  host: string,
):
  | { readonly ok: true; readonly auth: OpenAiAuthSettings }
  | { readonly ok: false; readonly problem: string } {
  const auth = readOpenAiAuth(env);
  const problem = checkApiExposure(host, auth);
  return problem === undefined ? { ok: true, auth } : { ok: false, problem };
}
