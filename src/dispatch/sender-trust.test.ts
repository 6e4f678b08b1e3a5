import { describe, expect, it } from 'vitest';
import type { AuthorizationRules, GrantRoomMembers } from '../routing/index.js';
import type { FleetView } from './dispatch-ports.js';
import { senderTrust } from './sender-trust.js';

const ROOM = '!lobby:hs';
const authorization: AuthorizationRules = {
  globalUsers: new Set(['@alice:hs']),
  roomPermissions: new Map([[ROOM, new Set(['@alice:hs', '@bob:hs', '@carol:hs'])]]),
  defaultRoomAccess: false,
  allowFederation: false,
  serverName: 'hs',
  aliases: new Map([['@alice_tg:hs', '@alice:hs']]),
  replyPermissions: new Map([
    ['calc', { users: ['@alice:hs', '@bob:hs'], joinedRooms: ['#team:hs'] }],
    ['writer', { users: ['*'], joinedRooms: [] }],
  ]),
};
const fleet: FleetView = {
  entities: [],
  teams: new Map([['duo', ['calc', 'writer']]]),
  botAccounts: new Set(['@bridge:hs']),
  authorization,
  catchUpWindowMs: 60_000,
  entityOf: (userId) => (userId === '@quorum_calc:hs' ? 'calc' : undefined),
};

function trust(options: { grants?: GrantRoomMembers; includeUntrusted?: boolean } = {}) {
  return senderTrust({
    fleet: () => fleet,
    grantRoomMembers: () => options.grants ?? new Map(),
    includeUntrusted: () => options.includeUntrusted ?? false,
  });
}

describe('senderTrust', () => {
  it("trusts Quorum's accounts and bot accounts, and people as dispatch would answer them", () => {
    const { isTrusted } = trust();
    expect(isTrusted(ROOM, 'calc', '@quorum_calc:hs')).toBe(true);
    expect(isTrusted(ROOM, 'calc', '@bridge:hs')).toBe(true);
    expect(isTrusted(ROOM, 'calc', '@alice:hs')).toBe(true);
    expect(isTrusted(ROOM, 'calc', '@alice_tg:hs')).toBe(true);
    expect(isTrusted(ROOM, 'calc', '@bob:hs')).toBe(true);
    // In the room's list, but calc may not answer carol; writer may.
    expect(isTrusted(ROOM, 'calc', '@carol:hs')).toBe(false);
    expect(isTrusted(ROOM, 'writer', '@carol:hs')).toBe(true);
    // Not in the room's list at all.
    expect(isTrusted(ROOM, 'writer', '@mallory:hs')).toBe(false);
    expect(isTrusted('!elsewhere:hs', 'writer', '@bob:hs')).toBe(false);
  });

  it('needs every member of a team (configured or ad hoc) to be allowed', () => {
    const { isTrusted } = trust();
    expect(isTrusted(ROOM, 'duo', '@carol:hs')).toBe(false);
    expect(isTrusted(ROOM, 'adhoc:collaborate:router:calc+writer', '@carol:hs')).toBe(false);
    expect(isTrusted(ROOM, 'adhoc:collaborate:router:calc+writer', '@bob:hs')).toBe(true);
  });

  it('admits grant room members only while their membership is known', () => {
    expect(trust().isTrusted(ROOM, 'calc', '@carol:hs')).toBe(false);
    const grants = new Map([['#team:hs', new Set(['@carol:hs'])]]);
    expect(trust({ grants }).isTrusted(ROOM, 'calc', '@carol:hs')).toBe(true);
  });

  it('gives a turn its rule: exclude by default, label with include_untrusted_history', () => {
    const turn = { roomId: ROOM, responder: 'calc' };
    const excluding = trust().forTurn(turn);
    expect(excluding.untrustedSenders).toBe('exclude');
    expect(excluding.isTrusted('@carol:hs')).toBe(false);
    expect(excluding.isTrusted('@bob:hs')).toBe(true);
    expect(trust({ includeUntrusted: true }).forTurn(turn).untrustedSenders).toBe('label');
  });
});
