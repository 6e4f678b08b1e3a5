import { describe, expect, it } from 'vitest';
import { isSecretField } from './secret-env.js';

describe('isSecretField', () => {
  it('knows MCP env and headers, API keys and the MCP server token as secret fields', () => {
    expect(isSecretField(['mcp_servers', 'github', 'headers', 'Authorization'])).toBe(true);
    expect(isSecretField(['mcp_servers', 'files', 'env', 'GITHUB_TOKEN'])).toBe(true);
    expect(isSecretField(['models', 'default', 'api_key'])).toBe(true);
    expect(isSecretField(['quorum', 'mcp_server', 'token'])).toBe(true);
  });

  it('treats fields that reach prompts or rooms as not meant for secrets', () => {
    expect(isSecretField(['agents', 'calc', 'role'])).toBe(false);
    expect(isSecretField(['agents', 'calc', 'instructions', 0])).toBe(false);
    expect(isSecretField(['mcp_servers', 'github', 'description'])).toBe(false);
  });
});
