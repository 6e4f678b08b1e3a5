/**
 * A streamable-HTTP MCP server for tests, built with the SDK's server side (stateless: a
 * fresh server per request, as the SDK documents), on a loopback port. `stop()` closes the
 * listener and every open connection, as a crashed server would.
 */
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createTestServer, type TestServerState } from './test-tools-server.mjs';

/** A running test server. */
export interface HttpTestServer {
  /** `http://127.0.0.1:<port>/mcp`. */
  readonly url: string;
  readonly port: number;
  /** Headers of every request received, in order. */
  readonly requestHeaders: IncomingMessage['headers'][];
  stop(): Promise<void>;
}

/** Starts the server on `port` (0: any free port). */
export async function startHttpTestServer(port = 0): Promise<HttpTestServer> {
  const state: TestServerState = { extra: [], active: 0, maxActive: 0 };
  const sockets = new Set<Socket>();
  const requestHeaders: IncomingMessage['headers'][] = [];
  const http: HttpServer = createServer((req, res) => {
    requestHeaders.push(req.headers);
    if (!(req.url ?? '').startsWith('/mcp')) {
      res.writeHead(404).end();
      return;
    }
    const transport = new StreamableHTTPServerTransport({});
    const server = createTestServer(state);
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const actual = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}/mcp`,
    port: actual,
    requestHeaders,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) =>
        http.close(() => {
          resolve();
        }),
      );
    },
  };
}
