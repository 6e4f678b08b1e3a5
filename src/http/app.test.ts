import { describe, expect, it } from 'vitest';
import { EncryptionHealthBoard } from '../matrix/index.js';
import { createHttpApp } from './app.js';
import type { HealthSource, ReadinessReport } from '../shared/index.js';

function source(report: ReadinessReport): HealthSource {
  return { readiness: () => report, metricsText: () => 'quorum_x_total 1\n' };
}

const entity = {
  name: 'calc',
  kind: 'agent' as const,
  user_id: '@quorum_calc:hs',
  state: 'syncing' as const,
  started_at: '2026-01-01T00:00:00.000Z',
  last_sync_at: '2026-01-01T00:00:01.000Z',
  restarts: 0,
  last_error: null,
  sync_mode: 'standby' as const,
};

describe('http app', () => {
  it('answers liveness', async () => {
    const res = await createHttpApp(
      source({ ready: false, config_generation: 1, entities: [] }),
    ).request('/api/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('reports 503 until ready, then 200, with every entity', async () => {
    const notReady = await createHttpApp(
      source({ ready: false, config_generation: 1, entities: [{ ...entity, state: 'starting' }] }),
    ).request('/api/ready');
    expect(notReady.status).toBe(503);
    const ready = await createHttpApp(
      source({ ready: true, config_generation: 2, entities: [entity] }),
    ).request('/api/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, config_generation: 2, entities: [entity] });
  });

  it('serves metrics as Prometheus text', async () => {
    const res = await createHttpApp(
      source({ ready: true, config_generation: 1, entities: [] }),
    ).request('/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toBe('quorum_x_total 1\n');
  });

  it("shows each bot's encryption: its device, and rooms it refused to post into", async () => {
    const board = new EncryptionHealthBoard(() => Date.parse('2026-01-01T00:00:02.000Z'));
    board.update('@quorum_calc:hs', { state: 'ready', device_id: 'DEV', device_key: 'KEY' });
    board.refused('@quorum_calc:hs', '!secret:hs', 'encryption_failed: keys query failed');
    const res = await createHttpApp(
      source({
        ready: true,
        config_generation: 1,
        entities: [entity, { ...entity, name: 'new', user_id: null }],
      }),
      board,
    ).request('/api/ready');
    const body = (await res.json()) as { entities: { encryption: unknown }[] };
    expect(body.entities[0]?.encryption).toMatchObject({
      state: 'ready',
      device_id: 'DEV',
      refused_rooms: [
        {
          room_id: '!secret:hs',
          reason: 'encryption_failed: keys query failed',
          at: '2026-01-01T00:00:02.000Z',
        },
      ],
    });
    expect(body.entities[1]?.encryption).toBeNull();
  });
});
