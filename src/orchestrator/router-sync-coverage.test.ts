import { describe, expect, it } from 'vitest';
import { RoomRegistry } from './room-registry.js';
import { RouterSyncCoverage } from '../ingress/index.js';

function setup() {
  const registry = new RoomRegistry();
  let routerState = 'starting' as 'starting' | 'syncing' | 'backoff';
  let lastSyncAt = 0;
  let now = 1_000_000;
  const refreshed: string[] = [];
  const bots = ['router', 'calc', 'scribe'].map((name) => ({
    name,
    refreshSync: () => {
      refreshed.push(name);
    },
  }));
  const coverage = new RouterSyncCoverage({
    routerName: 'router',
    routerStatus: () => ({ state: routerState, lastSyncAt }),
    now: () => now,
    routerSilenceLimitMs: 35_000,
    roomsOf: (entity) => registry.roomsOf(entity),
    bots: () => bots,
  });
  registry.onMembershipChange(() => {
    coverage.update();
  });
  registry.setRoomsOf('router', ['!lobby:hs', '!dev:hs']);
  registry.setRoomsOf('calc', ['!lobby:hs']);
  registry.setRoomsOf('scribe', ['!lobby:hs', '!dm:hs']);
  /** Each bot's loop asks for its coverage, as before a request. */
  const poll = () => ({
    calc: coverage.coverageFor('calc'),
    scribe: coverage.coverageFor('scribe'),
  });
  return {
    registry,
    coverage,
    refreshed,
    poll,
    setRouterFollowing(following: boolean) {
      routerState = following ? 'syncing' : 'backoff';
      lastSyncAt = now;
      coverage.update();
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('RouterSyncCoverage', () => {
  it('covers nothing until the router’s sync is delivering', () => {
    const { poll } = setup();
    expect(poll().calc).toEqual({ excludeRooms: [], isFullyCovered: false });
  });

  it('excludes the router’s rooms, and lets a bot in none but those stand by', () => {
    const { coverage, poll, setRouterFollowing } = setup();
    setRouterFollowing(true);
    const { calc, scribe } = poll();
    expect(calc).toEqual({ excludeRooms: ['!lobby:hs', '!dev:hs'], isFullyCovered: true });
    // scribe has a DM the router is not in: it keeps long-polling (for the DM only).
    expect(scribe).toEqual({ excludeRooms: ['!lobby:hs', '!dev:hs'], isFullyCovered: false });
    expect(coverage.coverageFor('router')).toEqual({ excludeRooms: [], isFullyCovered: false });
  });

  it('refreshes the bots whose pending request used coverage that no longer holds', () => {
    const { registry, refreshed, poll, setRouterFollowing } = setup();
    poll();
    setRouterFollowing(true);
    // Both pending requests were made without coverage: both re-ask with it.
    expect(refreshed).toEqual(['calc', 'scribe']);

    poll();
    refreshed.length = 0;
    // calc accepts a DM: it must follow that room itself from now on, at once.
    registry.setJoined('calc', '!dm2:hs', true);
    expect(refreshed).toEqual(['calc']);

    poll();
    refreshed.length = 0;
    // The router goes down (or falls silent): every bot follows all its rooms again.
    setRouterFollowing(false);
    expect(refreshed).toEqual(['calc', 'scribe']);
    expect(poll().calc).toEqual({ excludeRooms: [], isFullyCovered: false });
  });

  it('stops relying on a router whose sync has fallen silent', () => {
    const { poll, setRouterFollowing, advance } = setup();
    setRouterFollowing(true);
    advance(35_000);
    expect(poll().calc.isFullyCovered).toBe(true);
    // Still `syncing`, but no response for longer than a long-poll: follow the rooms again.
    advance(1);
    expect(poll().calc).toEqual({ excludeRooms: [], isFullyCovered: false });
  });

  it('refreshes the others when the router leaves a room', () => {
    const { registry, refreshed, poll, setRouterFollowing } = setup();
    setRouterFollowing(true);
    poll();
    registry.setJoined('router', '!dev:hs', false);
    expect(refreshed).toEqual(['calc', 'scribe']);
    expect(poll().calc.excludeRooms).toEqual(['!lobby:hs']);
  });

  it('refreshes nobody when nothing a pending request relies on changed', () => {
    const { registry, refreshed, poll, setRouterFollowing } = setup();
    setRouterFollowing(true);
    poll();
    registry.setJoined('calc', '!lobby:hs', true);
    registry.setRoomsOf('router', ['!dev:hs', '!lobby:hs']);
    setRouterFollowing(true);
    expect(refreshed).toEqual([]);
  });

  it('reports how each bot’s latest request went out', () => {
    const { coverage, poll, setRouterFollowing } = setup();
    expect(coverage.syncModeOf('calc')).toBeNull();
    setRouterFollowing(true);
    poll();
    coverage.coverageFor('router');
    expect(coverage.syncModeOf('calc')).toBe('standby');
    expect(coverage.syncModeOf('scribe')).toBe('long_poll');
    expect(coverage.syncModeOf('router')).toBe('long_poll');
  });

  it('refreshes nobody who has not asked yet', () => {
    const { refreshed, setRouterFollowing } = setup();
    setRouterFollowing(true);
    expect(refreshed).toEqual([]);
  });
});
