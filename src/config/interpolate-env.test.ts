import { describe, expect, it } from 'vitest';
import type { ParseConfigOptions } from './parse-config.js';
import { parseConfig } from './parse-config.js';

function model(extra: string): string {
  return `models:\n  default:\n    provider: openai\n    id: gpt-test\n${extra}`;
}

function parse(text: string, options: Partial<ParseConfigOptions> = {}) {
  return parseConfig(text, { env: {}, ...options });
}

describe('environment interpolation', () => {
  it('replaces ${NAME} with the variable', () => {
    const result = parse(model('    base_url: ${LLM_URL}/v1\n'), {
      env: { LLM_URL: 'http://llm.local' },
    });
    expect(result.ok && result.config.models['default']?.base_url).toBe('http://llm.local/v1');
  });

  it('reads NAME_FILE when NAME is unset, relative to the config file, trimmed', () => {
    const reads: string[] = [];
    const result = parse(model('    api_key: ${OPENAI_API_KEY}\n'), {
      env: { OPENAI_API_KEY_FILE: 'secrets/openai' },
      filePath: '/etc/quorum/config.yaml',
      readSecretFile: (path) => {
        reads.push(path);
        return 'key-from-file\n';
      },
    });
    expect(reads).toEqual(['/etc/quorum/secrets/openai']);
    expect(result.ok && result.config.models['default']?.api_key).toBe('key-from-file');
  });

  it('prefers NAME over NAME_FILE, and treats an empty NAME as unset', () => {
    const options = (env: Record<string, string>) => ({ env, readSecretFile: () => 'from-file' });
    const direct = parse(
      model('    api_key: ${KEY}\n'),
      options({ KEY: 'direct', KEY_FILE: '/x' }),
    );
    const empty = parse(model('    api_key: ${KEY}\n'), options({ KEY: '', KEY_FILE: '/x' }));
    expect(direct.ok && direct.config.models['default']?.api_key).toBe('direct');
    expect(empty.ok && empty.config.models['default']?.api_key).toBe('from-file');
  });

  it('uses the fallback of ${NAME:-fallback} when nothing is set', () => {
    const result = parse(model('    base_url: ${LLM_URL:-http://localhost:8080/v1}\n'));
    expect(result.ok && result.config.models['default']?.base_url).toBe('http://localhost:8080/v1');
  });

  it('writes a literal ${ for $${', () => {
    const result = parse(
      `${model('')}agents:\n  a:\n    display_name: A\n    instructions: Print $\${HOME} verbatim.\n`,
    );
    expect(result.ok && result.config.agents['a']?.instructions).toEqual([
      'Print ${HOME} verbatim.',
    ]);
  });

  it('reports an unset variable at the value that references it', () => {
    const result = parse(model('    api_key: ${MISSING_KEY}\n'));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues).toEqual([
      {
        path: 'models.default.api_key',
        message: 'environment variable MISSING_KEY is not set (nor MISSING_KEY_FILE)',
        line: 5,
        column: 14,
      },
    ]);
  });

  it('reports an unreadable NAME_FILE with its path', () => {
    const result = parse(model('    api_key: ${KEY}\n'), {
      env: { KEY_FILE: '/run/secrets/key' },
      readSecretFile: () => {
        throw new Error('EACCES: permission denied');
      },
    });
    expect(!result.ok && result.issues[0]?.message).toBe(
      'cannot read KEY_FILE (/run/secrets/key): EACCES: permission denied',
    );
  });

  it('rejects malformed references', () => {
    const bad = parse(model('    base_url: ${not-a-name}\n'));
    const open = parse(model('    base_url: http://${HOST\n'));
    expect(!bad.ok && bad.issues[0]?.message).toMatch(/not a valid environment reference/);
    expect(!open.ok && open.issues[0]?.message).toMatch(/unterminated/);
  });
});

describe('literal secrets', () => {
  it('rejects a value shaped like an API key, wherever it is', () => {
    const result = parse(
      `${model('')}agents:\n  a:\n    display_name: A\n    instructions: [use sk-` +
        'abcdefghijklmnopqrstuvwx]\n',
    );
    expect(!result.ok && result.issues).toEqual([
      expect.objectContaining({
        path: 'agents.a.instructions[0]',
        message: expect.stringContaining('literal API key') as unknown,
      }),
    ]);
  });

  it('rejects a literal under a secret-named key, but accepts a reference', () => {
    const literal = parse(model('    api_key: hunter2\n'));
    const mcpLiteral = parse(
      `${model('')}mcp_servers:\n  gh:\n    transport: stdio\n    command: gh-mcp\n    env: {GITHUB_TOKEN: abc123, LOG_LEVEL: debug}\n`,
    );
    const reference = parse(
      `${model('')}mcp_servers:\n  web:\n    transport: sse\n    url: http://localhost:9000/sse\n    headers: {Authorization: 'Bearer \${WEB_TOKEN}'}\n`,
      { env: { WEB_TOKEN: 'tok' } },
    );
    expect(!literal.ok && literal.issues.map((issue) => issue.path)).toEqual([
      'models.default.api_key',
    ]);
    expect(!mcpLiteral.ok && mcpLiteral.issues.map((issue) => issue.path)).toEqual([
      'mcp_servers.gh.env.GITHUB_TOKEN',
    ]);
    expect(reference.ok && reference.config.mcp_servers['web']?.headers).toEqual({
      Authorization: 'Bearer tok',
    });
  });

  it('does not flag a secret that arrives through the environment', () => {
    const result = parse(model('    api_key: ${OPENAI_API_KEY}\n'), {
      env: { OPENAI_API_KEY: 'sk-' + 'abcdefghijklmnopqrstuvwxyz0123' },
    });
    expect(result.ok).toBe(true);
  });
});

