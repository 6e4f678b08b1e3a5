/**
 * Routes matrix-bot-sdk's process-wide `LogService` into our Logger (as hookshot's
 * BridgeApp.ts does), so nothing of the SDK reaches the console.
 */
import type * as BotSdk from 'matrix-bot-sdk';
import { redactText } from '../shared/index.js';
import type { Logger } from '../shared/index.js';

/** The part of the SDK this module touches. */
export type SdkLogging = Pick<typeof BotSdk, 'LogService' | 'LogLevel'>;

const MAX_DETAIL_CHARS = 2000;

/**
 * Replaces the SDK's console logger with one writing to `logger`: its `warn` and `error` stay
 * `warn` and `error`, its chatty `info`, `debug` and `trace` become `debug`. One exception: the
 * HTTP layer (`MatrixHttpClient`) logs every non-2xx answer at `error` before rejecting, but
 * each rejection is mapped by `toMatrixRequestError` and logged (once) by whoever handles it,
 * and many are expected (an unknown alias, a taken username), so those lines go to `debug`.
 * Text is redacted of tokens. The SDK's TRACE level (which dumps request bodies) is never
 * enabled. Process-wide: the last call wins.
 */
export function routeSdkLogging(sdk: SdkLogging, logger: Logger): void {
  const log = logger.child({ component: 'matrix-bot-sdk' });
  const emit =
    (level: 'debug' | 'warn' | 'error') =>
    (module: string, ...parts: unknown[]): void => {
      const effective = level === 'error' && module === 'MatrixHttpClient' ? 'debug' : level;
      if (!log.isEnabled(effective)) return;
      const detail = formatParts(parts);
      const message =
        effective === 'error'
          ? 'matrix-bot-sdk error'
          : effective === 'warn'
            ? 'matrix-bot-sdk warning'
            : 'matrix-bot-sdk';
      log[effective](message, { module, detail });
    };
  sdk.LogService.setLogger({
    trace: emit('debug'),
    debug: emit('debug'),
    info: emit('debug'),
    warn: emit('warn'),
    error: emit('error'),
  });
  sdk.LogService.setLevel(logger.isEnabled('debug') ? sdk.LogLevel.DEBUG : sdk.LogLevel.WARN);
}

/** Joins the SDK's `...messageOrObject` arguments into one bounded, redacted line. */
export function formatParts(parts: readonly unknown[]): string {
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      if (part instanceof Error) return `${part.name}: ${part.message}`;
      if (part === undefined || typeof part === 'function') return String(part);
      try {
        return JSON.stringify(part);
      } catch {
        return '[unserialisable]';
      }
    })
    .join(' ');
  const bounded = text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text;
  return redactText(bounded);
}
