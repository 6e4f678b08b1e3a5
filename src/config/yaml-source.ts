/**
 * The YAML side of config parsing: turns text into plain data and maps YAML paths back to
 * line/column positions, so every later stage (unsupported keys, env interpolation, zod,
 * cross-checks) can report problems by path and still point into the file.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import type { ConfigIssue, PathSegment } from './issues.js';
import { formatPath } from './issues.js';

/** Whether a position refers to the key of the last path segment or to its value. */
export type PositionTarget = 'key' | 'value';

/** A parsed YAML file that can answer "where is this path?". */
export interface YamlSource {
  /** The document as plain data (`undefined` for an empty file). */
  readonly data: unknown;
  /**
   * 1-based position of `path`. When the path does not exist in the file (a missing key, a
   * value that came from a merge key), the position of the deepest key that does exist.
   */
  locate(path: readonly PathSegment[], target?: PositionTarget): { line: number; column: number };
}

/** A parsed YAML source, or the YAML problems that prevent using it. */
export type YamlParseResult =
  | { readonly ok: true; readonly source: YamlSource }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** Keeps the YAML library's own words but drops its "at line X, column Y" tail and code excerpt. */
function shortYamlMessage(message: string): string {
  const cut = message.search(/ at line \d+, column \d+/);
  return (cut === -1 ? message : message.slice(0, cut)).split('\n')[0] ?? message;
}

function describeYamlProblem(code: string, message: string): string {
  if (code === 'TAG_RESOLVE_FAILED') {
    const tag = /Unresolved tag: (\S+)/.exec(message)?.[1] ?? 'this tag';
    return `YAML tag ${tag} is not supported (MindRoom's !include tags are not supported by Quorum yet; inline the content)`;
  }
  return `YAML syntax error: ${shortYamlMessage(message)}`;
}

/**
 * Parses `text` as one YAML document. YAML errors and warnings (duplicate keys, unresolved
 * tags such as MindRoom's `!include`) are all reported as issues with their position: a config
 * that does not mean exactly what it says is not loaded.
 */
export function parseYamlSource(text: string): YamlParseResult {
  const lineCounter = new LineCounter();
  // merge: MindRoom reads its config with PyYAML, which honours `<<` merge keys.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      issues: problems.map((problem) => {
        const pos = lineCounter.linePos(problem.pos[0]);
        return {
          path: '',
          message: describeYamlProblem(problem.code, problem.message),
          line: pos.line,
          column: pos.col,
        };
      }),
    };
  }
  let data: unknown;
  try {
    // maxAliasCount bounds alias expansion ("billion laughs").
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      issues: [
        { path: '', message: `YAML error: ${shortYamlMessage(message)}`, line: 1, column: 1 },
      ],
    };
  }
  return { ok: true, source: new DocumentSource(doc, lineCounter, data) };
}

class DocumentSource implements YamlSource {
  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
    readonly data: unknown,
  ) {}

  locate(
    path: readonly PathSegment[],
    target: PositionTarget = 'value',
  ): { line: number; column: number } {
    let node: unknown = this.doc.contents;
    let lastKey: Node | undefined;
    for (let index = 0; index < path.length; index++) {
      const segment = path[index];
      if (isAlias(node)) node = node.resolve(this.doc);
      const isLast = index === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((item) => keyText(item.key) === String(segment));
        if (pair === undefined) return this.position(lastKey ?? node);
        if (isLast && target === 'key') return this.position(asNode(pair.key) ?? node);
        lastKey = asNode(pair.key) ?? lastKey;
        node = pair.value;
        if (node === null || node === undefined) return this.position(lastKey ?? this.doc.contents);
      } else if (isSeq(node) && typeof segment === 'number') {
        const item: unknown = node.items[segment];
        if (item === undefined || item === null) return this.position(lastKey ?? node);
        node = item;
      } else {
        return this.position(asNode(node) ?? lastKey);
      }
    }
    return this.position(asNode(node) ?? lastKey);
  }

  private position(node: Node | null | undefined): { line: number; column: number } {
    const offset = node?.range?.[0];
    if (offset === undefined) return { line: 1, column: 1 };
    const pos = this.lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  }
}

function asNode(value: unknown): Node | undefined {
  return value !== null && typeof value === 'object' && 'range' in value
    ? (value as Node)
    : undefined;
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/** Builds an issue for `path`, positioned through `source`. */
export function issueAt(
  source: YamlSource,
  path: readonly PathSegment[],
  message: string,
  target: PositionTarget = 'value',
): ConfigIssue {
  const { line, column } = source.locate(path, target);
  return { path: formatPath(path), message, line, column };
}
