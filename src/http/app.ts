import { Hono } from 'hono';
import type { EncryptionStatusSource } from '../matrix/index.js';
import type { HealthSource, ReadinessReport } from '../shared/index.js';

/**
 * The HTTP API: `GET /api/health` (liveness: the process answers), `GET /api/ready` (200 once
 * every entity completed its first sync, else 503, with per-entity state) and `GET /metrics`
 * (Prometheus text). Tests call `app.request(path)` without a socket.
 *
 * With `encryption`, each entity of `/api/ready` also carries its end-to-end encryption
 * status (`encryption`, `null` for a bot no client reported yet): its device, whether it can
 * encrypt, and the encrypted rooms where it refused to post because it could not.
 */
export function createHttpApp(source: HealthSource, encryption?: EncryptionStatusSource): Hono {
  const app = new Hono();
  app.get('/api/health', (c) => c.json({ status: 'ok' }));
  app.get('/api/ready', (c) => {
    const report = withEncryption(source.readiness(), encryption);
    return c.json(report, report.ready ? 200 : 503);
  });
  app.get('/metrics', (c) =>
    c.body(source.metricsText(), 200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    }),
  );
  app.notFound((c) => c.json({ error: 'not found' }, 404));
  return app;
}

function withEncryption(
  report: ReadinessReport,
  encryption: EncryptionStatusSource | undefined,
): ReadinessReport {
  if (encryption === undefined) return report;
  return {
    ...report,
    entities: report.entities.map((entity) => ({
      ...entity,
      encryption: entity.user_id === null ? null : (encryption.statusOf(entity.user_id) ?? null),
    })),
  };
}
