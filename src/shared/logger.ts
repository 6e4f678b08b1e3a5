import { DaemonError } from './errors.js';
import type { TextScrubber } from './secret-scrubber.js';

/**
 * Structured logging. Messages are stable phrases; variable data goes in fields.
 * Secrets are redacted by key name (`access_token`, `password`, `api_key`, ...) and by
 * value shape (Matrix access tokens, provider API keys, `"password": "…"` inside JSON text),
 * wherever they appear in fields; and, with a {@link TextScrubber}, every known secret value
 * is removed from the whole line, message included.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
  /** True when `level` lines are written; use it to skip building expensive fields. */
  isEnabled(level: LogLevel): boolean;
}

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const SECRET_KEY =
  /(^|_)(access_?token|password|passwd|secret|api_?key|authorization|registration_shared_secret|token)$/i;
const SECRET_VALUES: readonly RegExp[] = [
  /syt_[A-Za-z0-9_-]{8,}/g, // Synapse access tokens
  /sk-[A-Za-z0-9_-]{12,}/g, // OpenAI-style keys
  /sk-ant-[A-Za-z0-9_-]{12,}/g, // Anthropic keys
  /(access_token=)[^&\s"]+/g,
  /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g,
  // A secret-named field inside JSON text (an error body quoted in a message).
  /("(?:access_token|refresh_token|password|passwd|secret|token|api_key|registration_shared_secret|new_password)"\s*:\s*")(?:[^"\\]|\\.)*(?=")/gi,
  // `password=…` / `token: …` in a URL query or a message.
  /((?:^|[\s?&;,{])(?:[\w-]*[_-])?(?:password|passwd|token|secret|api_key)\s*[=:]\s*["']?)[^\s&;,"']{4,}/gi,
];

/** Replaces secret-looking substrings of `text`. */
export function redactText(text: string): string {
  let out = text;
  for (const pattern of SECRET_VALUES) {
    out = out.replace(pattern, (match, prefix: unknown) =>
      typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}[redacted]` : '[redacted]',
    );
  }
  return out;
}

/** Deep copy of `value` with secrets redacted and errors turned into plain objects. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) return serializeError(value, depth);
  if (Array.isArray(value)) return value.slice(0, 50).map((item) => redactValue(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] =
        SECRET_KEY.test(key) && inner !== undefined ? '[redacted]' : redactValue(inner, depth + 1);
    }
    return out;
  }
  return value;
}

function serializeError(error: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: redactText(error.message) };
  if (error instanceof DaemonError) {
    out['code'] = error.code;
    out['kind'] = error.kind;
  }
  if (error.cause !== undefined && depth < 4) out['cause'] = redactValue(error.cause, depth + 1);
  if (error.stack !== undefined)
    out['stack'] = redactText(error.stack.split('\n').slice(0, 8).join('\n'));
  return out;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** `json` writes one JSON object per line; `pretty` writes readable lines for development. */
  readonly format: 'json' | 'pretty';
  /** Where lines go; defaults to process.stderr. */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
  /** Removes known secret values from each finished line (see `SecretScrubber`). */
  readonly scrubber?: TextScrubber;
}

export function parseLogLevel(value: string | undefined, fallback: LogLevel = 'info'): LogLevel {
  const lowered = value?.toLowerCase();
  return lowered === 'debug' || lowered === 'info' || lowered === 'warn' || lowered === 'error'
    ? lowered
    : fallback;
}

type LineLoggerOptions = Required<Omit<LoggerOptions, 'scrubber'>> & {
  readonly scrubber: TextScrubber | undefined;
};

class LineLogger implements Logger {
  constructor(
    private readonly options: LineLoggerOptions,
    private readonly bound: LogFields,
  ) {}

  debug(message: string, fields?: LogFields): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.write('error', message, fields);
  }
  child(fields: LogFields): Logger {
    return new LineLogger(this.options, { ...this.bound, ...fields });
  }
  isEnabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= LEVEL_RANK[this.options.level];
  }

  private write(level: LogLevel, message: string, fields: LogFields | undefined): void {
    if (!this.isEnabled(level)) return;
    const data = redactValue({ ...this.bound, ...fields }) as Record<string, unknown>;
    const time = this.options.now().toISOString();
    let line: string;
    if (this.options.format === 'json') {
      line = JSON.stringify({ time, level, msg: redactText(message), ...data });
    } else {
      const extras = Object.entries(data)
        .map(
          ([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
        )
        .join(' ');
      line = `${time} ${level.toUpperCase().padEnd(5)} ${redactText(message)}${extras ? ' ' + extras : ''}`;
    }
    const scrubber = this.options.scrubber;
    this.options.write((scrubber === undefined ? line : scrubber.scrub(line)) + '\n');
  }
}

export function createLogger(options: LoggerOptions): Logger {
  return new LineLogger(
    {
      level: options.level,
      format: options.format,
      write:
        options.write ??
        ((line: string) => {
          process.stderr.write(line);
        }),
      now: options.now ?? (() => new Date()),
      scrubber: options.scrubber,
    },
    {},
  );
}

/** A logger that drops everything; for tests and tools that do not log. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
  isEnabled: () => false,
};
