/**
 * `!config show|set|unset` as pure functions over the config file's text: what a path holds,
 * and the exact new text, diff and validation result of a change, for a person to confirm
 * before {@link applyConfigEdit} writes it.
 *
 * Edits are spliced into the text (see `editYamlText`), so comments, blank lines and
 * formatting outside the edited node survive byte for byte. Secrets are never shown and never
 * written: a value that looks like one is refused.
 *
 * Every proposal comes from chat, so chat's limits are enforced here, from the file itself:
 * nothing is shown or offered unless the file has `authorization.config_command_enabled: true`;
 * a value (or path) containing `${` is refused outright, so chat never causes an environment
 * variable to be read; settings that grant power are refused (`protectedPathProblem`). Who may
 * ask is decided by `decideConfigEdit` (config-authority.ts) before a proposal is made.
 */
import { Document, isAlias, isMap, isNode, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Node } from 'yaml';
import { CHAT_DISABLED, chatRefusal, isChatEnabled, NO_REFERENCES } from './chat-edit-policy.js';
import { parseConfigPath } from './config-path.js';
import type { ConfigEnv, SecretFileReader } from './interpolate-env.js';
import { literalSecretProblem } from './interpolate-env.js';
import type { ConfigIssue, ConfigWarning, PathSegment } from './issues.js';
import { formatPath } from './issues.js';
import { unifiedLineDiff } from './line-diff.js';
import { hashConfigText, parseConfig } from './parse-config.js';
import type { YamlEdit } from './yaml-edit.js';
import { editYamlText } from './yaml-edit.js';
import { renderInline } from './yaml-render.js';

/** What replaces a secret in anything shown to a person. */
export const REDACTED_VALUE = '<redacted>';

/** Where the edited text will live, so validation resolves `NAME_FILE` secrets as a load would. */
export interface ConfigEditOptions {
  readonly filePath?: string | undefined;
  readonly readSecretFile?: SecretFileReader | undefined;
  /**
   * Who asks: `chat` (the default: `!config`, `propose_config_change`) gets chat's limits
   * (config_command_enabled, no `${`, no protected settings); `operator` (a trusted local
   * tool) edits anything, `${NAME}` references included.
   */
  readonly origin?: 'chat' | 'operator';
}

/** `parseConfig`'s verdict on the new text, for the confirmation card. */
export interface ConfigValidationSummary {
  /** True when the new text loads; a change that does not should not be offered for confirmation. */
  readonly isValid: boolean;
  /** Every error with its YAML path and line in the new text; empty when valid. */
  readonly issues: readonly ConfigIssue[];
  readonly warnings: readonly ConfigWarning[];
}

/** A change ready to show and confirm, or why it cannot be made. */
export type ConfigEditProposal =
  | {
      readonly ok: true;
      readonly operation: 'set' | 'unset';
      /** The path as the editor resolved it (`tool_approval.rules[0].match`). */
      readonly path: string;
      /** The whole new file text; write it with {@link applyConfigEdit}. */
      readonly newText: string;
      /** SHA-256 (hex, `hashConfigText`) of the text the change was computed from. */
      readonly oldHash: string;
      readonly newHash: string;
      /** Unified line diff of old → new (`@@` hunks, 2 lines of context), secrets redacted. */
      readonly diff: string;
      readonly validation: ConfigValidationSummary;
      /** True when the file had to be re-serialised (an unusual layout): the diff shows more. */
      readonly isReformatted: boolean;
    }
  | { readonly ok: false; readonly error: string };

/** The YAML at a path, or why there is none. */
export type ConfigShowResult =
  | { readonly ok: true; readonly path: string; readonly yaml: string }
  | { readonly ok: false; readonly error: string };

/**
 * The YAML text at `path` (dotted, as {@link parseConfigPath} reads it; `''` for the whole
 * file), with comments, and with every literal secret replaced by {@link REDACTED_VALUE}
 * (`${NAME}` references are shown: they are not secrets). No trailing newline.
 */
export function showConfigPath(
  text: string,
  path: string,
  options: Pick<ConfigEditOptions, 'origin'> = {},
): ConfigShowResult {
  const parsed = parseConfigPath(path);
  if (!parsed.ok) return parsed;
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) {
    const reason = doc.errors[0]?.message.split('\n')[0] ?? '';
    return { ok: false, error: `the config has YAML errors (${reason})` };
  }
  if ((options.origin ?? 'chat') === 'chat' && !isChatEnabled(doc)) {
    return { ok: false, error: CHAT_DISABLED };
  }
  const located = locate(doc, parsed.segments);
  if ('error' in located) return { ok: false, error: located.error };
  let shown: Document;
  if (parsed.segments.length === 0) {
    shown = doc.clone();
  } else {
    shown = new Document();
    // clone() is typed as the base class; it returns a node of the same class.
    shown.contents = isNode(located.node) ? (located.node.clone() as Node) : null;
  }
  const lastKey = located.path[located.path.length - 1];
  redactNodes(shown, lastKey);
  const rendered = shown.toString({ lineWidth: 0, flowCollectionPadding: false }).trimEnd();
  // A key written without a value shows as YAML's null, not as nothing.
  const yaml = rendered === '' ? 'null' : rendered;
  return { ok: true, path: formatPath(located.path), yaml };
}

