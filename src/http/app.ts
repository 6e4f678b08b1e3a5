import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Context, Next } from 'hono';
import type { EncryptionStatusSource } from '../matrix/index.js';
import {
  redactText,
  scrubDeep,
  type HealthSource,
  type ReadinessReport,
  type TextScrubber,
} from '../shared/index.js';
import { mountOpenAiApi, type OpenAiApiOptions } from './openai-api.js';

/** Options of {@link createHttpApp}. */
export interface HttpAppOptions {
  /**
   * When set, `/api/ready` and `/metrics` answer only requests with
   * `Authorization: Bearer <token>` (compared in constant time); others get 401.
   * `/api/health` stays open (container health checks carry no token).
   */
  readonly bearerToken?: string | undefined;
  /** Removes known secret values from every response body (see `SecretScrubber`). */
  readonly scrubber?: TextScrubber | undefined;
  /** Serves the OpenAI-compatible API under `/v1` when given (its own keys guard it). */
  readonly openAi?: OpenAiApiOptions;
  /**
   * Each bot's end-to-end encryption status, added to every entity of `/api/ready`
   * (`encryption`, `null` for a bot no client reported yet): its device, whether it can
   * encrypt, and the encrypted rooms where it refused to post because it could not.
   */
  readonly encryption?: EncryptionStatusSource;
}

/**
 * The HTTP API: `GET /api/health` (liveness: the process answers), `GET /api/ready` (200 once
 * every entity completed its first sync, else 503, with per-entity state) and `GET /metrics`
 * (Prometheus text), and with `options.openAi` the OpenAI-compatible API under `/v1`.
 * Readiness and metrics may need a bearer token; their bodies pass the
 * secret scrubber and the logger's shape-based redaction (an entity's `last_error` may quote a
 * homeserver's answer). Tests call `app.request(path)` without a socket.
 */
export function createHttpApp(source: HealthSource, options: HttpAppOptions = {}): Hono {
  const app = new Hono();
  const clean = (text: string): string => {
    const redacted = redactText(text);
    return options.scrubber === undefined ? redacted : options.scrubber.scrub(redacted);
  };
  // Shapes are redacted in each string before serialising (JSON escaping would hide them).
  const shapes: TextScrubber = { scrub: redactText };
  const guard = bearerGuard(options.bearerToken);
  app.get('/api/health', (c) => c.json({ status: 'ok' }));
  app.get('/api/ready', guard, (c) => {
    const report = withEncryption(source.readiness(), options.encryption);
    const body = clean(JSON.stringify(scrubDeep(report, shapes)));
    return c.body(body, report.ready ? 200 : 503, {
      'content-type': 'application/json; charset=utf-8',
    });
  });
  app.get('/metrics', guard, (c) =>
    c.body(clean(source.metricsText()), 200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    }),
  );
  if (options.openAi !== undefined) mountOpenAiApi(app, options.openAi);
  app.notFound((c) => c.json({ error: 'not found' }, 404));
  return app;
}

/** Middleware that lets a request through only with the right bearer token (if one is set). */
function bearerGuard(
  token: string | undefined,
): (c: Context, next: Next) => Promise<Response | undefined> {
  const expected = token === undefined || token === '' ? undefined : digest(token);
  return async (c, next) => {
    if (expected !== undefined) {
      const header = c.req.header('authorization') ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      // Digests have equal lengths, so the comparison takes the same time for any guess.
      if (match?.[1] === undefined || !timingSafeEqual(digest(match[1]), expected)) {
        return c.json({ error: 'unauthorized' }, 401, { 'www-authenticate': 'Bearer' });
      }
    }
    await next();
    return undefined;
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
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
