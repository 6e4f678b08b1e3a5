import { createHash } from 'node:crypto';

/**
 * The base of every transaction id of one responder's reply to one source event. Derived,
 * not random, so a resend after a crash uses the same id and the homeserver deduplicates it
 * (spec: Client-Server API, "Transaction identifiers").
 */
export function txnPrefixFor(responder: string, sourceEventId: string): string {
  const digest = createHash('sha256')
    .update(`${responder}\u0000${sourceEventId}`)
    .digest('base64url');
  return `qr.${digest.slice(0, 22)}`;
}
