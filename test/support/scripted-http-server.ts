import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the server received. */
export interface RecordedRequest {
  readonly method: string;
  /** Decoded path without the query string. */
  readonly path: string;
  /** The raw (still percent-encoded) path, to check encoding. */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** Parsed JSON body (raw bytes for a non-JSON content type), or `undefined` when there was none. */
  readonly body: unknown;
}

/** What a handler answers; `status` defaults to 200, `body` is sent as JSON. */
export interface ScriptedResponse {
  readonly status?: number;
  readonly body?: unknown;
  /** A non-JSON body (e.g. a proxy's HTML error page); wins over `body`. */
  readonly rawBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Answers one recorded request. */
export type Handler = (request: RecordedRequest) => ScriptedResponse | Promise<ScriptedResponse>;

interface Route {
  readonly method: string;
  readonly path: string | RegExp;
  readonly handler: Handler;
  /** Remaining uses; `undefined` for unlimited. */
  remaining: number | undefined;
}

/**
 * A loopback HTTP server answering from scripted routes, for testing HTTP clients without a
 * network. Routes match on method and decoded path (a string for equality or a RegExp); the
 * most recently added matching route wins, and `once` routes are used up. Unmatched requests
 * get a Matrix 404 `M_UNRECOGNIZED` and are listed in `unmatched`. Close it in `afterEach`.
 */
export class ScriptedHttpServer {
  readonly requests: RecordedRequest[] = [];
  readonly unmatched: RecordedRequest[] = [];
  private readonly routes: Route[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts a server on 127.0.0.1 with a free port. */
  static async start(): Promise<ScriptedHttpServer> {
    const routeTo: { instance?: ScriptedHttpServer } = {};
    const server = createServer((req, res) => {
      void routeTo.instance?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    routeTo.instance = new ScriptedHttpServer(server, `http://127.0.0.1:${port}`);
    return routeTo.instance;
  }

  /** Answers `method path` with `handler` until removed (or once, with `{ once: true }`). */
  on(
    method: string,
    path: string | RegExp,
    handler: Handler | ScriptedResponse,
    options: { readonly once?: boolean } = {},
  ): this {
    this.routes.push({
      method,
      path,
      handler: typeof handler === 'function' ? handler : () => handler,
      remaining: options.once === true ? 1 : undefined,
    });
    return this;
  }

  /** Requests received for `method` and a path matching `path`. */
  received(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter(
      (request) => request.method === method && matches(path, request.path),
    );
  }

  /** Stops listening and drops keep-alive connections. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const text = bytes.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      rawPath: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: text === '' ? undefined : parseBody(text, bytes, req.headers['content-type']),
    };
    this.requests.push(request);
    const route = [...this.routes]
      .reverse()
      .find(
        (candidate) =>
          candidate.method === request.method &&
          matches(candidate.path, request.path) &&
          candidate.remaining !== 0,
      );
    if (route === undefined) this.unmatched.push(request);
    if (route?.remaining !== undefined) route.remaining--;
    const response: ScriptedResponse =
      route === undefined
        ? { status: 404, body: { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' } }
        : await route.handler(request);
    if (res.destroyed) return;
    const raw = response.rawBody ?? JSON.stringify(response.body ?? {});
    res.writeHead(response.status ?? 200, {
      'content-type': response.rawBody === undefined ? 'application/json' : 'text/html',
      ...response.headers,
    });
    res.end(raw);
  }
}

/** JSON bodies parsed; anything else (a media upload) kept as its raw bytes. */
function parseBody(text: string, bytes: Buffer, contentType: string | undefined): unknown {
  if (contentType !== undefined && !contentType.includes('json')) return bytes;
  return JSON.parse(text) as unknown;
}

function matches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}
