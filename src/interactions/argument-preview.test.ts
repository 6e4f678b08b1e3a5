import { describe, expect, it } from 'vitest';
import {
  isSecretKey,
  previewArguments,
  REDACTED_ARGUMENT,
  redactArguments,
  redactSecretText,
} from './argument-preview.js';

describe('isSecretKey', () => {
  it('recognises secret key names in any case style', () => {
    for (const key of [
      'api_key',
      'apiKey',
      'API_KEY',
      'token',
      'auth_token',
      'X-Auth-Token',
      'password',
      'db_password',
      'client_secret',
      'Authorization',
      'private_key',
      'cookie',
    ]) {
      expect(isSecretKey(key)).toBe(true);
    }
  });

  it('leaves ordinary names alone', () => {
    for (const key of ['max_tokens', 'command', 'path', 'keyword', 'author', 'tokens_used']) {
      expect(isSecretKey(key)).toBe(false);
    }
  });
});

describe('redactArguments', () => {
  it('redacts values under secret keys, at any depth, and secret-looking text anywhere', () => {
    expect(
      redactArguments({
        url: 'https://api.example.org/v1',
        headers: { Authorization: 'Bearer abc.def.ghi', Accept: 'json' },
        api_key: 'whatever',
        note: 'use sk-abcdefghijklmnopqrstuvwxyz now',
        github: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
        db: 'postgres://admin:hunter2@db.example.org/app',
        list: [{ password: 'p' }],
        empty_token: '',
      }),
    ).toEqual({
      url: 'https://api.example.org/v1',
      headers: { Authorization: REDACTED_ARGUMENT, Accept: 'json' },
      api_key: REDACTED_ARGUMENT,
      note: `use ${REDACTED_ARGUMENT} now`,
      github: REDACTED_ARGUMENT,
      db: `postgres://admin:${REDACTED_ARGUMENT}@db.example.org/app`,
      list: [{ password: REDACTED_ARGUMENT }],
      empty_token: '',
    });
  });

  it('does not change the input', () => {
    const args = { token: 'secret' };
    redactArguments(args);
    expect(args).toEqual({ token: 'secret' });
  });

  it('redacts bearer tokens in free text', () => {
    expect(redactSecretText('curl -H "Authorization: Bearer abcdefghijk"')).toBe(
      `curl -H "Authorization: Bearer ${REDACTED_ARGUMENT}"`,
    );
  });
});

describe('previewArguments', () => {
  it('shows small arguments whole, as pretty JSON', () => {
    expect(previewArguments({ command: 'ls -la', token: 't' })).toEqual({
      text: `{\n  "command": "ls -la",\n  "token": "${REDACTED_ARGUMENT}"\n}`,
      isTruncated: false,
    });
  });

  it('shortens long values to fit and says so', () => {
    const preview = previewArguments({ path: 'notes.md', content: 'x'.repeat(5_000) }, 400);
    expect(preview.isTruncated).toBe(true);
    expect(preview.text.length).toBeLessThanOrEqual(400);
    expect(preview.text).toContain('"path": "notes.md"');
    expect(preview.text).toMatch(/more characters\)/);
  });

  it('cuts a preview that is still too long', () => {
    const many = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`key${i}`, 'v'.repeat(40)]),
    );
    const preview = previewArguments(many, 300);
    expect(preview.isTruncated).toBe(true);
    expect(preview.text.length).toBeLessThanOrEqual(300);
    expect(preview.text.endsWith('… (cut)')).toBe(true);
  });
});
