import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { routeSdkLogging } from './sdk-logging.js';
import type { SdkLogging } from './sdk-logging.js';

interface SdkLoggerSink {
  trace(module: string, ...parts: unknown[]): void;
  debug(module: string, ...parts: unknown[]): void;
  info(module: string, ...parts: unknown[]): void;
  warn(module: string, ...parts: unknown[]): void;
  error(module: string, ...parts: unknown[]): void;
}

function fakeLogService(): { sdk: SdkLogging; sink: () => SdkLoggerSink; level: () => unknown } {
  let sink: SdkLoggerSink | undefined;
  let level: unknown;
  const sdk = {
    LogService: {
      setLogger: (logger: SdkLoggerSink) => {
        sink = logger;
      },
      setLevel: (value: unknown) => {
        level = value;
      },
    },
    LogLevel: { DEBUG: 'DEBUG', WARN: 'WARN' },
  } as unknown as SdkLogging;
  return { sdk, sink: () => sink!, level: () => level };
}

describe('routeSdkLogging', () => {
  it('keeps warnings and errors and turns chatty levels into debug', () => {
    const fake = fakeLogService();
    const logger = new RecordingLogger();
    routeSdkLogging(fake.sdk, logger);
    fake.sink().warn('MatrixClientLite', 'Left room without receiving an event');
    fake.sink().error('CryptoClient', new Error('decryption failed'));
    fake.sink().info('MatrixClientLite', 'End-to-end encryption enabled');
    expect(logger.lines.map((line) => [line.level, line.fields['module']])).toEqual([
      ['warn', 'MatrixClientLite'],
      ['error', 'CryptoClient'],
      ['debug', 'MatrixClientLite'],
    ]);
    expect(logger.lines[1]?.fields['detail']).toBe('Error: decryption failed');
  });

  it('demotes the HTTP layer error lines, which the caller maps and logs once', () => {
    const fake = fakeLogService();
    const logger = new RecordingLogger();
    routeSdkLogging(fake.sdk, logger);
    fake.sink().error('MatrixHttpClient', '(REQ-1)', { errcode: 'M_NOT_FOUND' });
    expect(logger.lines.map((line) => line.level)).toEqual(['debug']);
  });

  it('redacts access tokens from the detail', () => {
    const fake = fakeLogService();
    const logger = new RecordingLogger();
    routeSdkLogging(fake.sdk, logger);
    fake.sink().warn('x', 'GET /sync?access_token=syt_' + 'abcdefghijklmnop_123');
    expect(String(logger.lines[0]?.fields['detail'])).not.toContain('syt_abcdefghijklmnop');
  });

  it('asks the SDK for debug lines only when the logger writes them', () => {
    const quiet = fakeLogService();
    routeSdkLogging(quiet.sdk, new RecordingLogger({}, [], 'info'));
    expect(quiet.level()).toBe('WARN');
    const verbose = fakeLogService();
    routeSdkLogging(verbose.sdk, new RecordingLogger());
    expect(verbose.level()).toBe('DEBUG');
  });
});
