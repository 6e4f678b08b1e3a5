/**
 * Enforces the dependency rules of STYLE.md §2 on the source tree:
 * folders import only downward (or within themselves), other folders are reached through
 * their index.ts, and there are no import cycles between files.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/** Rank of each top-level folder; a folder may import folders of strictly lower rank. */
const RANK: Record<string, number> = {
  shared: 0,
  config: 1,
  storage: 2,
  matrix: 2,
  llm: 2,
  tools: 2,
  skills: 2,
  memory: 3,
  outbox: 3,
  ingress: 3,
  knowledge: 3,
  interactions: 3,
  agents: 4,
  teams: 4.5,
  routing: 5,
  // Below commands, so the schedule commands reach the ScheduleService through schedules/index.ts.
  schedules: 5.4,
  commands: 5.5,
  orchestrator: 6,
  http: 7,
  cli: 8,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  const pattern =
    /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[1] ?? match[2];
    if (specifier?.startsWith('.') === true) {
      specifiers.push(resolve(dirname(file), specifier).replace(/\.js$/, '.ts'));
    }
  }
  return specifiers;
}

function folderOf(file: string): string {
  const [top] = relative(SRC, file).split('/');
  return top ?? '';
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((file) => [file, importsOf(file)]));

describe('architecture', () => {
  it('puts every source file in a known folder', () => {
    const unknown = files.map((f) => relative(SRC, f)).filter((f) => !(f.split('/')[0]! in RANK));
    expect(unknown).toEqual([]);
  });

  it('imports only downward, through the other folder index.ts', () => {
    const violations: string[] = [];
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      for (const target of targets) {
        const to = folderOf(target);
        if (to === from) continue;
        const rel = `${relative(SRC, file)} → ${relative(SRC, target)}`;
        if ((RANK[to] ?? 99) >= (RANK[from] ?? -1)) violations.push(`upward or sideways: ${rel}`);
        if (!target.endsWith(`/${to}/index.ts`)) violations.push(`not through index.ts: ${rel}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('has no import cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'visiting');
      stack.push(file);
      for (const target of graph.get(file) ?? []) {
        if (!graph.has(target)) continue;
        const seen = state.get(target);
        if (seen === 'visiting') {
          const cycle = stack.slice(stack.indexOf(target)).concat(target);
          cycles.push(cycle.map((f) => relative(SRC, f)).join(' → '));
        } else if (seen === undefined) visit(target);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });
});
