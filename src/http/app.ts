import { Hono } from 'hono';
import type { HealthSource } from '../shared/index.js';
import { mountOpenAiApi, type OpenAiApiOptions } from './openai-api.js';

/** Options of {@link createHttpApp}. */
export interface HttpAppOptions {
  /** Serves the OpenAI-compatible API under `/v1` when given. */
  readonly openAi?: OpenAiApiOptions;
}

/**
 * The HTTP API: `GET /api/health` (liveness: the process answers), `GET /api/ready` (200 once
 * every entity completed its first sync, else 503, with per-entity state), `GET /metrics`
 * (Prometheus text) and, with `options.openAi`, the OpenAI-compatible API under `/v1`. Tests
 * call `app.request(path)` without a socket.
 */
export function createHttpApp(source: HealthSource, options: HttpAppOptions = {}): Hono {
  const app = new Hono();
  app.get('/api/health', (c) => c.json({ status: 'ok' }));
  app.get('/api/ready', (c) => {
    const report = source.readiness();
    return c.json(report, report.ready ? 200 : 503);
  });
  app.get('/metrics', (c) =>
    c.body(source.metricsText(), 200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    }),
  );
  if (options.openAi !== undefined) mountOpenAiApi(app, options.openAi);
  app.notFound((c) => c.json({ error: 'not found' }, 404));
  return app;
}
