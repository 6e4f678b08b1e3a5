/** One tool call as shown in the reply. */
export interface ToolTraceEntry {
  readonly name: string;
  readonly argumentsJson: string;
  readonly result: string;
  readonly isError: boolean;
}

const MAX_ARGS = 120;
const MAX_RESULT = 200;

function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * A compact trace of the tool calls made so far, as Markdown lines ahead of the answer:
 * `🔧 calculator {"expression":"2+2"} → 4`. Long arguments and results are shortened.
 */
export function formatToolTrace(entries: readonly ToolTraceEntry[]): string {
  const short = entries.filter((entry) => !isLong(entry));
  if (short.length === 0) return '';
  const lines = short.map((entry) => {
    const args = shorten(entry.argumentsJson, MAX_ARGS);
    const result = shorten(entry.result, MAX_RESULT);
    return `🔧 \`${entry.name}\` \`${args.replace(/`/g, "'")}\` ${entry.isError ? '⚠️' : '→'} ${result.replace(/`/g, "'")}`;
  });
  return `${lines.join('  \n')}\n\n`;
}

/** Results longer than this go into a collapsible block instead of the trace line. */
const LONG_RESULT = MAX_RESULT;
/** The most of one tool result shown in its collapsible block. */
const MAX_DETAILS = 8_000;

function isLong(entry: ToolTraceEntry): boolean {
  return entry.result.length > LONG_RESULT;
}

/**
 * Collapsible blocks (`<details>` in the HTML) for tool calls whose result is too long for a
 * trace line: the summary names the tool and its arguments, the block holds the result.
 */
export function toolTraceDetails(
  entries: readonly ToolTraceEntry[],
): { readonly summary: string; readonly text: string }[] {
  return entries.filter(isLong).map((entry) => ({
    summary: `🔧 ${entry.name} ${shorten(entry.argumentsJson, MAX_ARGS)}${entry.isError ? ' ⚠️' : ''} (${entry.result.length} characters)`,
    text:
      entry.result.length > MAX_DETAILS ? `${entry.result.slice(0, MAX_DETAILS)}\n…` : entry.result,
  }));
}
