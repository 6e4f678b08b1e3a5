/**
 * Whose words reach a prompt: the same authorization the dispatcher applies to a message
 * applies to the thread history an agent, a team or the router reads. Quorum's own accounts
 * and the configured bot accounts are trusted; anyone else only when `maySenderTalkTo` the
 * responder (every member of a team) in that room.
 */
import { parseResponder, responderMembers, type HistoryTrust } from '../agents/index.js';
import { maySenderTalkTo, type GrantRoomMembers } from '../routing/index.js';
import type { FleetView } from './dispatch-ports.js';

export interface SenderTrustDeps {
  /** The current fleet (entities, teams, bot accounts, authorization). */
  readonly fleet: () => FleetView;
  /** Grant room members known now (see `GrantRooms.snapshot`); absent rooms grant nobody. */
  readonly grantRoomMembers: () => GrantRoomMembers;
  /** `quorum.include_untrusted_history`: keep untrusted messages, labelled, instead of dropping them. */
  readonly includeUntrusted: () => boolean;
}

/** Trust decisions for prompts, over the current config. */
export interface SenderTrust {
  /** Whether `userId`'s messages may reach the prompt of `responder` (a turn's responder key) in `roomId`. */
  isTrusted(roomId: string, responder: string, userId: string): boolean;
  /** The history rule of one turn, for `prepareTurn`. */
  forTurn(turn: { readonly roomId: string; readonly responder: string }): HistoryTrust;
}

/** {@link SenderTrust} over the live fleet view (a reload applies to the next turn at once). */
export function senderTrust(deps: SenderTrustDeps): SenderTrust {
  const isTrusted = (roomId: string, responder: string, userId: string): boolean => {
    const fleet = deps.fleet();
    if (fleet.entityOf(userId) !== undefined || fleet.botAccounts.has(userId)) return true;
    const grantRoomMembers = deps.grantRoomMembers();
    return responderMembers(parseResponder(responder)).every((name) =>
      maySenderTalkTo(fleet.authorization, userId, roomId, name, {
        teamMembers: fleet.teams.get(name) ?? [],
        grantRoomMembers,
      }),
    );
  };
  return {
    isTrusted,
    forTurn: (turn) => {
      // One verdict per sender and turn: a thread repeats its few senders many times.
      const verdicts = new Map<string, boolean>();
      return {
        isTrusted: (userId) => {
          let verdict = verdicts.get(userId);
          if (verdict === undefined) {
            verdict = isTrusted(turn.roomId, turn.responder, userId);
            verdicts.set(userId, verdict);
          }
          return verdict;
        },
        untrustedSenders: deps.includeUntrusted() ? 'label' : 'exclude',
      };
    },
  };
}
