/**
 * MindRoom's `tool_approval` rules: which tool calls must wait for the requester's ✅, and
 * for how long.
 */
import type { ToolApprovalConfig } from '../config/index.js';
import type { ApprovalSubject } from '../tools/index.js';

const DAY_MS = 86_400_000;

/** Whether a call must be approved, and how long the approval card waits. */
export interface ToolApprovalMatch {
  readonly requiresApproval: boolean;
  /** The matched rule's `timeout_days`, else the block's, in milliseconds. */
  readonly timeoutMs: number;
  /** Index in `rules` of the rule that decided, or `undefined` when the default did. */
  readonly ruleIndex: number | undefined;
  /** The tool's own reason, when its implicit rule (not a configured one) required approval. */
  readonly implicitReason?: string;
}

/**
 * Evaluates `tool_approval` for a call, as MindRoom does: the first rule whose `match` glob
 * matches the whole name (case-sensitive, Python `fnmatchcase`: `*`, `?`, `[abc]`, `[!abc]`,
 * `[a-z]`) decides with its `action`; with no matching rule, `default` decides.
 *
 * `call` is the model-visible tool name, or an `ApprovalSubject` (from the agent's tool
 * runner) that adds aliases a rule may match instead (`mcp_github` for every tool of that MCP
 * server, so `match: mcp_*` gates all MCP tools) and the tool's own implicit requirement
 * (`shell`; `matrix_message` into a direct-message room). A configured rule matching any name
 * still decides first, so an operator can auto-approve such a tool explicitly; the implicit
 * requirement comes before `default`.
 *
 * The timeout is the deciding rule's `timeout_days` when it has one, else the block's.
 * (A MindRoom rule with a `script` instead of an action arrives here as `require_approval`:
 * Quorum cannot run approval scripts.)
 */
export function matchToolApproval(
  config: ToolApprovalConfig,
  call: string | ApprovalSubject,
): ToolApprovalMatch {
  const names = typeof call === 'string' ? [call] : [call.name, ...call.aliases];
  const ruleIndex = config.rules.findIndex((rule) => {
    const pattern = globToRegExp(rule.match);
    return names.some((name) => pattern.test(name));
  });
  const rule = ruleIndex === -1 ? undefined : config.rules[ruleIndex];
  if (rule === undefined) {
    const implicit = typeof call === 'string' ? undefined : call.implicit;
    if (implicit !== undefined) {
      return {
        requiresApproval: true,
        timeoutMs: config.timeout_days * DAY_MS,
        ruleIndex: undefined,
        implicitReason: implicit.reason,
      };
    }
    return {
      requiresApproval: config.default === 'require_approval',
      timeoutMs: config.timeout_days * DAY_MS,
      ruleIndex: undefined,
    };
  }
  return {
    requiresApproval: rule.action === 'require_approval',
    timeoutMs: (rule.timeout_days ?? config.timeout_days) * DAY_MS,
    ruleIndex,
  };
}

const patternCache = new Map<string, RegExp>();

/**
 * A regular expression matching exactly what Python's `fnmatch.fnmatchcase(name, pattern)`
 * matches: `*` any run (including none), `?` one character, `[seq]` one of seq (ranges
 * allowed, `!` first negates, `]` first is literal), an unclosed `[` literally; everything
 * else literally. A reversed range (`[z-a]`) matches nothing, as in Python.
 */
export function globToRegExp(pattern: string): RegExp {
  const cached = patternCache.get(pattern);
  if (cached !== undefined) return cached;
  let source = '';
  let index = 0;
  while (index < pattern.length) {
    const char = pattern[index] ?? '';
    index++;
    if (char === '*') {
      while (pattern[index] === '*') index++;
      source += '[\\s\\S]*';
    } else if (char === '?') {
      source += '[\\s\\S]';
    } else if (char === '[') {
      const close = classEnd(pattern, index);
      if (close === -1) {
        source += '\\[';
      } else {
        source += characterClass(pattern.slice(index, close));
        index = close + 1;
      }
    } else {
      source += escapeRegExp(char);
    }
  }
  const compiled = new RegExp(`^${source}$`, 'u');
  if (patternCache.size > 1_000) patternCache.clear();
  patternCache.set(pattern, compiled);
  return compiled;
}

/** Index of the `]` closing a class that starts at `start` (after `[`), or -1. */
function classEnd(pattern: string, start: number): number {
  let index = start;
  if (pattern[index] === '!') index++;
  if (pattern[index] === ']') index++;
  return pattern.indexOf(']', index);
}

function characterClass(body: string): string {
  const isNegated = body.startsWith('!');
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- code points are what Python's fnmatch compares
  const chars = [...(isNegated ? body.slice(1) : body)];
  const parts: string[] = [];
  for (let index = 0; index < chars.length; index++) {
    const from = chars[index] ?? '';
    const to = chars[index + 2];
    if (chars[index + 1] === '-' && to !== undefined) {
      // Python drops a reversed range; the class may then match nothing.
      if (from <= to) parts.push(`${escapeClassChar(from)}-${escapeClassChar(to)}`);
      index += 2;
    } else {
      parts.push(escapeClassChar(from));
    }
  }
  if (parts.length === 0) return isNegated ? '[\\s\\S]' : '(?!)';
  return `[${isNegated ? '^' : ''}${parts.join('')}]`;
}

function escapeClassChar(char: string): string {
  return /[\\\]^[-]/.test(char) ? `\\${char}` : char;
}

function escapeRegExp(char: string): string {
  // Only syntax characters may be escaped under the `u` flag.
  return /[.*+?^${}()|[\]\\/]/.test(char) ? `\\${char}` : char;
}
