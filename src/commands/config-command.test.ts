import { describe, expect, it } from 'vitest';
import type { ConfigAccessSource, ConfigAuthorityRules } from '../config/index.js';
import { decideConfigEdit } from '../config/index.js';
import type { CommandContext, CommandDecision } from './command-handler.js';
import { configCommand } from './config-command.js';
import { usageCommand } from './usage-command.js';

const LOBBY = '!lobby:example.org';

function decision(requester: string, name: string, args: string): CommandDecision {
  return {
    kind: 'command',
    name,
    args,
    handler: 'router',
    sourceEventId: '$src',
    requester,
    threadRoot: '$src',
    roomId: LOBBY,
  };
}

interface Recorded {
  readonly replies: string[];
  readonly offered: { path: string; value: string | undefined }[];
  readonly shown: string[];
}

function context(rules: ConfigAuthorityRules): { context: CommandContext; recorded: Recorded } {
  const recorded: Recorded = { replies: [], offered: [], shown: [] };
  const base: Omit<CommandContext, keyof ConfigAccessSource> = {
    reply: (_decision, markdown) => {
      recorded.replies.push(markdown);
      return Promise.resolve();
    },
    entities: () => [],
    modelNames: () => [],
    threadModel: () => undefined,
    setThreadModel: () => undefined,
    usage: () => [{ key: '@alice:example.org', inputTokens: 3, outputTokens: 4, calls: 1 }],
    now: () => 1_000_000_000,
    showConfig: (path) => {
      recorded.shown.push(path);
      return Promise.resolve(`config at ${path}`);
    },
    offerConfigChange: (_decision, path, value) => {
      recorded.offered.push({ path, value });
      return Promise.resolve(undefined);
    },
  };
  const access: ConfigAccessSource = {
    configAuthority: () => rules,
    decideConfigEdit: (userId, roomId, path) =>
      Promise.resolve(
        decideConfigEdit(rules, {
          userId,
          roomId,
          path,
          isRoomAdmin: false,
          roomIdOf: () => LOBBY,
        }),
      ),
  };
  return { context: { ...base, ...access }, recorded };
}

const ENABLED: ConfigAuthorityRules = {
  isCommandEnabled: true,
  admins: new Set(['@alice:example.org']),
};

describe('!config', () => {
  it('is refused while disabled, to admins too, without showing or offering anything', async () => {
    const { context: ctx, recorded } = context({ ...ENABLED, isCommandEnabled: false });
    await configCommand.run(decision('@alice:example.org', 'config', 'show'), ctx);
    await configCommand.run(
      decision('@alice:example.org', 'config', 'set agents.calc.model fast'),
      ctx,
    );
    expect(recorded.shown).toEqual([]);
    expect(recorded.offered).toEqual([]);
    expect(recorded.replies.every((reply) => reply.includes('config_command_enabled'))).toBe(true);
  });

  it('shows and offers changes to admins only', async () => {
    const { context: ctx, recorded } = context(ENABLED);
    await configCommand.run(decision('@bob:example.org', 'config', 'show agents'), ctx);
    await configCommand.run(
      decision('@bob:example.org', 'config', 'set agents.calc.model fast'),
      ctx,
    );
    expect(recorded.shown).toEqual([]);
    expect(recorded.offered).toEqual([]);
    await configCommand.run(decision('@alice:example.org', 'config', 'show agents'), ctx);
    await configCommand.run(
      decision('@alice:example.org', 'config', 'set agents.calc.model fast'),
      ctx,
    );
    expect(recorded.shown).toEqual(['agents']);
    expect(recorded.offered).toEqual([{ path: 'agents.calc.model', value: 'fast' }]);
  });

  it('refuses a protected setting before anything is offered', async () => {
    const { context: ctx, recorded } = context(ENABLED);
    await configCommand.run(
      decision('@alice:example.org', 'config', 'set authorization.global_users ["@m:x"]'),
      ctx,
    );
    expect(recorded.offered).toEqual([]);
    expect(recorded.replies[0]).toContain('can only be changed in config.yaml');
  });
});

describe('!usage', () => {
  it('answers config admins only, even while !config is off', async () => {
    const { context: ctx, recorded } = context({ ...ENABLED, isCommandEnabled: false });
    await usageCommand.run(decision('@bob:example.org', 'usage', ''), ctx);
    expect(recorded.replies).toEqual([
      'Only config admins may see token usage (`quorum.config_admins`).',
    ]);
    await usageCommand.run(decision('@alice:example.org', 'usage', '7'), ctx);
    expect(recorded.replies[1]).toContain('Token usage, last 7 days');
  });
});
