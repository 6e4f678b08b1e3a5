import { readFile } from 'node:fs/promises';
import type { CommandContext } from '../commands/index.js';
import { showConfigPath, type ConfigEnv } from '../config/index.js';
import { asEventId, asRoomId, type Clock } from '../shared/index.js';
import type { QuorumStore } from '../storage/index.js';
import type { EntityBot } from './entity-bot.js';
import type { Fleet } from './fleet.js';
import type { InteractionService } from './interaction-service.js';
import type { ModelCatalog } from './model-provider.js';
import type { RoomRegistry } from './room-registry.js';
import { txnPrefixFor } from './txn-ids.js';

export interface CommandContextDeps {
  readonly bot: (name: string) => EntityBot | undefined;
  readonly catalog: () => ModelCatalog;
  readonly fleet: () => Fleet;
  readonly store: QuorumStore;
  readonly registry: RoomRegistry;
  readonly clock: Clock;
  readonly configFile: { readonly path: string; readonly env: ConfigEnv } | undefined;
  readonly interactions: InteractionService;
  readonly mayEditConfig: (userId: string, roomId: string, path: string) => Promise<boolean>;
}

/** What `!` commands may read and do: reply as the handling entity, models, usage, the config. */
export function createCommandContext(deps: CommandContextDeps): CommandContext {
  return {
    reply: async (decision, markdown) => {
      const bot = deps.bot(decision.handler);
      if (bot === undefined) return;
      await bot.outbox.sendText(
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
    threadModel: (roomId, threadRoot) => deps.store.threadSettings.get(roomId, threadRoot, 'model'),
    setThreadModel: (roomId, threadRoot, model) => {
      if (model === undefined) deps.store.threadSettings.delete(roomId, threadRoot, 'model');
      else deps.store.threadSettings.set(roomId, threadRoot, 'model', model);
    },
    usage: (by, sinceMs) =>
      deps.store.usage.totals(
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
    mayEditConfig: (userId, roomId, path) => deps.mayEditConfig(userId, roomId, path),
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
    entities: (roomId) => {
      const fleet = deps.fleet();
      const joined = deps.registry.joinedEntities(roomId);
      return fleet.specs.flatMap((spec) =>
        spec.kind === 'router'
          ? []
          : [
              {
                name: spec.name,
                kind: spec.kind,
                displayName: spec.displayName,
                role: spec.role,
                model: spec.model.name,
                isInRoom: joined.has(spec.name),
              },
            ],
      );
    },
  };
}
