import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAiAuthFor, readOpenAiAuth } from './openai-compat.js';

describe('OpenAI-compatible API settings from the environment', () => {
  it('reads the keys and the unauthenticated flag', () => {
    expect(
      readOpenAiAuth({
        OPENAI_COMPAT_API_KEYS: 'sk-a-12345678, sk-b-12345678',
        OPENAI_COMPAT_ALLOW_UNAUTHENTICATED: 'true',
      }),
    ).toEqual({ apiKeys: ['sk-a-12345678', 'sk-b-12345678'], allowUnauthenticated: true });
    expect(readOpenAiAuth({})).toEqual({ apiKeys: [], allowUnauthenticated: false });
  });

  it('reads the keys from a file (container secrets)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quorum-keys-'));
    try {
      const file = join(dir, 'keys');
      writeFileSync(file, 'sk-file-12345678\n');
      expect(readOpenAiAuth({ OPENAI_COMPAT_API_KEYS_FILE: file }).apiKeys).toEqual([
        'sk-file-12345678',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a non-loopback host without keys, even with unauthenticated access allowed', () => {
    expect(openAiAuthFor({}, '127.0.0.1')).toMatchObject({ ok: true });
    const open = openAiAuthFor({ OPENAI_COMPAT_ALLOW_UNAUTHENTICATED: 'true' }, '0.0.0.0');
    expect(open.ok).toBe(false);
    expect(open.ok ? '' : open.problem).toContain('OPENAI_COMPAT_API_KEYS');
    expect(openAiAuthFor({}, '0.0.0.0').ok).toBe(false);
    expect(openAiAuthFor({ OPENAI_COMPAT_API_KEYS: 'sk-a-12345678' }, '0.0.0.0')).toMatchObject({
      ok: true,
    });
  });
});
