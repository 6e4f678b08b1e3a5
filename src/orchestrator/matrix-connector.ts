import type { AccountCredentials, BotClient } from '../matrix/index.js';

export interface ProvisionRequest {
  readonly localpart: string;
  readonly displayName: string;
  /** The account's saved credentials, if any (reused so the device survives restarts). */
  readonly stored: AccountCredentials | undefined;
  readonly signal: AbortSignal;
}

/**
 * How the orchestrator reaches Matrix: the CLI wires the matrix-bot-sdk adapter, component
 * tests wire the in-memory FakeHomeserver.
 */
export interface MatrixConnector {
  /** Logs in with saved credentials, or registers the account; resolves with credentials to save. */
  provision(request: ProvisionRequest): Promise<AccountCredentials>;
  /** A client for an account. The caller closes it. */
  connect(credentials: AccountCredentials): BotClient;
}
