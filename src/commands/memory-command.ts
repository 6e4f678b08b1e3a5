import { teamMembersOf } from '../memory/index.js';
import type { StoredMemory } from '../storage/index.js';
import type { Command, CommandDecision } from './command-handler.js';

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
  const members = teamMembersOf(owner);
  return members === undefined ? owner : `team ${members.join('+')}`;
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
      const answer =
        verb === 'list'
          ? await listAnswer(backend, decision)
          : verb === 'forget' && target === 'all'
            ? forgetAllAnswer(backend, decision.requester, confirm === 'confirm')
            : verb === 'forget' && target !== undefined
              ? forgetOneAnswer(backend, decision.requester, target)
              : 'Usage: `!memory` (list), `!memory forget <id>`, `!memory forget all`.';
      await context.reply(decision, answer);
    },
  };
}

/** `!memory`: the memories themselves in a DM; elsewhere only counts per agent. */
async function listAnswer(
  backend: MemoryCommandBackend,
  decision: CommandDecision,
): Promise<string> {
  const user = decision.requester;
  const { memories, total } = backend.aboutPerson(user, LIST_LIMIT);
  if (total === 0) return 'No agent remembers anything about you.';
  if (!(await backend.isPrivateRoom(decision.roomId, user))) {
    const counts = new Map<string, number>();
    for (const memory of backend.aboutPerson(user, 10_000).memories) {
      counts.set(memory.owner, (counts.get(memory.owner) ?? 0) + 1);
    }
    const summary = [...counts.entries()]
      .map(([owner, count]) => `${ownerName(owner)}: ${count}`)
      .join(', ');
    return `Agents remember ${total} thing${total === 1 ? '' : 's'} about you (${summary}). Send \`!memory\` in a direct message with an agent to see them, or \`!memory forget all\` to erase them.`;
  }
  const lines = memories.map(
    (memory) =>
      `- \`${memory.id}\` (${ownerName(memory.owner)}, ${new Date(memory.updatedAt).toISOString().slice(0, 10)}): ${clean(memory.text)}`,
  );
  const more = total > memories.length ? `\n…and ${total - memories.length} more.` : '';
  return `**What agents remember about you** (${total})\n${lines.join('\n')}${more}\n\nForget one with \`!memory forget <id>\`, all with \`!memory forget all\`.`;
}

/** `!memory forget all [confirm]`: asks first, then erases everything about the person. */
function forgetAllAnswer(
  backend: MemoryCommandBackend,
  user: string,
  isConfirmed: boolean,
): string {
  const { total } = backend.aboutPerson(user, 1);
  if (total === 0) return 'No agent remembers anything about you.';
  if (!isConfirmed) {
    return `This erases all ${total} memor${total === 1 ? 'y' : 'ies'} agents keep about you. Send \`!memory forget all confirm\` to do it.`;
  }
  const removed = backend.forgetAllAboutPerson(user);
  return `Forgotten: ${removed} memor${removed === 1 ? 'y' : 'ies'} about you.`;
}

/** `!memory forget <id>`: one memory about the person (never someone else's). */
function forgetOneAnswer(backend: MemoryCommandBackend, user: string, target: string): string {
  return backend.forgetForPerson(user, target)
    ? `Forgotten: memory \`${target.replace(/`/g, '')}\`.`
    : `No memory \`${target.slice(0, 40).replace(/`/g, '')}\` about you. \`!memory\` lists them.`;
}