/**
 * The change that sets `path` to the YAML value `valueText` (`gpt-4o`, `true`, `3`,
 * `[a, b]`, `{x: 1}`, `"quoted text"`), creating missing maps on the way. Refused: a path that
 * does not parse or runs through a single value, a value that is not one YAML value, a literal
 * secret anywhere in the value, and a change that changes nothing. A change that makes the
 * config invalid is still returned, with `validation.isValid` false and the issues.
 */
export function proposeConfigSet(
  text: string,
  path: string,
  valueText: string,
  env: ConfigEnv,
  options: ConfigEditOptions = {},
): ConfigEditProposal {
  const parsedPath = parseConfigPath(path);
  if (!parsedPath.ok) return parsedPath;
  const isChat = (options.origin ?? 'chat') === 'chat';
  // Checked on the text first: a value is never even parsed into data that could hold `${`.
  if (isChat && (valueText.includes('${') || path.includes('${'))) {
    return { ok: false, error: NO_REFERENCES };
  }
  const value = parseValue(valueText);
  if ('error' in value) return { ok: false, error: value.error };
  const refusal = isChat ? chatRefusal(text, parsedPath.segments, value.data) : undefined;
  if (refusal !== undefined) return { ok: false, error: refusal };
  const secret = findSecret(value.data, parsedPath.segments);
  if (secret !== undefined) return { ok: false, error: secret };
  return propose(text, { kind: 'set', path: parsedPath.segments, value: value.data }, env, options);
}

/** The change that removes `path` (the key and its value, or the list item). */
export function proposeConfigUnset(
  text: string,
  path: string,
  env: ConfigEnv,
  options: ConfigEditOptions = {},
): ConfigEditProposal {
  const parsedPath = parseConfigPath(path);
  if (!parsedPath.ok) return parsedPath;
  if ((options.origin ?? 'chat') === 'chat') {
    if (path.includes('${')) return { ok: false, error: NO_REFERENCES };
    const refusal = chatRefusal(text, parsedPath.segments, undefined);
    if (refusal !== undefined) return { ok: false, error: refusal };
  }
  return propose(text, { kind: 'delete', path: parsedPath.segments }, env, options);
}

function propose(
  text: string,
  edit: YamlEdit,
  env: ConfigEnv,
  options: ConfigEditOptions,
): ConfigEditProposal {
  const edited = editYamlText(text, edit);
  if (!edited.ok) return edited;
  const path = formatPath(edited.path);
  if (edited.text === text) {
    return {
      ok: false,
      error: `${path} is already ${renderInline(edited.previous)}; nothing to change`,
    };
  }
  const result = parseConfig(edited.text, {
    env,
    filePath: options.filePath,
    readSecretFile: options.readSecretFile,
  });
  return {
    ok: true,
    operation: edit.kind === 'set' ? 'set' : 'unset',
    path,
    newText: edited.text,
    oldHash: hashConfigText(text),
    newHash: hashConfigText(edited.text),
    diff: redactDiff(unifiedLineDiff(text, edited.text)),
    validation: {
      isValid: result.ok,
      issues: result.ok ? [] : result.issues,
      warnings: result.warnings,
    },
    isReformatted: edited.isReformatted,
  };
}

/**
 * `valueText` read as one YAML value (flow collections and scalars; block text works too);
 * a single line YAML rejects is the string itself.
 */
