/**
 * A failing homeserver on demand, in front of a real one: an HTTP proxy the daemon talks to
 * (as its MATRIX_HOMESERVER) that passes everything through to Synapse, records every access
 * token it sees, and, while `fail` is on, answers every request with an error whose text
 * quotes the caller's access token (and whatever else the test names), as a broken or hostile
 * homeserver or reverse proxy might. It works on the shared Synapse of a test run, which
 * tests must never stop or restart.
 */
import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a failing proxy answers. */
export interface ProxyFailure {
  readonly status: number;
  /** Extra text the error quotes (secrets the test checks never leave the daemon). */
  readonly quote?: string;
}

export class HomeserverProxy {
  /** Every access token a request carried (header or query), for the test's secret list. */
  readonly tokensSeen = new Set<string>();
  /** Requests answered with a failure. */
  failedRequests = 0;
  private failure: ProxyFailure | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
    /** `http://127.0.0.1:<port>`: give it to the daemon as MATRIX_HOMESERVER. */
    readonly url: string,
  ) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts a proxy to `targetUrl` (the real homeserver) on 127.0.0.1 and a free port. */
  static async start(targetUrl: string): Promise<HomeserverProxy> {
    const holder: { proxy?: HomeserverProxy } = {};
    const server = createServer((req, res) => {
      holder.proxy?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const proxy = new HomeserverProxy(server, new URL(targetUrl), `http://127.0.0.1:${port}`);
    holder.proxy = proxy;
    return proxy;
  }

  /**
   * Fails every request from now on until `pass()`, and cuts the requests in flight (pending
   * long-polls), so every bot meets the failure at once.
   */
  fail(failure: ProxyFailure): void {
    this.failure = failure;
    for (const socket of this.sockets) socket.destroy();
  }

  /** Passes requests through again. */
  pass(): void {
    this.failure = undefined;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const token = tokenOf(req);
    if (token !== undefined) this.tokensSeen.add(token);
    const failure = this.failure;
    if (failure !== undefined) {
      this.failedRequests += 1;
      req.resume();
      const quoted = [
        `Internal server error while handling ${req.method ?? 'GET'} ${req.url ?? '/'}`,
        token === undefined ? '' : `for access_token=${token}`,
        failure.quote ?? '',
      ]
        .filter((part) => part !== '')
        .join(' ');
      res.writeHead(failure.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errcode: 'M_UNKNOWN', error: quoted }));
      return;
    }
    const upstream = request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }
}

function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ') === true) return header.slice('Bearer '.length);
  const query = new URL(req.url ?? '/', 'http://proxy').searchParams.get('access_token');
  return query ?? undefined;
}
