/**
 * Canonical JSON and fingerprints: the same value always gives the same text, whatever the
 * key order it was built in, so a fingerprint changes exactly when the value does.
 */
import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level and `undefined` members dropped (as
 * `JSON.stringify` does). Arrays keep their order: order is meaning there.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

/** First 16 hex digits of the SHA-256 of the canonical JSON of `value`. */
export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}
