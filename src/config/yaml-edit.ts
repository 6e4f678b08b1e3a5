/**
 * Editing one value of a YAML file as text, so every byte outside the edited node (comments,
 * blank lines, quoting, key order, indentation) stays as the person wrote it.
 *
 * yaml's Document API locates the node (its source ranges); the edit is then a splice of the
 * original text. Every result is re-parsed and compared with the intended data; when a splice
 * cannot be made (an unusual layout) or does not verify, the edit falls back to the Document
 * API's own `setIn`/`deleteIn` and re-serialisation, which keeps comments but may re-indent,
 * and is verified the same way.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, YAMLMap, YAMLSeq } from 'yaml';
import { canonicalJson } from './fingerprint.js';
import type { PathSegment } from './issues.js';
import { formatPath } from './issues.js';
import type { Splice, Step } from './yaml-text-layout.js';
import { isNullValue, TextLayout } from './yaml-text-layout.js';

/** One change: set the value at `path` (creating missing maps), or delete it. */
export type YamlEdit =
  | { readonly kind: 'set'; readonly path: readonly PathSegment[]; readonly value: unknown }
  | { readonly kind: 'delete'; readonly path: readonly PathSegment[] };

/** The edited text, or why the edit cannot be made. */
export type YamlEditResult =
  | {
      readonly ok: true;
      readonly text: string;
      /** The path with list indices as numbers (`rules.0` → `rules[0]`). */
      readonly path: readonly PathSegment[];
      /** The value there before, as plain data; `undefined` when it did not exist. */
      readonly previous: unknown;
      /** True when the text was re-serialised instead of spliced (formatting may differ). */
      readonly isReformatted: boolean;
    }
  | { readonly ok: false; readonly error: string };

interface Walk {
  readonly steps: readonly Step[];
  readonly resolved: readonly PathSegment[];
  /** The part of the path that does not exist (empty when the whole path does). */
  readonly missing: readonly PathSegment[];
  /** The collection (or null value, or `undefined` for an empty file) the missing part hangs from. */
  readonly holder: unknown;
}

const REFORMAT_OPTIONS = { lineWidth: 0, flowCollectionPadding: false } as const;

/**
 * Applies `edit` to the YAML `text`. Never throws for bad input: a path through a scalar or an
 * alias, an index out of range, deleting what is not there, or text with YAML errors come
 * back as `{ ok: false, error }` with a sentence for the person.
 */
export function editYamlText(text: string, edit: YamlEdit): YamlEditResult {
  if (edit.path.length === 0) return { ok: false, error: 'give a path below the top level' };
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      error: `the config has YAML errors; fix the file first (${firstLine(doc)})`,
    };
  }
  const walked = walk(doc, edit.path);
  if ('error' in walked) return { ok: false, error: walked.error };
  const fullPath = [...walked.resolved, ...walked.missing];
  if (edit.kind === 'delete' && walked.missing.length > 0) {
    return { ok: false, error: `nothing is set at ${formatPath(edit.path)}` };
  }
  const creation = edit.kind === 'set' ? checkCreation(walked) : undefined;
  if (creation !== undefined) return { ok: false, error: creation };

  const before = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const expected = applyPlain(before, fullPath, edit);
  const previous = walked.missing.length === 0 ? getPlain(before, fullPath) : undefined;
  const splice = planSplice(text, walked, edit, expected);
  if (splice !== undefined) {
    const insert = text.includes('\r\n') ? splice.insert.replace(/\r?\n/g, '\r\n') : splice.insert;
    const spliced = text.slice(0, splice.start) + insert + text.slice(splice.end);
    if (matches(spliced, expected)) {
      return { ok: true, text: spliced, path: fullPath, previous, isReformatted: false };
    }
  }
  const reformatted = reformat(doc, walked, edit);
  if (reformatted !== undefined && matches(reformatted, expected)) {
    return { ok: true, text: reformatted, path: fullPath, previous, isReformatted: true };
  }
  return { ok: false, error: `cannot edit ${formatPath(edit.path)} in this file's layout` };
}

function firstLine(doc: Document): string {
  return doc.errors[0]?.message.split('\n')[0] ?? 'unknown error';
}

/** Follows `path` through the document as far as it exists. */
function walk(doc: Document, path: readonly PathSegment[]): Walk | { error: string } {
  const steps: Step[] = [];
  const resolved: PathSegment[] = [];
  let node: unknown = doc.contents;
  if (node === null || node === undefined) {
    return { steps, resolved, missing: path, holder: undefined };
  }
  if (!isMap(node)) return { error: 'the config is not a YAML mapping' };
  for (let index = 0; index < path.length; index++) {
    const segment = path[index] ?? '';
    const here = formatPath(resolved);
    if (isAlias(node)) {
      return {
        error: `${here} is a YAML alias (*${node.source}); edit the anchored value instead`,
      };
    }
    if (isMap(node)) {
      const key = String(segment);
      const pair = node.items.find((item) => keyText(item.key) === key);
      if (pair === undefined) return { steps, resolved, missing: path.slice(index), holder: node };
      steps.push({ container: node, key, pair, node: pair.value });
      resolved.push(key);
      node = pair.value;
    } else if (isSeq(node)) {
      const position =
        typeof segment === 'number' ? segment : /^\d+$/.test(segment) ? +segment : -1;
      if (position < 0) {
        return { error: `${here} is a list: name an item by index, like ${here}[0]` };
      }
      if (position >= node.items.length) {
        return { steps, resolved, missing: [position, ...path.slice(index + 1)], holder: node };
      }
      steps.push({ container: node, key: position, pair: undefined, node: node.items[position] });
      resolved.push(position);
      node = node.items[position];
    } else if (isNullValue(node)) {
      return { steps, resolved, missing: path.slice(index), holder: node ?? null };
    } else {
      return { error: `${here} is a single value, not a map or a list` };
    }
  }
  return { steps, resolved, missing: [], holder: undefined };
}

