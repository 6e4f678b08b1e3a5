import type { StoredMemory } from '../storage/index.js';
import type { Command } from './command-handler.js';

/**
 * What `!memory` needs (the memory service implements the first three; the integrator
 * supplies `isPrivateRoom`, e.g. from the direct-rooms store).
 */
export interface MemoryCommandBackend {
  aboutPerson(userId: string, limit: number): { memories: StoredMemory[]; total: number };
  forgetForPerson(userId: string, memoryId: string): boolean;
  forgetAllAboutPerson(userId: string): number;
  /** True when only the person and Quorum's entities are in the room (a DM): memories may be shown there. */
  isPrivateRoom(roomId: string, userId: string): Promise<boolean>;
}

const LIST_LIMIT = 30;
const TEXT_CHARS = 300;

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]+/g;

function clean(text: string): string {
  const flat = text.replace(CONTROL_CHARS, ' ').replace(/\s+/g, ' ').trim();
  const clipped = flat.length > TEXT_CHARS ? `${flat.slice(0, TEXT_CHARS - 1)}…` : flat;
  // Inline code keeps a memory's Markdown (links, mentions) from rendering.
  return `\`${clipped.replace(/`/g, "'")}\``;
}

function ownerName(owner: string): string {
  return owner.startsWith('team:') ? `team ${owner.slice('team:'.length)}` : owner;
}

/**
 * `!memory [list] | forget <id> | forget all [confirm]`: what agents remember about the
 * person who sends it, and forgetting it. Listing shows memory texts only in a private room
 * (a DM); elsewhere it gives counts per agent, so nobody else in the room reads them.
 * Forgetting works anywhere and only ever touches the sender's own memories.
 */
export function createMemoryCommand(backend: MemoryCommandBackend): Command {
  return {
    name: 'memory',
    summary:
      'What agents remember about you (`list`), and forgetting it (`forget <id>`, `forget all`)',
    usage: '!memory [list | forget <id> | forget all]',
    run: async (decision, context) => {
      const words = decision.args
        .trim()
        .split(/\s+/)
        .filter((word) => word !== '');
      const [verb = 'list', target, confirm] = words;
      const user = decision.requester;
      if (verb === 'list') {
        const { memories, total } = backend.aboutPerson(user, LIST_LIMIT);
        if (total === 0) {
          await context.reply(decision, 'No agent remembers anything about you.');
          return;
        }
        if (!(await backend.isPrivateRoom(decision.roomId, user))) {
          const counts = new Map<string, number>();
          for (const memory of backend.aboutPerson(user, 10_000).memories) {
            counts.set(memory.owner, (counts.get(memory.owner) ?? 0) + 1);
          }
          const summary = [...counts.entries()]
            .map(([owner, count]) => `${ownerName(owner)}: ${count}`)
            .join(', ');
          await context.reply(
            decision,
            `Agents remember ${total} thing${total === 1 ? '' : 's'} about you (${summary}). Send \`!memory\` in a direct message with an agent to see them, or \`!memory forget all\` to erase them.`,
          );
          return;
        }
        const lines = memories.map(
          (memory) =>
            `- \`${memory.id}\` (${ownerName(memory.owner)}, ${new Date(memory.updatedAt).toISOString().slice(0, 10)}): ${clean(memory.text)}`,
        );
        const more = total > memories.length ? `\n…and ${total - memories.length} more.` : '';
        await context.reply(
          decision,
          `**What agents remember about you** (${total})\n${lines.join('\n')}${more}\n\nForget one with \`!memory forget <id>\`, all with \`!memory forget all\`.`,
        );
        return;
      }
      if (verb === 'forget' && target === 'all') {
        const { total } = backend.aboutPerson(user, 1);
        if (total === 0) {
          await context.reply(decision, 'No agent remembers anything about you.');
          return;
        }
        if (confirm !== 'confirm') {
          await context.reply(
            decision,
            `This erases all ${total} memor${total === 1 ? 'y' : 'ies'} agents keep about you. Send \`!memory forget all confirm\` to do it.`,
          );
          return;
        }
        const removed = backend.forgetAllAboutPerson(user);
        await context.reply(
          decision,
          `Forgotten: ${removed} memor${removed === 1 ? 'y' : 'ies'} about you.`,
        );
        return;
      }
      if (verb === 'forget' && target !== undefined) {
        const isRemoved = backend.forgetForPerson(user, target);
        await context.reply(
          decision,
          isRemoved
            ? `Forgotten: memory \`${target.replace(/`/g, '')}\`.`
            : `No memory \`${target.slice(0, 40).replace(/`/g, '')}\` about you. \`!memory\` lists them.`,
        );
        return;
      }
      await context.reply(
        decision,
        'Usage: `!memory` (list), `!memory forget <id>`, `!memory forget all`.',
      );
    },
  };
}
