import type { ContextProvider, ExtraToolSources, TurnJournal } from '../agents/index.js';
import type { Command } from '../commands/index.js';
import type { QuorumConfig } from '../config/index.js';
import type { ServiceHealth } from '../shared/index.js';
import type { TurnRecord } from '../storage/index.js';

/**
 * What the fleet lends its services: narrow views of the journal, of who is who, and of
 * rooms. Implemented by the orchestrator; a service never sees a bot or the whole store.
 */
export interface FleetServiceHost {
  /** The ingress journal (threads, edits, redactions). */
  readonly journal: TurnJournal;
  /** The config snapshot in force (read on every call, so a reload applies at once). */
  config(): QuorumConfig;
  /** Whether `sender`'s words may reach `agent`'s prompts in `roomId` (dispatch's authorization). */
  isTrusted(roomId: string, agent: string, sender: string): boolean;
  /** True for the user id of one of Quorum's own accounts (router, agents, teams). */
  isEntityUser(userId: string): boolean;
  /** The members of `roomId` as one of Quorum's accounts in it sees them; undefined when none is. */
  joinedMembers(roomId: string): Promise<readonly string[] | undefined>;
}

/**
 * A feature that lives beside the fleet (memory and knowledge today): it follows the config,
 * runs background work under the fleet's lifetime, and plugs into turns only through the
 * turn runner's seams (prompt context, tool sources, commands, turn ends). The orchestrator
 * wires it and decides nothing about it.
 */
export interface FleetService {
  /** A short name for logs and `/api/ready`. */
  readonly name: string;
  /** Follows `config`: at boot (before the bots start) and on every reload, before the agents change. */
  apply(config: QuorumConfig): Promise<void>;
  /** Starts background work; it ends when `signal` aborts or at `stop`. */
  start(signal: AbortSignal): void;
  /** Ends background work (after the turns are gone). Idempotent. */
  stop(): Promise<void>;
  /** Prompt sections before each turn, in order. */
  readonly context: readonly ContextProvider[];
  /** Tool sources per agent (see {@link ExtraToolSources}). */
  readonly toolSources: ExtraToolSources;
  /** `!` commands the service answers. */
  readonly commands: readonly Command[];
  /** Called once after every turn in a room has ended, however it ended. */
  turnEnded(turn: TurnRecord): void;
  /** Its part of `/api/ready`, merged at the top level (e.g. `{knowledge: {...}}`). */
  readiness(): ServiceHealth;
}

/** Builds a service over the fleet's views (given by the orchestrator at construction). */
export type FleetServiceFactory = (host: FleetServiceHost) => FleetService;
