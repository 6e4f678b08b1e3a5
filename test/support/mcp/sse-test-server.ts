/**
 * An MCP server on the (deprecated, still common) SSE transport, built with the SDK's server
 * side: `GET /sse` opens the event stream, `POST /messages?sessionId=…` carries requests.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { createTestServer } from './test-tools-server.mjs';

/** A running SSE test server. */
export interface SseTestServer {
  /** `http://127.0.0.1:<port>/sse`. */
  readonly url: string;
  /** Headers of every request received, in order. */
  readonly requestHeaders: IncomingMessage['headers'][];
  stop(): Promise<void>;
}

/** Starts the server on a free loopback port. */
export async function startSseTestServer(): Promise<SseTestServer> {
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- see above
  const transports = new Map<string, SSEServerTransport>();
  const sockets = new Set<Socket>();
  const requestHeaders: IncomingMessage['headers'][] = [];
  const http = createServer((req, res) => {
    requestHeaders.push(req.headers);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/sse') {
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- see above
      const transport = new SSEServerTransport('/messages', res);
      transports.set(transport.sessionId, transport);
      res.on('close', () => {
        transports.delete(transport.sessionId);
      });
      void createTestServer().connect(transport);
      return;
    }
    const transport = transports.get(url.searchParams.get('sessionId') ?? '');
    if (req.method === 'POST' && url.pathname === '/messages' && transport !== undefined) {
      void transport.handlePostMessage(req, res);
      return;
    }
    res.writeHead(404).end();
  });
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/sse`,
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
