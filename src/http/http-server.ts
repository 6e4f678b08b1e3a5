import { serve, type ServerType } from '@hono/node-server';
import type { EncryptionStatusSource } from '../matrix/index.js';
import type { HealthSource, Logger, TextScrubber } from '../shared/index.js';
import { createHttpApp } from './app.js';
import type { OpenAiApiOptions } from './openai-api.js';

/** What {@link HttpServer} serves, and where. */
export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly source: HealthSource;
  /** Each bot's encryption status, added to `/api/ready` (see `createHttpApp`). */
  readonly encryption?: EncryptionStatusSource;
  readonly log: Logger;
  /** Serves the OpenAI-compatible API under `/v1` when given (see `createHttpApp`). */
  readonly openAi?: OpenAiApiOptions;
  /** Required on `/api/ready` and `/metrics` when set (see `createHttpApp`). */
  readonly bearerToken?: string | undefined;
  /** Removes known secret values from response bodies. */
  readonly scrubber?: TextScrubber | undefined;
}

/** The listening HTTP API. `start` resolves once listening; `stop` closes it (idempotent). */
export class HttpServer {
  private server: ServerType | undefined;

  constructor(private readonly options: HttpServerOptions) {}

  /** The bound port (useful when started on port 0). */
  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  async start(): Promise<void> {
    const app = createHttpApp(this.options.source, {
      bearerToken: this.options.bearerToken,
      scrubber: this.options.scrubber,
      ...(this.options.encryption === undefined ? {} : { encryption: this.options.encryption }),
      ...(this.options.openAi === undefined ? {} : { openAi: this.options.openAi }),
    });
    await new Promise<void>((resolve, reject) => {
      const server = serve(
        { fetch: app.fetch, hostname: this.options.host, port: this.options.port },
        () => {
          resolve();
        },
      );
      server.once('error', reject);
      this.server = server;
    });
    this.options.log.info('http api listening', {
      host: this.options.host,
      port: this.port,
      requiresToken: this.options.bearerToken !== undefined && this.options.bearerToken !== '',
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      // Idle keep-alive sockets would otherwise hold close() open.
      if ('closeAllConnections' in server) server.closeAllConnections();
    });
  }
}
