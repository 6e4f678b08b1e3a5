import { describe, expect, it } from 'vitest';
import { environmentSecrets } from './env-secrets.js';

describe('environmentSecrets', () => {
  it('takes credentials, secret-named variables, declared ones and NAME_FILE contents', () => {
    const files: Record<string, string> = { '/run/secrets/anthropic': 'file-secret-value\n' };
    const values = environmentSecrets(
      {
        MATRIX_REGISTRATION_SHARED_SECRET: 'shared-secret-value',
        OPENAI_API_KEY: 'sk-short',
        ANTHROPIC_API_KEY_FILE: '/run/secrets/anthropic',
        GITHUB_TOKEN: 'ghp-token-value',
        DB_DSN: 'postgres://u:p@h/db',
        USE_TOKEN_AUTH: 'true',
        MAX_TOKENS: '4096',
        SHORT_KEY: 'abc',
        HOME: '/home/quorum',
        LOG_LEVEL: 'debug',
        MISSING_SECRET_FILE: '/nope',
      },
      ['DB_DSN'],
      (path) => {
        const content = files[path];
        if (content === undefined) throw new Error('ENOENT');
        return content;
      },
    );
    expect(values.sort()).toEqual(
      [
        'file-secret-value',
        'ghp-token-value',
        'postgres://u:p@h/db',
        'shared-secret-value',
        'sk-short',
      ].sort(),
    );
  });
});
