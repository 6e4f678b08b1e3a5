import { describe, expect, it } from 'vitest';
import { EncryptionHealthBoard } from '../matrix/index.js';
import { createHttpApp } from './app.js';
import { isLoopbackHost } from './loopback.js';
import { SecretScrubber, type HealthSource, type ReadinessReport } from '../shared/index.js';

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
      { encryption: board },
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

describe('http app: protection', () => {
  const token = 'api-token-0123456789';
  const ready = source({ ready: true, config_generation: 1, entities: [entity] });

  it('needs the bearer token on /api/ready and /metrics when one is set', async () => {
    const app = createHttpApp(ready, { bearerToken: token });
    for (const path of ['/api/ready', '/metrics']) {
      const missing = await app.request(path);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      const wrong = await app.request(path, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const longer = await app.request(path, { headers: { authorization: `Bearer ${token}x` } });
      expect(longer.status).toBe(401);
      const right = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
      expect(right.status).toBe(200);
    }
    expect((await app.request('/api/health')).status).toBe(200);
  });

  it('never shows a known secret or a token-shaped value in last_error or metrics', async () => {
    const canary = `CANARY-${Math.random().toString(36).slice(2)}-shared-secret`;
    const scrubber = new SecretScrubber();
    scrubber.setSecrets('env', [canary]);
    const leaky = source({
      ready: false,
      config_generation: 1,
      entities: [
        {
          ...entity,
          state: 'failed',
          last_error: `register failed: {"shared_secret":"${canary}","access_token":"opaque-token-123"}`,
        },
      ],
    });
    const app = createHttpApp(
      { ...leaky, metricsText: () => `quorum_errors_total{error="${canary}"} 1\n` },
      { scrubber },
    );
    const readyText = await (await app.request('/api/ready')).text();
    expect(readyText).not.toContain(canary);
    expect(readyText).not.toContain('opaque-token-123');
    expect(JSON.parse(readyText)).toMatchObject({ ready: false });
    expect(await (await app.request('/metrics')).text()).not.toContain(canary);
  });
});

describe('isLoopbackHost', () => {
  it('knows which binds stay on this machine', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      'localhost',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'example.org', '::ffff:10.0.0.1', '']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});
