import { describe, expect, it } from 'vitest';
import { parseEnvLines } from './synapse-script.js';

describe('parseEnvLines', () => {
  it('reads the KEY=value lines of the env file and ignores the rest', () => {
    const text = [
      'synapse.sh: already running',
      'MATRIX_HOMESERVER=http://127.0.0.1:18008',
      'MATRIX_SERVER_NAME=localhost',
      'MATRIX_REGISTRATION_SHARED_SECRET=ab=cd',
      '',
    ].join('\n');
    expect(parseEnvLines(text)).toEqual({
      MATRIX_HOMESERVER: 'http://127.0.0.1:18008',
      MATRIX_SERVER_NAME: 'localhost',
      MATRIX_REGISTRATION_SHARED_SECRET: 'ab=cd',
    });
  });
});
