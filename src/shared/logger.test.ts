import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DaemonError } from './errors.js';
import { createLogger, redactText } from './logger.js';
import { SecretScrubber } from './secret-scrubber.js';

function capture(scrubber?: SecretScrubber): {
  lines: string[];
  log: ReturnType<typeof createLogger>;
} {
  const lines: string[] = [];
  const log = createLogger({
    level: 'debug',
    format: 'json',
    write: (line) => lines.push(line),
    now: () => new Date(0),
    ...(scrubber === undefined ? {} : { scrubber }),
  });
  return { lines, log };
}

describe('logger redaction', () => {
  it('removes known secret values from the message, fields, errors and causes', () => {
    const canary = `CANARY-${randomBytes(8).toString('hex')}`;
    const scrubber = new SecretScrubber();
    scrubber.setSecrets('env', [canary]);
    const { lines, log } = capture(scrubber);
    log.child({ bound: `x${canary}` }).error(`failed with ${canary}`, {
      error: new DaemonError('forbidden', 'upstream', `token ${canary} refused`, {
        cause: new Error(JSON.stringify({ shared: canary })),
      }),
      nested: { deep: [{ value: canary }] },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(canary);
    expect(lines[0]).toContain('[redacted]');
  });

  it('redacts the same in pretty lines', () => {
    const scrubber = new SecretScrubber();
    scrubber.setSecrets('env', ['pretty-secret-value']);
    const lines: string[] = [];
    const log = createLogger({
      level: 'info',
      format: 'pretty',
      write: (line) => lines.push(line),
      scrubber,
    });
    log.info('x pretty-secret-value', { field: 'pretty-secret-value' });
    expect(lines.join('')).not.toContain('pretty-secret-value');
  });

  it('redacts secret-shaped text without a scrubber: tokens without syt_, JSON bodies, queries', () => {
    expect(redactText('{"errcode":"M_X","access_token":"abcDEF123456","user":"u"}')).toBe(
      '{"errcode":"M_X","access_token":"[redacted]","user":"u"}',
    );
    expect(redactText('{"password": "hun\\"ter2x"}')).toBe('{"password": "[redacted]"}');
    expect(redactText('GET /x?user=a&password=hunter22&y=1')).toBe(
      'GET /x?user=a&password=[redacted]&y=1',
    );
    expect(redactText('registration_shared_secret: "topsecretvalue"')).not.toContain(
      'topsecretvalue',
    );
    expect(redactText('max_tokens: 1000')).toBe('max_tokens: 1000');
  });

  it('stays linear on hostile text', () => {
    const hostile =
      '"password":"'.repeat(20_000) + ' a'.repeat(50_000) + ` ${'a_'.repeat(50_000)}token`;
    const start = performance.now();
    redactText(hostile);
    expect(performance.now() - start).toBeLessThan(2_000);
  });
});
