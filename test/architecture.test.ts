/**
 * Enforces the dependency rules of STYLE.md §2 on the source tree, from the table in
 * architecture.config.js (which also generates ESLint's SDK confinement): folders import only
 * downward (or within themselves), other folders are reached through their index.ts, there
 * are no import cycles between files, no function is longer than MAX_FUNCTION_LINES, the
 * orchestrator stays a composition root, and exactly one module claims turns.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  FOLDER_RANKS,
  MAX_FUNCTION_LINES,
  MAX_ORCHESTRATOR_LINES,
  TURN_CLAIM_HOME,
} from '../architecture.config.js';

const SRC = resolve(import.meta.dirname, '../src');

const RANK: Readonly<Record<string, number>> = FOLDER_RANKS;

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

/** Functions (declarations, methods, arrows, constructors) longer than the limit. */
function longFunctions(file: string): string[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(file, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      const lines = last - first + 1;
      if (lines > MAX_FUNCTION_LINES) {
        const name = node.name?.getText(source) ?? ts.SyntaxKind[node.kind];
        found.push(`${relative(SRC, file)}:${first + 1} ${name} (${lines} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('code shape', () => {
  it(`has no function longer than ${MAX_FUNCTION_LINES} lines`, () => {
    expect(files.flatMap(longFunctions)).toEqual([]);
  });

  it(`keeps src/orchestrator/ under ${MAX_ORCHESTRATOR_LINES} lines (wiring and lifecycle only)`, () => {
    const lines = files
      .filter((file) => folderOf(file) === 'orchestrator')
      .reduce((sum, file) => sum + readFileSync(file, 'utf8').split('\n').length, 0);
    expect(lines).toBeLessThanOrEqual(MAX_ORCHESTRATOR_LINES);
  });

  it('claims turns in exactly one module (dispatch)', () => {
    const claiming = files
      .filter((file) => /\bturns\.claim\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file));
    expect(claiming).toEqual([TURN_CLAIM_HOME]);
  });
});
