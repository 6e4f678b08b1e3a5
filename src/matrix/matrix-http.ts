/**
 * A minimal client-server API call over `fetch`, for the few requests made before a bot has a
 * client (whoami, login, registration). Unlike the SDK's HTTP layer it can be aborted.
 */
import { linkSignal } from '../shared/index.js';
import { matrixErrorFromResponse, toMatrixRequestError } from './errors.js';

/** The `fetch` the provisioner uses; the global one by default, a fake in tests. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** One client-server API request for {@link sendMatrixRequest}. */
export interface MatrixHttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly body?: unknown;
  readonly accessToken?: string;
  readonly signal: AbortSignal;
  /** Names the call in error messages (`POST /login`). */
  readonly what: string;
}

/** The answer to a {@link MatrixHttpRequest}, whatever its status. */
export interface MatrixHttpResponse {
  readonly status: number;
  /** Parsed JSON, or `undefined` when the body was empty or not JSON. */
  readonly body: unknown;
  readonly retryAfter: string | undefined;
}

/** Per-request timeout, so a hung homeserver cannot stall provisioning forever. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Sends one request and returns the answer whatever its status. Rejects with the caller's
 * abort reason when `signal` aborts, and with a MatrixRequestError (`network`, `timeout`) when
 * no HTTP answer arrives.
 */
export async function sendMatrixRequest(
  fetchFn: FetchLike,
  baseUrl: string,
  request: MatrixHttpRequest,
): Promise<MatrixHttpResponse> {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const linked = linkSignal(request.signal, timeout);
  try {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.accessToken !== undefined)
      headers['authorization'] = `Bearer ${request.accessToken}`;
    const response = await fetchFn(`${baseUrl.replace(/\/+$/, '')}${request.path}`, {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal: linked.signal,
    });
    const text = await response.text();
    return {
      status: response.status,
      body: parseJson(text),
      retryAfter: response.headers.get('retry-after') ?? undefined,
    };
  } catch (error) {
    request.signal.throwIfAborted();
    throw toMatrixRequestError(timeout.aborted ? timeout.reason : error, request.what);
  } finally {
    linked.cleanup();
  }
}

/** Like {@link sendMatrixRequest}, but a status outside 2xx rejects with its MatrixRequestError. */
export async function callMatrix(
  fetchFn: FetchLike,
  baseUrl: string,
  request: MatrixHttpRequest,
): Promise<Readonly<Record<string, unknown>>> {
  const response = await sendMatrixRequest(fetchFn, baseUrl, request);
  if (response.status < 200 || response.status >= 300) {
    throw matrixErrorFromResponse(
      response.status,
      response.body,
      request.what,
      response.retryAfter,
    );
  }
  return isRecord(response.body) ? response.body : {};
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** True for a JSON object (not an array or null). */
export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
