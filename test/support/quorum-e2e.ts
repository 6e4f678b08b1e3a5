/**
 * Building blocks shared by the daemon's e2e suites: a per-file fleet config (unique
 * localpart prefix and room alias so suites never see each other), and readers for what a
 * test user sees of Quorum's replies.
 */
import type { MatrixEvent } from './matrix-events.js';
import { latestContent, relationOf } from './matrix-events.js';
import type { HomeserverInfo } from './matrix-registration.js';

export interface FleetNames {
  readonly prefix: string;
  readonly room: string;
  readonly alias: string;
  userId(entity: string): string;
}

export function fleetNames(homeserver: HomeserverInfo, suffix: string): FleetNames {
  const prefix = `q${suffix}_`;
  const room = `lobby${suffix}`;
  return {
    prefix,
    room,
    alias: `#${room}:${homeserver.serverName}`,
    userId: (entity) => `@${prefix}${entity}:${homeserver.serverName}`,
  };
}

/** A config in MindRoom's format with the given agents block, one model, and `alice` as global user. */
export function fleetConfig(
  names: FleetNames,
  options: {
    agents: string;
    globalUsers: readonly string[];
    extra?: string;
    /** More `quorum:` settings, as YAML lines relative to the block. */
    quorum?: readonly string[];
    /** More models, as YAML lines relative to the `models:` block. */
    models?: readonly string[];
  },
): string {
  return `
models:
  default:
    provider: openai
    id: e2e-model
${(options.models ?? []).map((line) => `  ${line}\n`).join('')}agents:
${options.agents.replaceAll('ROOM', names.room)}
authorization:
  global_users: [${options.globalUsers.map((user) => JSON.stringify(user)).join(', ')}]
quorum:
  localpart_prefix: ${names.prefix}
${(options.quorum ?? []).map((line) => `  ${line}\n`).join('')}${options.extra ?? ''}
`;
}

/** The stream status of a reply's latest version. */
export function streamStatus(events: readonly MatrixEvent[], eventId: string): unknown {
  return latestContent(events, eventId)?.['io.quorum.stream_status'];
}

/** The latest body of an event (edits applied). */
export function latestBody(events: readonly MatrixEvent[], eventId: string): string | undefined {
  const body = latestContent(events, eventId)?.['body'];
  return typeof body === 'string' ? body : undefined;
}

/** Original messages (not edits) sent by `sender` in `roomId`. */
export function messagesFrom(
  events: readonly MatrixEvent[],
  roomId: string,
  sender: string,
): MatrixEvent[] {
  return events.filter(
    (event) =>
      event.room_id === roomId &&
      event.sender === sender &&
      event.type === 'm.room.message' &&
      relationOf(event)?.relType !== 'm.replace',
  );
}
