import { describe, expect, it } from 'vitest';
import { parseArgv } from './argv.js';
import { mcpBaseEnv, mcpServerSettings, shellBaseEnv } from './mcp-env.js';

const EXPOSURE = {
  enabled: false,
  host: '127.0.0.1',
  port: 8766,
  path: '/mcp',
  token: null,
  agents: null,
  max_concurrent_calls: 4,
  call_timeout_seconds: 600,
};

describe('MCP environment', () => {
  it('passes only the basics to MCP servers and shell commands, never secrets', () => {
    const env = {
      PATH: '/bin',
      HOME: '/home/q',
      LANG: 'de_DE.UTF-8',
      OPENAI_API_KEY: 'sk-secret',
      MATRIX_REGISTRATION_SHARED_SECRET: 'shh',
      BASH_FUNC_x: '() { evil; }',
      TZ: '() { evil; }',
    };
    expect(mcpBaseEnv(env)).toEqual({ PATH: '/bin', HOME: '/home/q', LANG: 'de_DE.UTF-8' });
    expect(shellBaseEnv(env)).toEqual({ PATH: '/bin', LANG: 'de_DE.UTF-8' });
    expect(shellBaseEnv({})).toEqual({ PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' });
  });

  it('turns the MCP server on with --mcp and takes the token from the environment', () => {
    expect(mcpServerSettings(EXPOSURE, false, undefined)).toEqual({ ok: true, settings: EXPOSURE });
    expect(mcpServerSettings(EXPOSURE, true, 'x'.repeat(20))).toEqual({
      ok: true,
      settings: { ...EXPOSURE, enabled: true, token: 'x'.repeat(20) },
    });
    expect(mcpServerSettings(EXPOSURE, true, 'short')).toMatchObject({ ok: false });
  });

  it('parses --mcp as a switch', () => {
    expect(parseArgv(['run', '--mcp', '--api-port', '1'])).toMatchObject({
      ok: true,
      command: { kind: 'run', mcp: true, apiPort: 1 },
    });
    expect(parseArgv(['run'])).toMatchObject({ ok: true, command: { mcp: false } });
    expect(parseArgv(['--mcp=yes'])).toEqual({ ok: false, error: '--mcp takes no value' });
  });
});
