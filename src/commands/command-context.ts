import { readFile } from 'node:fs/promises';
import type { ModelCatalog, Responders } from '../agents/index.js';
import { showConfigPath, type ConfigAccessSource, type ConfigEnv } from '../config/index.js';
import type { InteractionService } from '../interactions/index.js';
import { txnPrefixFor } from '../outbox/index.js';
import { asEventId, asRoomId, type Clock } from '../shared/index.js';
import type { ThreadSettingsStore, UsageStore } from '../storage/index.js';
import type { CommandContext, CommandEntityInfo } from './command-handler.js';

export interface CommandContextDeps {
  readonly responders: Responders;
  readonly catalog: () => ModelCatalog;
  /** The agents and teams `!agents` lists, for a room. */
  readonly entities: (roomId: string) => readonly CommandEntityInfo[];
  readonly threadSettings: Pick<ThreadSettingsStore, 'get' | 'set' | 'delete'>;
  readonly usage: Pick<UsageStore, 'totals'>;
  readonly clock: Clock;
  readonly configFile: { readonly path: string; readonly env: ConfigEnv } | undefined;
  readonly interactions: Pick<InteractionService, 'offerConfigChange'>;
  readonly configAccess: ConfigAccessSource;
}

/** What `!` commands may read and do: reply as the handling entity, models, usage, the config. */
export function createCommandContext(deps: CommandContextDeps): CommandContext {
  return {
    reply: async (decision, markdown) => {
      const handle = deps.responders.get(decision.handler);
      if (handle === undefined) return;
      await handle.outbox.sendText(
        asRoomId(decision.roomId),
        {
          body: markdown,
          format: 'markdown',
          msgtype: 'm.notice',
          thread: {
            rootId: asEventId(decision.threadRoot),
            replyToId: asEventId(decision.sourceEventId),
          },
        },
        `${txnPrefixFor(`command:${decision.handler}`, decision.sourceEventId)}.reply`,
      );
    },
    modelNames: () => deps.catalog().names(),
    threadModel: (roomId, threadRoot) => deps.threadSettings.get(roomId, threadRoot, 'model'),
    setThreadModel: (roomId, threadRoot, model) => {
      if (model === undefined) deps.threadSettings.delete(roomId, threadRoot, 'model');
      else deps.threadSettings.set(roomId, threadRoot, 'model', model);
    },
    usage: (by, sinceMs) =>
      deps.usage.totals(
        by === 'room' ? 'room_id' : by === 'user' ? 'user_id' : 'responder',
        sinceMs,
      ),
    now: () => deps.clock.now(),
    showConfig: async (path) => {
      const file = deps.configFile;
      if (file === undefined) return 'This Quorum runs without a config file.';
      const shown = showConfigPath(await readFile(file.path, 'utf8'), path);
      if (!shown.ok) return shown.error;
      const yaml =
        shown.yaml.length > 3_500
          ? `${shown.yaml.slice(0, 3_500)}\n# … (cut; show a narrower path)`
          : shown.yaml;
      return `\`${path === '' ? 'config.yaml' : path}\`:\n\`\`\`yaml\n${yaml}\n\`\`\``;
    },
    configAuthority: () => deps.configAccess.configAuthority(),
    decideConfigEdit: (userId, roomId, path) =>
      deps.configAccess.decideConfigEdit(userId, roomId, path),
    offerConfigChange: async (decision, path, value) => {
      const offer = await deps.interactions.offerConfigChange(
        { path, value, reason: undefined },
        {
          roomId: decision.roomId,
          threadRoot: decision.threadRoot,
          requester: decision.requester,
          responder: decision.handler,
          sourceEventId: decision.sourceEventId,
        },
      );
      return offer.kind === 'refused' ? offer.message : undefined;
    },
    entities: (roomId) => deps.entities(roomId),
  };
}
