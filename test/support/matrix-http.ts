/**
 * Plain-`fetch` access to the Matrix Client-Server API for the e2e test driver.
 *
 * Deliberately shares no code with the daemon's Matrix adapter: tests observe the daemon
 * from outside, so a bug in the adapter cannot hide itself by also being in the driver.
 */

/** A non-2xx answer from the homeserver, with the Matrix error fields when the body had them. */
export class MatrixHttpError extends Error {
  /** HTTP status code. */
  readonly status: number;
  /** Matrix `errcode` (for example `M_LIMIT_EXCEEDED`), or undefined when the body had none. */
  readonly errcode: string | undefined;
  /** Milliseconds the server asked to wait (`retry_after_ms`, else the `Retry-After` header). */
  readonly retryAfterMs: number | undefined;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  readonly body: unknown;

  constructor(request: string, status: number, body: unknown, retryAfterHeader: string | null) {
    const fields = isRecord(body) ? body : {};
    const errcode = typeof fields['errcode'] === 'string' ? fields['errcode'] : undefined;
    const error = typeof fields['error'] === 'string' ? fields['error'] : undefined;
    const detail = [errcode, error ?? JSON.stringify(body)].filter((part) => part !== undefined);
    super(`${request} → ${status} ${detail.join(' ')}`);
    this.name = 'MatrixHttpError';
    this.status = status;
    this.errcode = errcode;
    this.body = body;
    const fromBody = fields['retry_after_ms'];
    const headerSeconds = retryAfterHeader === null ? NaN : Number(retryAfterHeader);
    this.retryAfterMs =
      typeof fromBody === 'number'
        ? fromBody
        : Number.isFinite(headerSeconds)
          ? headerSeconds * 1000
          : undefined;
  }
}

/** One Client-Server API request. `path` starts with `/_matrix/` or `/_synapse/`. */
export interface MatrixRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  /** Sent as `Authorization: Bearer`, never in the URL, so it cannot leak into error messages. */
  readonly accessToken?: string;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

/**
 * Sends `request` to `baseUrl` and returns the parsed JSON body.
 * Rejects with {@link MatrixHttpError} on a non-2xx answer; does not retry (a test that meets
 * a rate limit should see it). Rejects with the signal's reason when aborted.
 */
export async function matrixRequest(
  baseUrl: string,
  request: MatrixRequest,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {};
  if (request.accessToken !== undefined) headers['authorization'] = `Bearer ${request.accessToken}`;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(new URL(request.path, baseUrl), {
    method: request.method,
    headers,
    ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  });
  const text = await response.text();
  const body = parseJson(text);
  if (!response.ok) {
    throw new MatrixHttpError(
      `${request.method} ${request.path}`,
      response.status,
      body,
      response.headers.get('retry-after'),
    );
  }
  return isRecord(body) ? body : {};
}

/** Percent-encodes one path segment (room ids, aliases, user ids, event ids, txn ids). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** Narrows JSON values to plain objects. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
