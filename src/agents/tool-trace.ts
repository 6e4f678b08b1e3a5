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
  if (entries.length === 0) return '';
  const lines = entries.map((entry) => {
    const args = shorten(entry.argumentsJson, MAX_ARGS);
    const result = shorten(entry.result, MAX_RESULT);
    return `🔧 \`${entry.name}\` \`${args.replace(/`/g, "'")}\` ${entry.isError ? '⚠️' : '→'} ${result.replace(/`/g, "'")}`;
  });
  return `${lines.join('  \n')}\n\n`;
}