function parseValue(valueText: string): { data: unknown } | { error: string } {
  if (valueText.trim() === '') {
    return { error: 'give a value to set (use `!config unset` to remove a setting)' };
  }
  const doc = parseDocument(valueText);
  const problem = doc.errors[0] ?? doc.warnings[0];
  // Like MindRoom, text YAML cannot read (`@alice:example.org`, `` `x` ``) is taken as a
  // string, unless it was clearly meant as a list, a mapping or quoted text.
  if (problem !== undefined && !/^\s*["'[{]/.test(valueText) && !valueText.includes('\n')) {
    return { data: valueText.trim() };
  }
  if (problem !== undefined) {
    const reason = problem.message.split('\n')[0] ?? '';
    return { error: `the value is not valid YAML (${reason}); quote text with spaces or symbols` };
  }
  return { data: doc.toJS({ maxAliasCount: 0 }) as unknown };
}

/** Why the value would put a literal secret in the file, if it would. */
function findSecret(value: unknown, path: readonly PathSegment[]): string | undefined {
  let found: string | undefined;
  visitScalars(value, [...path], (scalar, at) => {
    const problem = literalSecretProblem(at[at.length - 1], scalar);
    if (found === undefined && problem !== undefined) {
      found = `refusing to write ${formatPath(at)}: ${problem}`;
    }
  });
  return found;
}

function visitScalars(
  value: unknown,
  path: PathSegment[],
  onScalar: (value: string, path: PathSegment[]) => void,
): void {
  if (Array.isArray(value)) {
    value.forEach((item: unknown, index) => {
      visitScalars(item, [...path, index], onScalar);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      visitScalars(inner, [...path, key], onScalar);
    }
  } else {
    const text = scalarText(value);
    if (text !== undefined) onScalar(text, path);
  }
}

/** A scalar as text (`true`, `3`, `x`); `undefined` for null and anything else. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return undefined;
}

function isSecretScalar(key: PathSegment | undefined, value: unknown): boolean {
  const text = scalarText(value);
  return text !== undefined && literalSecretProblem(key, text) !== undefined;
}

/** The node at `segments` (list indices resolved, aliases followed), or why there is none. */
function locate(
  doc: Document,
  segments: readonly PathSegment[],
): { node: unknown; path: PathSegment[] } | { error: string } {
  let node: unknown = doc.contents;
  const path: PathSegment[] = [];
  for (const segment of segments) {
    const here = path.length === 0 ? 'the top level' : formatPath(path);
    const target = isAlias(node) ? node.resolve(doc) : node;
    if (isMap(target)) {
      const key = String(segment);
      const pair = target.items.find((item) => keyText(item.key) === key);
      if (pair === undefined) {
        const known = target.items.map((item) => keyText(item.key)).join(', ');
        return {
          error: `nothing is set at ${formatPath([...path, key])} (${here} has: ${known || 'nothing'})`,
        };
      }
      node = pair.value;
      path.push(key);
    } else if (isSeq(target)) {
      const count = target.items.length;
      const index = typeof segment === 'number' ? segment : /^\d+$/.test(segment) ? +segment : -1;
      if (index < 0 || index >= count) {
        const range = count === 0 ? 'it is empty' : `use an index from 0 to ${count - 1}`;
        return { error: `${here} is a list of ${count}: ${range}` };
      }
      node = target.items[index];
      path.push(index);
    } else {
      return { error: `${here} is a single value; there is nothing below it` };
    }
  }
  const target = isAlias(node) ? node.resolve(doc) : node;
  return { node: target ?? null, path };
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** Replaces literal secrets in the shown document; `lastKey` is the key the root value sits under. */
function redactNodes(doc: Document, lastKey: PathSegment | undefined): void {
  const root = doc.contents;
  if (isScalar(root) && isSecretScalar(lastKey, root.value)) root.value = REDACTED_VALUE;
  visit(doc, {
    Pair(_key, pair) {
      const value = pair.value;
      const key = isScalar(pair.key) ? scalarText(pair.key.value) : undefined;
      if (isScalar(value) && isSecretScalar(key, value.value)) value.value = REDACTED_VALUE;
    },
    Scalar(_key, scalar) {
      if (isSecretScalar(undefined, scalar.value)) scalar.value = REDACTED_VALUE;
    },
  });
}

const DIFF_PAIR = /^([-+ ]\s*(?:-\s+)?)(["']?)([A-Za-z0-9_]+)\2(\s*:\s*)(.+)$/;

/** Diff lines with a literal secret value (from an already broken file) redacted. */
function redactDiff(diff: string): string {
  return diff
    .split('\n')
    .map((line) => {
      const pair = DIFF_PAIR.exec(line);
      const value = pair?.[5];
      if (pair === null || value === undefined) return line;
      return literalSecretProblem(pair[3], value.replace(/\s+#.*$/, '')) === undefined
        ? line
        : `${pair[1]}${pair[2]}${pair[3]}${pair[2]}${pair[4]}${REDACTED_VALUE}`;
    })
    .map((line) =>
      literalSecretProblem(undefined, line) === undefined ? line : redactShapes(line),
    )
    .join('\n');
}

function redactShapes(line: string): string {
  return line.replace(
    /\b(?:sk-|syt_|gh[pousr]_|xox[abpr]-|AIza|gsk_)[A-Za-z0-9_-]+/g,
    REDACTED_VALUE,
  );
}