describe('secret variables', () => {
  const canary = `CANARY-${Math.random().toString(36).slice(2)}-value`;
  const agent = (field: string, value: string): string =>
    `${model('')}agents:\n  calc:\n    display_name: Calc\n    ${field}: ${value}\n`;

  it.each([
    ['a credential Quorum reads', 'MATRIX_REGISTRATION_SHARED_SECRET'],
    ['a provider key variable', 'OPENAI_API_KEY'],
    ['a name with TOKEN', 'SOME_TOKEN'],
    ['a name with PASSWORD', 'db_password'],
    ['a name with KEY', 'SIGNING_KEY'],
  ])('refuses %s in a field not meant for secrets, naming its line', (_what, name) => {
    const text = agent('role', `"Knows \${${name}}"`);
    const result = parse(text, { env: { [name]: canary } });
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'agents.calc.role',
        line: 8,
        message: expect.stringContaining(`\${${name}} would put a secret (${name})`) as unknown,
      }),
    ]);
    expect(JSON.stringify(result)).not.toContain(canary);
  });

  it('refuses a secret variable even when it is unset (the name decides)', () => {
    const result = parse(agent('role', '${OPENAI_API_KEY:-none}'));
    expect(!result.ok && result.issues[0]?.message).toContain('would put a secret');
  });

  it('refuses variables the operator lists in quorum.secret_env', () => {
    const text = `${agent('role', '${DB_DSN}')}quorum:\n  secret_env: [DB_DSN]\n`;
    const result = parse(text, { env: { DB_DSN: canary } });
    expect(!result.ok && result.issues[0]?.path).toBe('agents.calc.role');
    expect(parse(agent('role', '${DB_DSN}'), { env: { DB_DSN: 'fine' } }).ok).toBe(true);
  });

  it('refuses a value read from a NAME_FILE outside a secret field', () => {
    const result = parse(agent('role', '${ROLE_TEXT}'), {
      env: { ROLE_TEXT_FILE: '/run/secrets/x' },
      readSecretFile: () => canary,
    });
    expect(!result.ok && result.issues[0]?.message).toContain('(ROLE_TEXT_FILE)');
    expect(JSON.stringify(result)).not.toContain(canary);
  });

  it.each([
    ['a model api_key', model('    api_key: ${OPENAI_API_KEY}\n')],
    [
      'an MCP env entry',
      `${model('')}mcp_servers:\n  gh:\n    transport: stdio\n    command: gh-mcp\n    env: {GH: '\${GITHUB_TOKEN}'}\n`,
    ],
    [
      'an MCP header',
      `${model('')}mcp_servers:\n  web:\n    transport: sse\n    url: http://x/sse\n    headers: {X-Api: 'k \${WEB_API_KEY}'}\n`,
    ],
    [
      "an MCP server's args and url",
      `${model('')}mcp_servers:\n  gh:\n    transport: stdio\n    command: gh-mcp\n    args: [--token, '\${GITHUB_TOKEN}']\n  web:\n    transport: sse\n    url: 'http://x/sse?key=\${WEB_API_KEY}'\n`,
    ],
    [
      "a model's extra_kwargs.headers",
      model('    extra_kwargs:\n      headers: {Authorization: "Bearer ${PROXY_TOKEN}"}\n'),
    ],
  ])('allows a secret variable in %s', (_what, text) => {
    const result = parse(text, {
      env: {
        OPENAI_API_KEY: canary,
        GITHUB_TOKEN: canary,
        WEB_API_KEY: canary,
        PROXY_TOKEN: canary,
      },
    });
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it('shows an interpolated value as written in problems, never the value', () => {
    // The model name comes from the environment and is wrong: the message names ${MODEL}.
    const text = agent('model', '${CALC_MODEL}');
    const result = parse(text, { env: { CALC_MODEL: 'no-such-model-name' } });
    expect(result.ok).toBe(false);
    const shown = JSON.stringify(result.ok ? [] : result.issues);
    expect(shown).toContain('${CALC_MODEL}');
    expect(shown).not.toContain('no-such-model-name');
  });

  it('hands the secret values it filled in to the scrubber, and no others', () => {
    const text = model(`    api_key: \${OPENAI_API_KEY}\n    base_url: \${LLM_URL}\n`);
    const result = parse(text, { env: { OPENAI_API_KEY: canary, LLM_URL: 'http://llm:8000/v1' } });
    expect(result.ok && result.secretValues).toEqual([canary]);
  });

  it('masks a secret value anywhere in a problem, even inside other text', () => {
    const text = model(`    api_key: \${OPENAI_API_KEY}\n    base_url: not-a-url\n`);
    const result = parse(text, { env: { OPENAI_API_KEY: canary } });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain(canary);
  });
});