/** Why the missing part of the path cannot be created, if it cannot. */
function checkCreation(walked: Walk): string | undefined {
  const { missing, holder, resolved } = walked;
  const [first, ...rest] = missing;
  if (first === undefined) return undefined;
  if (isSeq(holder)) {
    if (first !== holder.items.length) {
      const at = formatPath(resolved);
      return `${at} has ${holder.items.length} items: change one of ${at}[0]…[${holder.items.length - 1}] or add one as ${at}[${holder.items.length}]`;
    }
    return rest.some((segment) => typeof segment === 'number') ? cannotCreateList() : undefined;
  }
  return missing.some((segment) => typeof segment === 'number') ? cannotCreateList() : undefined;
}

function cannotCreateList(): string {
  return 'cannot create a list item that does not exist here; set the whole list instead, like [a, b]';
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function isFlowCollection(node: unknown): node is YAMLMap | YAMLSeq {
  return (isMap(node) || isSeq(node)) && node.flow === true;
}

/** The intended data: `before` with the edit applied (never mutates `before`). */
function applyPlain(before: unknown, path: readonly PathSegment[], edit: YamlEdit): unknown {
  const root = structuredClone(before ?? {}) as Record<string, unknown>;
  let node: Record<string | number, unknown> = root;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (next === null || next === undefined || typeof next !== 'object') node[segment] = {};
    node = node[segment] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1] ?? '';
  if (edit.kind === 'set') node[last] = structuredClone(edit.value);
  else if (Array.isArray(node) && typeof last === 'number') node.splice(last, 1);
  else Reflect.deleteProperty(node, last);
  return root;
}

function getPlain(data: unknown, path: readonly PathSegment[]): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** The value of `nested(keys, value)`: `{k1: {k2: value}}`, or `value` itself for no keys. */
function nest(keys: readonly PathSegment[], value: unknown): unknown {
  return keys.reduceRight<unknown>((inner, key) => ({ [String(key)]: inner }), value);
}

function matches(text: string, expected: unknown): boolean {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0 || doc.warnings.length > 0) return false;
  const data = (doc.toJS({ maxAliasCount: 100 }) as unknown) ?? {};
  return canonicalJson(data) === canonicalJson(expected);
}

/** The splice for the edit, or `undefined` when the layout needs the Document API fallback. */
function planSplice(
  text: string,
  walked: Walk,
  edit: YamlEdit,
  expected: unknown,
): Splice | undefined {
  const layout = new TextLayout(text);
  const { steps, resolved, missing, holder } = walked;

  // Inside a flow collection (`[a, b]`, `{x: 1}`) the outermost one is rewritten whole, inline.
  const flowDepth = steps.findIndex((step) => isFlowCollection(step.container));
  const holderIsFlow = missing.length > 0 && isFlowCollection(holder);
  if (flowDepth === 0 || (holderIsFlow && steps.length === 0)) return undefined;
  if (flowDepth > 0 || holderIsFlow) {
    const depth = flowDepth > 0 ? flowDepth : steps.length;
    const step = steps[depth - 1];
    if (step === undefined) return undefined;
    return layout.replace(step, getPlain(expected, resolved.slice(0, depth)), true);
  }

  if (edit.kind === 'delete') return planDelete(layout, steps);
  if (missing.length === 0) {
    const step = steps[steps.length - 1];
    return step === undefined ? undefined : layout.replace(step, edit.value, false);
  }
  const nested = nest(missing.slice(1), edit.value);
  if (holder === undefined) return layout.appendToRoot(missing.map(String), edit.value);
  if (isMap(holder)) return layout.insertPair(holder, missing.map(String), edit.value);
  if (isSeq(holder)) return layout.appendItem(holder, nested);
  // A key written with no value (`teams:`): the new keys become its value.
  const step = steps[steps.length - 1];
  return step === undefined ? undefined : layout.replace(step, nest(missing, edit.value), false);
}

function planDelete(layout: TextLayout, steps: readonly Step[]): Splice | undefined {
  const step = steps[steps.length - 1];
  const parent = steps[steps.length - 2];
  if (step === undefined) return undefined;
  // The last entry of a nested collection leaves it empty: write `{}` or `[]` in its place.
  if (step.container.items.length === 1 && parent !== undefined) {
    return layout.replace(parent, isSeq(step.container) ? [] : {}, true);
  }
  if (isSeq(step.container) && typeof step.key === 'number') {
    return layout.deleteItem(step.container, step.key);
  }
  return isMap(step.container) && step.pair !== undefined
    ? layout.deletePair(step.container, step.pair)
    : undefined;
}

/** The Document API fallback: edit the node tree and serialise the whole document. */
function reformat(doc: Document, walked: Walk, edit: YamlEdit): string | undefined {
  const clone = doc.clone();
  try {
    if (edit.kind === 'delete') {
      clone.deleteIn(walked.resolved);
    } else if (walked.missing.length > 0 && isNullValue(walked.holder) && walked.steps.length > 0) {
      clone.setIn(walked.resolved, clone.createNode(nest(walked.missing, edit.value)));
    } else {
      clone.setIn([...walked.resolved, ...walked.missing], clone.createNode(edit.value));
    }
    return clone.toString(REFORMAT_OPTIONS);
  } catch {
    return undefined;
  }
}
