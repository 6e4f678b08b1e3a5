import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { silentLogger } from '../shared/index.js';
import { GrantRoomMembership } from './grant-room-membership.js';

const TEAM = '#team:hs';
const TEAM_ID = '!team:hs';

function setup(
  fetch: (roomId: string) => Promise<readonly string[] | undefined>,
  refs: readonly string[] = [TEAM],
) {
  const clock = new FakeClock();
  const fetched: string[] = [];
  const grants = new GrantRoomMembership({
    refs: () => refs,
    roomIdOf: (ref) => (ref === TEAM ? TEAM_ID : undefined),
    fetchMembers: (roomId) => {
      fetched.push(roomId);
      return fetch(roomId);
    },
    now: () => clock.now(),
    log: silentLogger,
    fetchTimeoutMs: 50,
    retryAfterMs: 1_000,
  });
  return { grants, fetched, clock };
}

describe('GrantRoomMembership', () => {
  it('learns a grant room once, then follows joins and leaves', async () => {
    const { grants, fetched } = setup(() => Promise.resolve(['@carol:hs']));
    expect(grants.snapshot().get(TEAM)).toBeUndefined();
    expect([...((await grants.members()).get(TEAM) ?? [])]).toEqual(['@carol:hs']);
    grants.onMembership(TEAM_ID, '@dave:hs', 'join');
    grants.onMembership(TEAM_ID, '@carol:hs', 'leave');
    grants.onMembership('!other:hs', '@erin:hs', 'join');
    expect([...((await grants.members()).get(TEAM) ?? [])]).toEqual(['@dave:hs']);
    grants.onMembership(TEAM_ID, '@dave:hs', 'invite');
    expect(grants.snapshot().get(TEAM)?.size).toBe(0);
    expect(fetched).toEqual([TEAM_ID]);
  });

  it('applies membership events that arrive during the lookup on top of its answer', async () => {
    let answer: (members: readonly string[]) => void = () => undefined;
    const { grants } = setup(
      () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
    );
    const members = grants.members();
    grants.onMembership(TEAM_ID, '@carol:hs', 'ban');
    grants.onMembership(TEAM_ID, '@dave:hs', 'join');
    answer(['@carol:hs']);
    expect([...((await members).get(TEAM) ?? [])]).toEqual(['@dave:hs']);
  });

  it('fails closed when the members cannot be read, and tries again later', async () => {
    let isDown = true;
    const { grants, fetched, clock } = setup(() =>
      isDown ? Promise.reject(new Error('M_FORBIDDEN')) : Promise.resolve(['@carol:hs']),
    );
    expect((await grants.members()).has(TEAM)).toBe(false);
    isDown = false;
    expect((await grants.members()).has(TEAM)).toBe(false);
    expect(fetched).toHaveLength(1);
    await clock.advance(1_000);
    expect((await grants.members()).get(TEAM)?.has('@carol:hs')).toBe(true);
  });

  it('gives up on a lookup that does not answer in time', async () => {
    const { grants } = setup(() => new Promise(() => undefined));
    expect((await grants.members()).has(TEAM)).toBe(false);
  });

  it('shares one lookup between concurrent callers and ignores unknown room keys', async () => {
    const { grants, fetched } = setup(() => Promise.resolve(['@carol:hs']), [TEAM, '#gone:hs']);
    await Promise.all([grants.members(), grants.members(), grants.members()]);
    expect(fetched).toEqual([TEAM_ID]);
    expect([...(await grants.members()).keys()]).toEqual([TEAM]);
  });
});
