/**
 * Who may use the OpenAI-compatible API (MindRoom's rules): bearer keys from
 * `OPENAI_COMPAT_API_KEYS`; without keys, nobody — unless `OPENAI_COMPAT_ALLOW_UNAUTHENTICATED`
 * opens it for local use. And where the API may listen: off loopback only with keys.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isLoopbackHost } from './loopback.js';

/** The API's auth settings, parsed from the environment by the CLI. */
export interface OpenAiAuthSettings {
  /** Accepted bearer keys; empty means no key is accepted. */
  readonly apiKeys: readonly string[];
  /** With no keys set: serve without authentication (local use only). Ignored when keys are set. */
  readonly allowUnauthenticated: boolean;
}

/** The outcome of checking a request's `Authorization` header. */
export type BearerCheck =
  | {
      readonly ok: true;
      /**
       * `key-<8 hex>` from a salted hash of the key (stable when other keys are added or
       * revoked: usage and memories stay with their key) or `unauthenticated`; never the key.
       */
      readonly caller: string;
      /** A short hash of the key (or `open`), to namespace sessions per key. */
      readonly namespace: string;
    }
  | { readonly ok: false; readonly reason: 'locked' | 'missing' | 'invalid' };

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Checks `authorization` (the header value) against the settings. Every configured key is
 * compared, in constant time over their SHA-256 digests, so neither a key's length nor the
 * position of the match shows in the timing.
 */
export function checkBearer(
  authorization: string | undefined,
  settings: OpenAiAuthSettings,
): BearerCheck {
  if (settings.apiKeys.length === 0) {
    return settings.allowUnauthenticated
      ? { ok: true, caller: 'unauthenticated', namespace: 'open' }
      : { ok: false, reason: 'locked' };
  }
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/iu.exec(authorization ?? '');
  const token = match?.[1];
  if (token === undefined) return { ok: false, reason: 'missing' };
  const presented = digest(token);
  let found = -1;
  settings.apiKeys.forEach((key, index) => {
    if (timingSafeEqual(presented, digest(key)) && found === -1) found = index;
  });
  if (found === -1) return { ok: false, reason: 'invalid' };
  return {
    ok: true,
    caller: `key-${digest(`quorum-caller:${token}`).toString('hex').slice(0, 8)}`,
    namespace: digest(`quorum-session:${token}`).toString('hex').slice(0, 16),
  };
}

/** Parses `OPENAI_COMPAT_API_KEYS`: comma-separated, trimmed, empty entries and repeats dropped. */
export function parseApiKeys(value: string | undefined): string[] {
  return [
    ...new Set(
      (value ?? '')
        .split(',')
        .map((key) => key.trim())
        .filter((key) => key !== ''),
    ),
  ];
}

/** Parses a boolean environment value: `true`, `1`, `yes`, `on` (any case) are true. */
export function parseEnvFlag(value: string | undefined): boolean {
  return /^(?:true|1|yes|on)$/iu.test((value ?? '').trim());
}

/**
 * Whether the API may listen on `host` with `settings`: anywhere but loopback, keys are
 * required (unauthenticated access is for local use only). Returns the problem in words for
 * the operator, or `undefined` when it may start. Pure.
 */
export function checkApiExposure(host: string, settings: OpenAiAuthSettings): string | undefined {
  if (isLoopbackHost(host) || settings.apiKeys.length > 0) return undefined;
  const open = settings.allowUnauthenticated
    ? ' OPENAI_COMPAT_ALLOW_UNAUTHENTICATED=true is for local use only.'
    : '';
  return `the API would listen on ${host}, which is reachable from other machines, without OPENAI_COMPAT_API_KEYS: set OPENAI_COMPAT_API_KEYS (comma-separated bearer keys), or listen on 127.0.0.1 (--api-host).${open}`;
}
