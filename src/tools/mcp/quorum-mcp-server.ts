/**
 * Quorum as an MCP server: each agent and team is an MCP tool `ask_<name>` (argument
 * `prompt`) over streamable HTTP, so an editor or another agent system can ask Quorum's agents. It listens on
 * its own port (`quorum.mcp_server`: 127.0.0.1:8766, path `/mcp` by default), stateless (a
 * fresh MCP server per request, as the SDK documents), behind a bearer token compared in
 * constant time. Questions run through `AgentAsker` (the turn runner, wired by the
 * orchestrator), at most `max_concurrent_calls` at once, each within `call_timeout_seconds`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { McpServerExposureConfig } from '../../config/index.js';
import {
  AbortReason,
  describeError,
  isAbortError,
  linkSignal,
  redactText,
  type Clock,
  type Logger,
} from '../../shared/index.js';
import { Semaphore, SemaphoreFullError } from '../semaphore.js';
import { toFunctionName } from '../tool-names.js';
import { loadSdkServer, type SdkServerModules } from './sdk-modules.js';

/** One agent as the MCP server offers it. */
export interface AskableAgent {
  /** The agent's config name (`calc`). */
  readonly name: string;
  /** What it does (its display name and role), shown to the client as the tool description. */
  readonly description: string;
}

/**
 * Asking Quorum's agents, implemented by the orchestrator with the turn runner. `ask` runs one
 * turn for `agent` on `prompt` outside any Matrix room and resolves with the agent's final
 * answer text; it rejects with the signal's reason when aborted (the client went away, the
 * call timed out, Quorum is stopping), or with an error whose message may be shown to the
 * client (no stack, no secret).
 */
export interface AgentAsker {
  listAgents(): readonly AskableAgent[];
  ask(agent: string, prompt: string, options: { readonly signal: AbortSignal }): Promise<string>;
}

/** What {@link QuorumMcpServer} needs. */
export interface QuorumMcpServerDeps {
  readonly asker: AgentAsker;
  readonly clock: Clock;
  readonly log: Logger;
  /** Quorum's version, sent as `serverInfo`. */
  readonly version: string;
}

/** Largest request body accepted, in bytes. */
export const MAX_MCP_REQUEST_BYTES = 1_000_000;
/** Longest prompt accepted, in characters. */
export const MAX_ASK_PROMPT_CHARS = 50_000;
/** Questions allowed to wait for a free slot. */
const MAX_QUEUED_ASKS = 32;

/** Quorum's MCP server. `start()` listens; `stop()` aborts in-flight questions and closes. */
export class QuorumMcpServer {
  private http: Server | undefined;
  private sdk: SdkServerModules | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly stopping = new AbortController();
  private readonly slots: Semaphore;
  private readonly tokenHash: Buffer;

  constructor(
    private readonly config: McpServerExposureConfig,
    private readonly deps: QuorumMcpServerDeps,
  ) {
    if (config.token === null || config.token.length < 16) {
      throw new Error('the MCP server needs a bearer token of at least 16 characters');
    }
    this.tokenHash = sha256(config.token);
    this.slots = new Semaphore(config.max_concurrent_calls, MAX_QUEUED_ASKS);
  }

