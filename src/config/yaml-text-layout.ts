/**
 * Where things are in a YAML file's text, and the splices that change one node of it: the
 * text-level half of `editYamlText`.
 */
import { isMap, isScalar, isSeq } from 'yaml';
import type { Pair, YAMLMap, YAMLSeq } from 'yaml';
import {
  isNonEmptyCollection,
  joinAtColumn,
  nestedPairLines,
  renderBlock,
  renderInline,
  shouldInline,
} from './yaml-render.js';

/** A resolved step of the path: the value at `key` of `container`. */
export interface Step {
  readonly container: YAMLMap | YAMLSeq;
  readonly key: string | number;
  readonly pair: Pair | undefined;
  readonly node: unknown;
}

/** Replace `text[start, end)` with `insert`. */
export interface Splice {
  readonly start: number;
  readonly end: number;
  readonly insert: string;
}

/** A value written as nothing (`key:`), `null` or `~`. */
export function isNullValue(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

/** A map or list written one entry per line (not `{…}`/`[…]`). */
export function isBlockCollection(node: unknown): node is YAMLMap | YAMLSeq {
  return (isMap(node) || isSeq(node)) && node.flow !== true;
}

/**
 * Offsets, lines and columns of the original text, and the splices built on them. Each method
 * returns `undefined` for a layout it does not handle; the caller then falls back.
 */
export class TextLayout {
  constructor(private readonly text: string) {}

  /** The value at `step` replaced by `value`, inline (forced, or by choice) or in block form. */
  replace(step: Step, value: unknown, forceInline: boolean): Splice | undefined {
    const node = step.node;
    const range = rangeOf(node);
    const isEmpty = isNullValue(node) && (range === undefined || range[0] === range[1]);
    const isMultiLine = isBlockCollection(node) || isBlockScalar(node);
    const inline =
      forceInline ||
      (shouldInline(value) && !(isBlockCollection(node) && isNonEmptyCollection(value)));
    if (step.pair === undefined) {
      // A list item: the value follows `- ` and can take any form there.
      if (range === undefined || isEmpty) return undefined;
      const end = isMultiLine || !inline ? this.nodeLineEnd(range) : range[1];
      const insert = inline
        ? renderInline(value)
        : joinAtColumn(renderBlock(value), this.column(range[0]));
      return { start: range[0], end, insert };
    }
    const keyRange = rangeOf(step.pair.key);
    if (keyRange === undefined) return undefined;
    const colon = this.colonAfter(keyRange[1]);
    if (colon === undefined) return undefined;
    if (inline) {
      const rendered = renderInline(value);
      if (isEmpty) return { start: colon + 1, end: colon + 1, insert: ` ${rendered}` };
      if (range === undefined) return undefined;
      if (isMultiLine)
        return { start: colon + 1, end: this.nodeLineEnd(range), insert: ` ${rendered}` };
      return { start: range[0], end: range[1], insert: rendered };
    }
    const lines = renderBlock(value);
    if (range !== undefined && isBlockCollection(node)) {
      return {
        start: range[0],
        end: this.nodeLineEnd(range),
        insert: joinAtColumn(lines, this.column(range[0])),
      };
    }
    const indent = ' '.repeat(this.column(keyRange[0]) + 2);
    const block = lines.map((line) => `\n${indent}${line}`).join('');
    if (isEmpty) {
      const at = this.lineEnd(colon);
      return { start: at, end: at, insert: block };
    }
    if (range === undefined) return undefined;
    return { start: colon + 1, end: this.nodeLineEnd(range), insert: block };
  }

  /** New `keys[0]: …` entry at the end of the block map `map`. */
  insertPair(map: YAMLMap, keys: readonly string[], value: unknown): Splice | undefined {
    const first = rangeOf(map.items[0]?.key);
    const last = map.items[map.items.length - 1];
    const lastRange = rangeOf(last?.value) ?? rangeOf(last?.key);
    if (first === undefined || lastRange === undefined) return undefined;
    const column = this.column(first[0]);
    const at = this.nodeLineEnd(lastRange);
    const lines = nestedPairLines(keys, value);
    return { start: at, end: at, insert: `\n${' '.repeat(column)}${joinAtColumn(lines, column)}` };
  }

  /** New `- item` at the end of the block list `seq`. */
  appendItem(seq: YAMLSeq, value: unknown): Splice | undefined {
    const first = rangeOf(seq.items[0]);
    const last = rangeOf(seq.items[seq.items.length - 1]);
    if (first === undefined || last === undefined) return undefined;
    const dash = this.text.lastIndexOf('-', first[0]);
    if (dash < this.lineStart(first[0])) return undefined;
    const column = this.column(dash);
    const at = this.nodeLineEnd(last);
    const item =
      isNonEmptyCollection(value) && !shouldInline(value)
        ? joinAtColumn(renderBlock(value), column + 2)
        : renderInline(value);
    return { start: at, end: at, insert: `\n${' '.repeat(column)}- ${item}` };
  }

  /** Keys appended to a file with no content (empty, or comments only). */
  appendToRoot(keys: readonly string[], value: unknown): Splice {
    const lines = nestedPairLines(keys, value);
    const separator = this.text === '' || this.text.endsWith('\n') ? '' : '\n';
    const end = this.text.length;
    return { start: end, end, insert: `${separator}${lines.join('\n')}\n` };
  }

  /** The lines of one `key: value` entry removed. */
  deletePair(map: YAMLMap, pair: Pair): Splice | undefined {
    const keyRange = rangeOf(pair.key);
    if (keyRange === undefined) return undefined;
    const valueRange = rangeOf(pair.value);
    const end = this.nodeLineEnd(valueRange ?? keyRange);
    const lineStart = this.lineStart(keyRange[0]);
    if (/^[ \t]*$/.test(this.text.slice(lineStart, keyRange[0]))) {
      return this.removeLines(lineStart, end);
    }
    // The first entry of a list item's map (`- key: v`): the next entry moves up after `- `.
    const next = rangeOf(map.items[1]?.key);
    if (map.items[0] !== pair || next === undefined) return undefined;
    return { start: keyRange[0], end: next[0], insert: '' };
  }

  /** The lines of one `- item` removed. */
  deleteItem(seq: YAMLSeq, index: number): Splice | undefined {
    const range = rangeOf(seq.items[index]);
    if (range === undefined) return undefined;
    const lineStart = this.lineStart(range[0]);
    if (!/^[ \t]*-[ \t]+$/.test(this.text.slice(lineStart, range[0]))) return undefined;
    return this.removeLines(lineStart, this.nodeLineEnd(range));
  }

  /**
   * Removes whole lines from `start` (a line start) to `end` (a line end). A blank line left
   * above them is removed too when a blank line (or the end of the file) follows, so removing
   * a block between two blank-line-separated blocks leaves one separator, not two.
   */
  private removeLines(start: number, end: number): Splice {
    const after = this.afterNewline(end);
    const previousStart = this.lineStart(Math.max(0, start - 1));
    const isPreviousBlank =
      start > 0 && /^[ \t]*\r?$/.test(this.text.slice(previousStart, start - 1));
    const isNextBlank =
      after >= this.text.length || /^[ \t]*\r?(\n|$)/.test(this.text.slice(after));
    return {
      start: isPreviousBlank && isNextBlank ? previousStart : start,
      end: after,
      insert: '',
    };
  }

  private column(offset: number): number {
    return offset - this.lineStart(offset);
  }

  private lineStart(offset: number): number {
    return this.text.lastIndexOf('\n', offset - 1) + 1;
  }

  /** Offset of the line break ending the line at `offset` (before `\r\n` in a CRLF file). */
  private lineEnd(offset: number): number {
    const newline = this.text.indexOf('\n', offset);
    if (newline === -1) return this.text.length;
    return this.text[newline - 1] === '\r' ? newline - 1 : newline;
  }

  private afterNewline(offset: number): number {
    if (this.text.startsWith('\r\n', offset)) return offset + 2;
    return this.text[offset] === '\n' ? offset + 1 : offset;
  }

  /** End of the last line holding the node's content (a trailing comment on it included). */
  private nodeLineEnd(range: readonly [number, number, number]): number {
    let end = range[1];
    while (end > range[0] && /\s/.test(this.text[end - 1] ?? '')) end--;
    return this.lineEnd(Math.max(range[0], end - 1));
  }

  /** Offset of the `:` after a mapping key (spaces allowed between). */
  private colonAfter(offset: number): number | undefined {
    let at = offset;
    while (this.text[at] === ' ' || this.text[at] === '\t') at++;
    return this.text[at] === ':' ? at : undefined;
  }
}

function rangeOf(node: unknown): readonly [number, number, number] | undefined {
  if (node === null || typeof node !== 'object' || !('range' in node)) return undefined;
  const range = (node as { range?: unknown }).range;
  return Array.isArray(range) && range.length === 3
    ? (range as unknown as readonly [number, number, number])
    : undefined;
}

function isBlockScalar(node: unknown): boolean {
  return isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED');
}
