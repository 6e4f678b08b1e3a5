/**
 * Fakes for unit tests of the turn runners, dispatch and interactions: a recording outbox, a
 * responders view, a fleet directory over plain profiles, and journal helpers on a real
 * `:memory:` store.
 */
import type {
  AgentProfile,
  FleetDirectory,
  PeerProfile,
  ReplyOutbox,
  ResponderHandle,
  Responders,
} from '../../src/agents/index.js';
import type { MediaReader, OutgoingText, TypingIndicator } from '../../src/matrix/index.js';
import { asEventId, type EventId } from '../../src/shared/index.js';
import type { QuorumStore } from '../../src/storage/index.js';

/** One outbox operation. */
export interface OutboxOp {
  readonly op: 'send' | 'edit' | 'react' | 'redact';
  readonly roomId: string;
  readonly txnId: string;
  readonly body?: string;
  readonly target?: string;
  readonly key?: string;
  readonly message?: OutgoingText;
}

/** An outbox that records every operation and answers with `$out<n>` event ids. */
export class RecordingOutbox implements ReplyOutbox {
  readonly ops: OutboxOp[] = [];
  private count = 0;

  /** The final text of the reply to `replyId` (its latest edit, else the message). */
  latestText(replyId: string): string | undefined {
    const edits = this.ops.filter((op) => op.op === 'edit' && op.target === replyId);
    return (edits.at(-1) ?? this.ops.find((op) => op.op === 'send' && op.txnId !== ''))?.body;
  }

  /** Bodies of new messages, in order. */
  get sentBodies(): string[] {
    return this.ops.filter((op) => op.op === 'send').map((op) => op.body ?? '');
  }

  sendText(roomId: string, message: OutgoingText, txnId: string): Promise<EventId> {
    this.ops.push({ op: 'send', roomId, txnId, body: message.body, message });
    return Promise.resolve(this.next());
  }

  editText(
    roomId: string,
    target: string,
    message: OutgoingText,
    txnId: string,
  ): Promise<EventId | undefined> {
    this.ops.push({ op: 'edit', roomId, txnId, target, body: message.body, message });
    return Promise.resolve(this.next());
  }

  react(roomId: string, target: string, key: string, txnId: string): Promise<EventId> {
    this.ops.push({ op: 'react', roomId, txnId, target, key });
    return Promise.resolve(this.next());
  }

  redact(roomId: string, eventId: string, txnId: string): Promise<EventId> {
    this.ops.push({ op: 'redact', roomId, txnId, target: eventId });
    return Promise.resolve(this.next());
  }

  private next(): EventId {
    this.count += 1;
    return asEventId(`$out${this.count}`);
  }
}

const NO_TYPING: TypingIndicator = { setTyping: () => Promise.resolve() };
const NO_MEDIA: MediaReader = {
  downloadMedia: () => Promise.reject(new Error('no media in this test')),
};

/** Responders backed by one recording outbox each; `stop(name)` makes one unavailable. */
export class FakeResponders implements Responders {
  readonly outboxes = new Map<string, RecordingOutbox>();
  private readonly stopped = new Set<string>();

  constructor(names: readonly string[]) {
    for (const name of names) this.outboxes.set(name, new RecordingOutbox());
  }

  outbox(name: string): RecordingOutbox {
    const outbox = this.outboxes.get(name);
    if (outbox === undefined) throw new Error(`no outbox for ${name}`);
    return outbox;
  }

  stop(name: string): void {
    this.stopped.add(name);
  }

  get(name: string): ResponderHandle | undefined {
    const outbox = this.outboxes.get(name);
    if (outbox === undefined || this.stopped.has(name)) return undefined;
    return { outbox, typing: NO_TYPING, media: NO_MEDIA };
  }
}

/** A profile with test defaults (non-streaming, no tools, 10 history messages, UTC). */
export function profile(name: string, overrides: Partial<AgentProfile> = {}): AgentProfile {
  return {
    name,
    displayName: name.charAt(0).toUpperCase() + name.slice(1),
    userId: `@${name}:hs`,
    role: `The ${name} agent.`,
    instructions: [],
    isStreaming: false,
    useMarkdown: true,
    showStopButton: false,
    historyMessages: 10,
    tools: [],
    skills: [],
    timezone: 'UTC',
    ...overrides,
  };
}

/** A fleet directory over `profiles` (all of them in every room); teams are listed by name. */
export function directoryOf(
  profiles: readonly AgentProfile[],
  teams: readonly string[] = [],
): FleetDirectory {
  const byName = new Map(profiles.map((entry) => [entry.name, entry]));
  return {
    profile: (name) => byName.get(name),
    peersIn: (_roomId, except) =>
      profiles
        .filter((entry) => entry.name !== except)
        .map((entry): PeerProfile => ({
          name: entry.name,
          displayName: entry.displayName,
          userId: entry.userId,
          role: entry.role,
        })),
    isTeam: (name) => teams.includes(name),
    nameOf: (userId) =>
      profiles.find((entry) => entry.userId === userId)?.displayName ??
      userId.slice(1, userId.indexOf(':')),
    userIdOf: (name) => byName.get(name)?.userId ?? `@${name}:hs`,
    mentionsIn: (text, except) =>
      profiles
        .filter((entry) => entry.name !== except && text.includes(`@${entry.name}`))
        .map((entry) => entry.userId),
    threadModeOf: () => 'thread',
  };
}

export const ROOM = '!room:hs';

/** Admits a text message into the journal (a thread reply when `threadRoot` is given). */
export function admitMessage(
  store: QuorumStore,
  message: {
    readonly eventId: string;
    readonly sender: string;
    readonly body: string;
    readonly threadRoot?: string;
    readonly originTs?: number;
  },
): void {
  const content: Record<string, unknown> = { msgtype: 'm.text', body: message.body };
  if (message.threadRoot !== undefined) {
    content['m.relates_to'] = {
      rel_type: 'm.thread',
      event_id: message.threadRoot,
      is_falling_back: true,
      'm.in_reply_to': { event_id: message.threadRoot },
    };
  }
  store.journal.admit('test', undefined, [
    {
      roomId: ROOM,
      event: {
        event_id: message.eventId,
        sender: message.sender,
        type: 'm.room.message',
        origin_server_ts: message.originTs ?? Date.now(),
        content,
      },
      threadRoot: message.threadRoot,
      relatesTo: message.threadRoot,
      relType: message.threadRoot === undefined ? undefined : 'm.thread',
      isHistory: false,
    },
  ]);
}
