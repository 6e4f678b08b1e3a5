import { describe, expect, it } from 'vitest';
import type { ToolApprovalConfig } from '../config/index.js';
import { globToRegExp, matchToolApproval } from './tool-approval.js';

const DAY_MS = 86_400_000;

function config(overrides: Partial<ToolApprovalConfig> = {}): ToolApprovalConfig {
  return { default: 'auto_approve', timeout_days: 7, rules: [], ...overrides };
}

describe('matchToolApproval', () => {
  const mcpCall = { name: 'github_create_issue', aliases: ['mcp_github'], implicit: undefined };

  it("matches MCP tools by their model-visible name or by their server's mcp_<id>", () => {
    const byName = config({
      rules: [{ match: 'github_*', action: 'require_approval', timeout_days: null }],
    });
    const byServer = config({
      rules: [{ match: 'mcp_*', action: 'require_approval', timeout_days: 2 }],
    });
    expect(matchToolApproval(byName, mcpCall)).toMatchObject({
      requiresApproval: true,
      ruleIndex: 0,
    });
    expect(matchToolApproval(byServer, mcpCall)).toEqual({
      requiresApproval: true,
      timeoutMs: 2 * DAY_MS,
      ruleIndex: 0,
    });
    expect(matchToolApproval(byServer, 'calculator').requiresApproval).toBe(false);
  });

  it("requires approval for a tool's implicit rule, unless a configured rule decides first", () => {
    const shell = {
      name: 'run_shell_command',
      aliases: [],
      implicit: { reason: 'runs a command' },
    };
    expect(matchToolApproval(config(), shell)).toEqual({
      requiresApproval: true,
      timeoutMs: 7 * DAY_MS,
      ruleIndex: undefined,
      implicitReason: 'runs a command',
    });
    const allowed = config({
      rules: [{ match: 'run_shell_command', action: 'auto_approve', timeout_days: null }],
    });
    expect(matchToolApproval(allowed, shell)).toMatchObject({
      requiresApproval: false,
      ruleIndex: 0,
    });
  });

  it('applies the default with the block timeout when no rule matches', () => {
    expect(matchToolApproval(config(), 'calculator')).toEqual({
      requiresApproval: false,
      timeoutMs: 7 * DAY_MS,
      ruleIndex: undefined,
    });
    expect(
      matchToolApproval(config({ default: 'require_approval', timeout_days: 0.5 }), 'x'),
    ).toEqual({ requiresApproval: true, timeoutMs: DAY_MS / 2, ruleIndex: undefined });
  });

  it('lets the first matching rule decide, in order', () => {
    const rules = config({
      default: 'require_approval',
      rules: [
        { match: 'shell_read*', action: 'auto_approve', timeout_days: null },
        { match: 'shell*', action: 'require_approval', timeout_days: 1 },
        { match: '*', action: 'auto_approve', timeout_days: null },
      ],
    });
    expect(matchToolApproval(rules, 'shell_read_file')).toEqual({
      requiresApproval: false,
      timeoutMs: 7 * DAY_MS,
      ruleIndex: 0,
    });
    expect(matchToolApproval(rules, 'shell_run')).toEqual({
      requiresApproval: true,
      timeoutMs: DAY_MS,
      ruleIndex: 1,
    });
    expect(matchToolApproval(rules, 'calculator')).toMatchObject({
      requiresApproval: false,
      ruleIndex: 2,
    });
  });

  it('falls back to the block timeout for a matching rule without its own', () => {
    const rules = config({
      timeout_days: 3,
      rules: [{ match: 'web_*', action: 'require_approval', timeout_days: null }],
    });
    expect(matchToolApproval(rules, 'web_fetch').timeoutMs).toBe(3 * DAY_MS);
  });

  it('matches whole names, case-sensitively', () => {
    const rules = config({
      rules: [{ match: 'shell', action: 'require_approval', timeout_days: null }],
    });
    expect(matchToolApproval(rules, 'shell').requiresApproval).toBe(true);
    expect(matchToolApproval(rules, 'shell_run').requiresApproval).toBe(false);
    expect(matchToolApproval(rules, 'Shell').requiresApproval).toBe(false);
  });
});

describe('globToRegExp (fnmatchcase)', () => {
  const matches = (pattern: string, name: string): boolean => globToRegExp(pattern).test(name);

  it('treats * as any run and ? as one character', () => {
    expect(matches('*', '')).toBe(true);
    expect(matches('mcp_*_read', 'mcp_github_read')).toBe(true);
    expect(matches('mcp_*_read', 'mcp_github_write')).toBe(false);
    expect(matches('tool?', 'tool1')).toBe(true);
    expect(matches('tool?', 'tool')).toBe(false);
    expect(matches('tool?', 'tool12')).toBe(false);
    expect(matches('a*b', 'a\nb')).toBe(true);
  });

  it('supports classes, ranges and negation', () => {
    expect(matches('tool_[abc]', 'tool_b')).toBe(true);
    expect(matches('tool_[abc]', 'tool_d')).toBe(false);
    expect(matches('v[0-9]', 'v7')).toBe(true);
    expect(matches('v[!0-9]', 'v7')).toBe(false);
    expect(matches('v[!0-9]', 'vx')).toBe(true);
    expect(matches('[]]', ']')).toBe(true);
    expect(matches('[!]]', 'a')).toBe(true);
    expect(matches('a[-]b', 'a-b')).toBe(true);
  });

  it('takes everything else literally', () => {
    expect(matches('web.fetch', 'web.fetch')).toBe(true);
    expect(matches('web.fetch', 'webxfetch')).toBe(false);
    expect(matches('a[b', 'a[b')).toBe(true);
    expect(matches('(x)+$', '(x)+$')).toBe(true);
    expect(matches('a\\*', 'a\\zz')).toBe(true);
  });

  it('matches nothing with a reversed range, as Python does', () => {
    expect(matches('[z-a]', 'm')).toBe(false);
    expect(matches('x[z-a]', 'x')).toBe(false);
  });
});