  /** Listens on the configured host and port; resolves with the port actually bound. */
  async start(): Promise<number> {
    this.sdk = await loadSdkServer();
    const http = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.deps.log.warn('MCP server request failed', { error: describeError(error) });
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    http.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
      });
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.config.port, this.config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    this.http = http;
    const port = (http.address() as AddressInfo).port;
    this.deps.log.info('MCP server listening', {
      host: this.config.host,
      port,
      path: this.config.path,
    });
    return port;
  }

  /** Aborts questions in flight, closes every connection and the listener. Idempotent. */
  async stop(): Promise<void> {
    this.stopping.abort(new AbortReason('shutdown', 'Quorum is stopping'));
    const http = this.http;
    this.http = undefined;
    if (http === undefined) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      http.close(() => {
        resolve();
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== this.config.path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (!this.isAuthorized(req.headers.authorization)) {
      res
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
        .end('unauthorized');
      return;
    }
    let body: unknown;
    if (req.method === 'POST') {
      const read = await readJsonBody(req, MAX_MCP_REQUEST_BYTES);
      if (!read.ok) {
        res.writeHead(read.status, { 'content-type': 'text/plain' }).end(read.message);
        return;
      }
      body = read.value;
    }
    const sdk = this.sdk;
    if (sdk === undefined) throw new Error('the MCP server is not started');
    const server = this.createMcpServer(sdk, res);
    const transport = new sdk.StreamableHTTPServerTransport({ enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  private isAuthorized(header: string | undefined): boolean {
    const match = /^Bearer (.+)$/.exec(header ?? '');
    if (match === null) return false;
    return timingSafeEqual(sha256(match[1] ?? ''), this.tokenHash);
  }

  /** A fresh MCP server listing the exposed agents as `ask_<agent>` tools. */
  private createMcpServer(sdk: SdkServerModules, res: ServerResponse): McpServer {
    const server = new sdk.McpServer({ name: 'quorum', version: this.deps.version });
    const allowed = this.config.agents;
    const agents = this.deps.asker
      .listAgents()
      .filter((agent) => allowed === null || allowed.includes(agent.name));
    for (const agent of agents) {
      server.registerTool(
        toFunctionName(`ask_${agent.name}`),
        {
          description: `Ask the Quorum agent '${agent.name}': ${agent.description}`.slice(0, 1_000),
          inputSchema: { prompt: z.string().min(1).max(MAX_ASK_PROMPT_CHARS) },
        },
        async ({ prompt }, extra) => this.ask(agent.name, prompt, extra.signal, res),
      );
    }
    return server;
  }

  private async ask(
    agent: string,
    prompt: string,
    requestSignal: AbortSignal,
    res: ServerResponse,
  ): Promise<CallToolResult> {
    // The client hanging up, the call timing out and Quorum stopping all end the question.
    const closed = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) closed.abort(new AbortReason('stopped', 'the client went away'));
    };
    res.once('close', onClose);
    const linked = linkSignal(this.stopping.signal, requestSignal, closed.signal);
    const timer = new AbortController();
    const timeoutMs = this.config.call_timeout_seconds * 1000;
    this.deps.clock.sleep(timeoutMs, timer.signal).then(
      () => {
        linked.abort(new AbortReason('timeout', 'the question timed out'));
      },
      () => undefined,
    );
    const startedMs = this.deps.clock.now();
    try {
      const release = await this.slots.acquire(linked.signal);
      try {
        const answer = await this.deps.asker.ask(agent, prompt, { signal: linked.signal });
        this.deps.log.info('MCP question answered', {
          agent,
          durationMs: this.deps.clock.now() - startedMs,
        });
        return { content: [{ type: 'text', text: answer }] };
      } finally {
        release();
      }
    } catch (error: unknown) {
      const message =
        error instanceof SemaphoreFullError
          ? 'Quorum is busy answering other questions; try again later.'
          : linked.signal.aborted && linked.signal.reason instanceof AbortReason
            ? `The question was not answered: ${linked.signal.reason.message}.`
            : isAbortError(error)
              ? 'The question was cancelled.'
              : `The agent could not answer: ${redactText(firstLine(error))}`;
      this.deps.log.warn('MCP question failed', { agent, error: describeError(error) });
      return { content: [{ type: 'text', text: message }], isError: true };
    } finally {
      res.off('close', onClose);
      timer.abort();
      linked.cleanup();
    }
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? '').slice(0, 300);
}

async function readJsonBody(
  req: IncomingMessage,
  maxBytes: number,
): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string }> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) return { ok: false, status: 413, message: 'request too large' };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.destroy();
      return { ok: false, status: 413, message: 'request too large' };
    }
    chunks.push(chunk);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
  } catch {
    return { ok: false, status: 400, message: 'the body is not JSON' };
  }
}
