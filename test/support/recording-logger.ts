import type { LogFields, Logger, LogLevel } from '../../src/shared/index.js';

/** One line a {@link RecordingLogger} received, with its bound and call fields merged. */
export interface RecordedLine {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
}

/**
 * A Logger that keeps every line in memory for assertions. Children share the parent's
 * `lines`. All levels are enabled unless `minLevel` says otherwise.
 */
export class RecordingLogger implements Logger {
  readonly lines: RecordedLine[];

  constructor(
    private readonly bound: LogFields = {},
    lines?: RecordedLine[],
    private readonly minLevel: LogLevel = 'debug',
  ) {
    this.lines = lines ?? [];
  }

  debug(message: string, fields?: LogFields): void {
    this.record('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.record('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.record('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.record('error', message, fields);
  }
  child(fields: LogFields): Logger {
    return new RecordingLogger({ ...this.bound, ...fields }, this.lines, this.minLevel);
  }
  isEnabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.minLevel];
  }

  /** Lines at `level` (and, when given, whose message contains `text`). */
  at(level: LogLevel, text?: string): RecordedLine[] {
    return this.lines.filter(
      (line) => line.level === level && (text === undefined || line.message.includes(text)),
    );
  }

  private record(level: LogLevel, message: string, fields: LogFields | undefined): void {
    if (!this.isEnabled(level)) return;
    this.lines.push({ level, message, fields: { ...this.bound, ...fields } });
  }
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
