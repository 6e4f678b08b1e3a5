/**
 * One client-server API call of a {@link BotSdkClient} through matrix-bot-sdk's `doRequest`
 * (auth header, JSON, its HTTP agent), abortable and error-mapped; plus the readers of the
 * JSON bodies the homeserver answers with.
 */
import type { MatrixClient } from 'matrix-bot-sdk';
import type { EventId, RoomId } from '../shared/index.js';
import { asEventId } from '../shared/index.js';
import { runAbortable } from './abortable-request.js';
import { MatrixRequestError } from './errors.js';

/** HTTP timeout of every request but `/sync` (the SDK's default). */
export const DEFAULT_HTTP_TIMEOUT_MS = 60_000;

/** Options of one {@link ClientRequest}. */
export interface ClientRequestOptions {
  readonly query?: Record<string, unknown>;
  readonly body?: Record<string, unknown>;
  /** HTTP timeout; default {@link DEFAULT_HTTP_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * A raw client-server API call; `what` names it in errors (`GET /sync`). Resolves with the
 * parsed body; rejects with a MatrixRequestError, or an abort reason.
 */
export type ClientRequest = (
  what: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  options?: ClientRequestOptions,
) => Promise<unknown>;

/** A {@link ClientRequest} on `client`, aborted by the request's signal and by `closed`. */
export function createClientRequest(client: MatrixClient, closed: AbortSignal): ClientRequest {
  return (what, method, path, options = {}) =>
    // Every call goes through here: abortable (by `signal` and by close) and error-mapped.
    runAbortable(
      what,
      () =>
        client.doRequest(
          method,
          path,
          options.query ?? null,
          options.body ?? null,
          options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
        ) as Promise<unknown>,
      [closed, options.signal],
    );
}

/** The client-server API path of `roomId` (`/_matrix/client/v3/rooms/<id>`). */
export function roomPath(roomId: RoomId): string {
  return `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;
}

/** The `event_id` a send answered with. */
export function eventIdOf(raw: unknown, what: string): EventId {
  return branded(asRecord(raw, what)['event_id'], asEventId, what);
}

/** `value` as a branded id, or `invalid_response` when the server sent something else. */
export function branded<T>(value: unknown, brand: (raw: string) => T, what: string): T {
  if (typeof value === 'string') {
    try {
      return brand(value);
    } catch {
      // Falls through to the error below.
    }
  }
  throw new MatrixRequestError(
    'invalid_response',
    `${what} answered an invalid id: ${typeof value === 'string' ? value.slice(0, 100) : typeof value}`,
  );
}

/** `raw` as a JSON object, or `invalid_response` when it is anything else. */
export function asRecord(raw: unknown, what: string): Readonly<Record<string, unknown>> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new MatrixRequestError(
      'invalid_response',
      `${what} answered a body that is not an object`,
    );
  }
  return raw as Readonly<Record<string, unknown>>;
}
