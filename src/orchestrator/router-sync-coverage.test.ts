import { describe, expect, it } from 'vitest';
import { RoomRegistry } from './room-registry.js';
import { RouterSyncCoverage } from './router-sync-coverage.js';
import type { SupervisedState } from './supervisor.js';

function setup() {
  const registry = new RoomRegistry();
  let routerState: SupervisedState | undefined = 'starting';
  const refreshed: string[] = [];
  const bots = ['router', 'calc', 'scribe'].map((name) => ({
    name,
    refreshSync: () => {
      refreshed.push(name);
    },
  }));
  const coverage = new RouterSyncCoverage({
    routerName: 'router',
    routerState: () => routerState,
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
    setRouterState(state: SupervisedState | undefined) {
      routerState = state;
      coverage.update();
    },
  };
}

describe('RouterSyncCoverage', () => {
  it('covers nothing until the router is syncing', () => {
    const { poll } = setup();
    expect(poll().calc).toEqual({ excludeRooms: [], isFullyCovered: false });
  });

  it('excludes the router’s rooms, and lets a bot in none but those stand by', () => {
    const { coverage, poll, setRouterState } = setup();
    setRouterState('syncing');
    const { calc, scribe } = poll();
    expect(calc).toEqual({ excludeRooms: ['!lobby:hs', '!dev:hs'], isFullyCovered: true });
    // scribe has a DM the router is not in: it keeps long-polling (for the DM only).
    expect(scribe).toEqual({ excludeRooms: ['!lobby:hs', '!dev:hs'], isFullyCovered: false });
    expect(coverage.coverageFor('router')).toEqual({ excludeRooms: [], isFullyCovered: false });
  });

  it('refreshes the bots whose pending request used coverage that no longer holds', () => {
    const { registry, refreshed, poll, setRouterState } = setup();
    poll();
    setRouterState('syncing');
    // Both pending requests were made without coverage: both re-ask with it.
    expect(refreshed).toEqual(['calc', 'scribe']);

    poll();
    refreshed.length = 0;
    // calc accepts a DM: it must follow that room itself from now on, at once.
    registry.setJoined('calc', '!dm2:hs', true);
    expect(refreshed).toEqual(['calc']);

    poll();
    refreshed.length = 0;
    // The router goes down: every bot follows all its rooms again.
    setRouterState('backoff');
    expect(refreshed).toEqual(['calc', 'scribe']);
    expect(poll().calc).toEqual({ excludeRooms: [], isFullyCovered: false });
  });

  it('refreshes the others when the router leaves a room', () => {
    const { registry, refreshed, poll, setRouterState } = setup();
    setRouterState('syncing');
    poll();
    registry.setJoined('router', '!dev:hs', false);
    expect(refreshed).toEqual(['calc', 'scribe']);
    expect(poll().calc.excludeRooms).toEqual(['!lobby:hs']);
  });

  it('refreshes nobody when nothing a pending request relies on changed', () => {
    const { registry, refreshed, poll, setRouterState } = setup();
    setRouterState('syncing');
    poll();
    registry.setJoined('calc', '!lobby:hs', true);
    registry.setRoomsOf('router', ['!dev:hs', '!lobby:hs']);
    setRouterState('syncing');
    expect(refreshed).toEqual([]);
  });

  it('reports how each bot’s latest request went out', () => {
    const { coverage, poll, setRouterState } = setup();
    expect(coverage.syncModeOf('calc')).toBeNull();
    setRouterState('syncing');
    poll();
    coverage.coverageFor('router');
    expect(coverage.syncModeOf('calc')).toBe('standby');
    expect(coverage.syncModeOf('scribe')).toBe('long_poll');
    expect(coverage.syncModeOf('router')).toBe('long_poll');
  });

  it('refreshes nobody who has not asked yet', () => {
    const { refreshed, setRouterState } = setup();
    setRouterState('syncing');
    expect(refreshed).toEqual([]);
  });
});
