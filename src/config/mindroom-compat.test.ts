import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './parse-config.js';

const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures/config');
const mindroomStyle = readFileSync(resolve(FIXTURES, 'mindroom-style.yaml'), 'utf8');

const MINIMAL = 'models:\n  default: {provider: openai, id: gpt-test}\n';

function lineOf(text: string, needle: string): number {
  const offset = text.indexOf(needle);
  if (offset === -1) throw new Error(`not in text: ${needle}`);
  return text.slice(0, offset).split('\n').length;
}

describe('unsupported MindRoom settings', () => {
  it('accepts them with one warning per setting, naming its first path and position', () => {
    const result = parseConfig(mindroomStyle, { env: {} });
    expect(result.ok).toBe(true);
    const byPath = new Map(result.warnings.map((warning) => [warning.path, warning]));
    expect([...byPath.keys()].sort()).toEqual([
      'agents.helper.learning',
      'agents.helper.learning_mode',
      'agents.writer.context_files',
      'defaults.learning',
      'defaults.learning_mode',
      'memory.backend',
      'mindroom_user',
      'plugins',
      'teams.duo.compaction',
      'voice',
    ]);
    expect(byPath.get('agents.helper.learning')).toEqual({
      path: 'agents.helper.learning',
      message:
        "MindRoom setting 'learning' is not supported by Quorum yet and is ignored (also at agents.mathbot.learning)",
      line: lineOf(mindroomStyle, 'learning: true'),
      column: 5,
    });
    expect(byPath.get('voice')).toMatchObject({ line: lineOf(mindroomStyle, 'voice:'), column: 1 });
  });

  it('warns about memory and knowledge settings Quorum serves differently, by name', () => {
    const result = parseConfig(
      `${MINIMAL}memory:\n  backend: file\n  file: {max_entrypoint_lines: 10}\n  search: {mode: semantic}\n  auto_flush: {enabled: true}\n  embedder: {provider: sentence_transformers, config: {credentials_service: emb}}\nknowledge_bases:\n  docs: {path: ./d, git: {repo_url: 'https://example.org/r.git'}}\nagents:\n  a: {display_name: A, memory_backend: none, memory_search: {mode: keyword}, knowledge_bases: [docs]}\n`,
      { env: {} },
    );
    expect(result.ok).toBe(true);
    expect(result.ok && result.config.agents['a']?.memory_backend).toBe('none');
    expect(result.warnings.map((warning) => warning.path).sort()).toEqual([
      'agents.a.memory_search',
      'knowledge_bases.docs.git',
      'memory.auto_flush',
      'memory.backend',
      'memory.embedder.config.credentials_service',
      'memory.embedder.provider',
      'memory.file',
      'memory.search',
    ]);
  });

  it('counts further occurrences instead of listing them all', () => {
    const agents = Array.from(
      { length: 6 },
      (_, i) => `  a${i}: {display_name: A, learning: true}\n`,
    ).join('');
    const result = parseConfig(`${MINIMAL}agents:\n${agents}`, { env: {} });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]?.message).toBe(
      "MindRoom setting 'learning' is not supported by Quorum yet and is ignored (also at agents.a1.learning, agents.a2.learning, agents.a3.learning, and 2 more)",
    );
  });

  it('still rejects keys that are neither Quorum nor MindRoom settings', () => {
    const result = parseConfig(
      `${MINIMAL}agents:\n  a: {display_name: A, learning: true, mood: happy}\n`,
      { env: {} },
    );
    expect(!result.ok && result.issues.map((issue) => issue.path)).toEqual(['agents.a.mood']);
    expect(result.warnings.map((warning) => warning.path)).toEqual(['agents.a.learning']);
  });

  it('warns about lazy tool-loading flags in both tool-entry forms', () => {
    const result = parseConfig(
      `${MINIMAL}agents:\n  a:\n    display_name: A\n    tools:\n      - {name: file, defer: true}\n      - shell: {defer: true, initial: true, timeout_seconds: 5}\n`,
      { env: {} },
    );
    expect(result.ok && result.config.agents['a']?.tools).toEqual([
      { name: 'file', overrides: {} },
      { name: 'shell', overrides: { timeout_seconds: 5 } },
    ]);
    expect(result.warnings.map((warning) => warning.path)).toEqual([
      'agents.a.tools[0].defer',
      'agents.a.tools[1].shell.defer',
      'agents.a.tools[1].shell.initial',
    ]);
  });

  it('treats a tool-approval script rule as requiring approval, with a warning', () => {
    const result = parseConfig(
      `${MINIMAL}tool_approval:\n  rules:\n    - match: run_shell_*\n      script: ./review.py\n    - match: slack_*\n      action: auto_approve\n`,
      { env: {} },
    );
    expect(result.ok && result.config.tool_approval.rules).toEqual([
      { match: 'run_shell_*', action: 'require_approval', timeout_days: null },
      { match: 'slack_*', action: 'auto_approve', timeout_days: null },
    ]);
    expect(result.warnings).toEqual([
      expect.objectContaining({
        path: 'tool_approval.rules[0].script',
        message: expect.stringContaining('requires approval for every matching call') as unknown,
      }),
    ]);
  });
});
