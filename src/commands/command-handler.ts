import type { ConfigAccessSource } from '../config/index.js';
import type { Decision } from '../routing/index.js';

/** An entity as `!agents` lists it. */
export interface CommandEntityInfo {
  readonly name: string;
  readonly kind: 'agent' | 'team';
  readonly displayName: string;
  readonly role: string;
  readonly model: string;
  readonly isInRoom: boolean;
}

/** Token totals for one key (an agent, a room or a user). */
export interface UsageLine {
  readonly key: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly calls: number;
}

/**
 * What command handling needs from the running daemon, including who may see and change the
 * config (`ConfigAccessSource`).
 */
export interface CommandContext extends ConfigAccessSource {
  /** Posts a notice in the command's thread, from the handling entity. */
  reply(decision: CommandDecision, markdown: string): Promise<void>;
  entities(roomId: string): readonly CommandEntityInfo[];
  /** Configured model names. */
  modelNames(): readonly string[];
  /** The thread's `!model` choice, if any. */
  threadModel(roomId: string, threadRoot: string): string | undefined;
  /** Sets (or, with undefined, clears) the thread's model choice. */
  setThreadModel(roomId: string, threadRoot: string, model: string | undefined): void;
  /** Token usage since `sinceMs`, grouped by agent, room or user. */
  usage(by: 'responder' | 'room' | 'user', sinceMs: number): readonly UsageLine[];
  now(): number;
  /** The config at `path` (all of it for ''), as Markdown, secrets redacted. */
  showConfig(path: string): Promise<string>;
  /** Posts a confirmation card for the change; resolves with a refusal text when it cannot. */
  offerConfigChange(
    decision: CommandDecision,
    path: string,
    value: string | undefined,
  ): Promise<string | undefined>;
}

export type CommandDecision = Extract<Decision, { kind: 'command' }> & { readonly roomId: string };

/** One `!` command. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(decision: CommandDecision, context: CommandContext): Promise<void>;
}

/**
 * Routes `!name args` to its command; unknown names get a one-line hint. Commands never
 * reach a model.
 */
export class CommandRouter {
  private readonly byName: ReadonlyMap<string, Command>;

  constructor(
    commands: readonly Command[],
    private readonly context: CommandContext,
  ) {
    this.byName = new Map(commands.map((command) => [command.name, command]));
  }

  get names(): readonly string[] {
    return [...this.byName.keys()];
  }

  command(name: string): Command | undefined {
    return this.byName.get(name);
  }

  async handle(decision: CommandDecision): Promise<void> {
    const command = this.byName.get(decision.name);
    if (command === undefined) {
      await this.context.reply(
        decision,
        `Unknown command \`!${decision.name}\`. Try \`!help\` for the list of commands.`,
      );
      return;
    }
    await command.run(decision, this.context);
  }
}
