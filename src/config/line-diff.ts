/**
 * A minimal line diff in unified format, for showing a person exactly what a config change
 * writes before they confirm it.
 */

/** Lines of unchanged context around each change; the default of {@link unifiedLineDiff}. */
export const DEFAULT_DIFF_CONTEXT_LINES = 2;

/**
 * Above this many cells (changed old lines × changed new lines) the diff stops looking for a
 * longest common subsequence and shows the changed region as removed then added: still
 * correct, only less minimal, and bounded in time and memory.
 */
const MAX_LCS_CELLS = 4_000_000;

type Op = { readonly kind: ' ' | '-' | '+'; readonly line: string };

/**
 * The unified diff of `oldText` → `newText`, line by line: hunks headed
 * `@@ -oldStart,oldCount +newStart,newCount @@`, lines prefixed `' '`, `-` or `+`, with
 * `contextLines` unchanged lines around each change (hunks closer than twice that merge).
 * No `---`/`+++` file header. `''` when the texts are equal. A final line without a newline is
 * compared like any other (a difference only in the final newline shows as that line changed).
 */
export function unifiedLineDiff(
  oldText: string,
  newText: string,
  contextLines: number = DEFAULT_DIFF_CONTEXT_LINES,
): string {
  if (oldText === newText) return '';
  const ops = diffLines(splitLines(oldText), splitLines(newText));
  return formatHunks(ops, Math.max(0, contextLines));
}

/** Lines of `text`, keeping a final line without newline distinct from one with it. */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines[lines.length - 1] = `${lines[lines.length - 1] ?? ''}\n\\ No newline at end of file`;
  return lines;
}

function diffLines(before: readonly string[], after: readonly string[]): Op[] {
  // Common prefix and suffix first: a config edit touches a few lines of a long file.
  let prefix = 0;
  while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) {
    prefix++;
  }
  let suffix = 0;
  while (
    suffix < before.length - prefix &&
    suffix < after.length - prefix &&
    before[before.length - 1 - suffix] === after[after.length - 1 - suffix]
  ) {
    suffix++;
  }
  const oldMid = before.slice(prefix, before.length - suffix);
  const newMid = after.slice(prefix, after.length - suffix);
  const same = (line: string): Op => ({ kind: ' ', line });
  return [
    ...before.slice(0, prefix).map(same),
    ...diffMiddle(oldMid, newMid),
    ...before.slice(before.length - suffix).map(same),
  ];
}

/** Longest-common-subsequence diff of the changed middle; removals come before additions. */
function diffMiddle(before: readonly string[], after: readonly string[]): Op[] {
  const n = before.length;
  const m = after.length;
  if (n === 0 || m === 0 || n * m > MAX_LCS_CELLS) {
    return [
      ...before.map((line): Op => ({ kind: '-', line })),
      ...after.map((line): Op => ({ kind: '+', line })),
    ];
  }
  // lengths[i][j]: LCS length of before[i..] and after[j..], in one flat array.
  const width = m + 1;
  const lengths = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * width + j] =
        before[i] === after[j]
          ? (lengths[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(lengths[(i + 1) * width + j] ?? 0, lengths[i * width + j + 1] ?? 0);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (before[i] === after[j]) {
      ops.push({ kind: ' ', line: before[i] ?? '' });
      i++;
      j++;
    } else if ((lengths[(i + 1) * width + j] ?? 0) >= (lengths[i * width + j + 1] ?? 0)) {
      ops.push({ kind: '-', line: before[i] ?? '' });
      i++;
    } else {
      ops.push({ kind: '+', line: after[j] ?? '' });
      j++;
    }
  }
  for (; i < n; i++) ops.push({ kind: '-', line: before[i] ?? '' });
  for (; j < m; j++) ops.push({ kind: '+', line: after[j] ?? '' });
  return ops;
}

function formatHunks(ops: readonly Op[], context: number): string {
  const changed = ops.flatMap((op, index) => (op.kind === ' ' ? [] : [index]));
  const hunks: { start: number; end: number }[] = [];
  for (const index of changed) {
    const start = Math.max(0, index - context);
    const end = Math.min(ops.length, index + context + 1);
    const last = hunks[hunks.length - 1];
    if (last !== undefined && start <= last.end) last.end = Math.max(last.end, end);
    else hunks.push({ start, end });
  }
  // Line numbers before each op, to head each hunk.
  const oldLineAt: number[] = [];
  const newLineAt: number[] = [];
  let oldLine = 1;
  let newLine = 1;
  for (const op of ops) {
    oldLineAt.push(oldLine);
    newLineAt.push(newLine);
    if (op.kind !== '+') oldLine++;
    if (op.kind !== '-') newLine++;
  }
  const out: string[] = [];
  for (const { start, end } of hunks) {
    const slice = ops.slice(start, end);
    const oldCount = slice.filter((op) => op.kind !== '+').length;
    const newCount = slice.filter((op) => op.kind !== '-').length;
    // As in GNU diff, an empty side is numbered by the line before it.
    const oldStart = (oldLineAt[start] ?? 1) - (oldCount === 0 ? 1 : 0);
    const newStart = (newLineAt[start] ?? 1) - (newCount === 0 ? 1 : 0);
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const op of slice) out.push(`${op.kind}${op.line}`);
  }
  return out.join('\n');
}
