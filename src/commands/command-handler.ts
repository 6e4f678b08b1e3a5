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

/** What command handling needs from the running daemon. */
export interface CommandContext {
  /** Posts a notice in the command's thread, from the handling entity. */
  reply(decision: CommandDecision, markdown: string): Promise<void>;
  entities(roomId: string): readonly CommandEntityInfo[];
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
