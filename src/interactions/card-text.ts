/** Small Markdown helpers shared by the interaction cards. */

/**
 * `text` in a fenced code block whose fence is longer than any run of backticks inside, so
 * the content can never close it early.
 */
export function fenced(text: string, language = ''): string {
  const longestRun = longestBacktickRun(text);
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}${language}\n${text}\n${fence}`;
}

/** `text` as inline code, with a delimiter no run of backticks inside can close. */
export function inlineCode(text: string): string {
  const longestRun = longestBacktickRun(text);
  const ticks = '`'.repeat(longestRun + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** The longest run of backticks in `text` (a loop: a spread of every run overflows the stack). */
function longestBacktickRun(text: string): number {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    run = text.charCodeAt(i) === 0x60 ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

/** `text` on one line: line breaks become spaces (an option or a question title). */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

const UNITS: readonly (readonly [number, string])[] = [
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1_000, 'second'],
];

/** A duration for people: the largest unit it reaches, to one decimal (`7 days`, `1.5 hours`). */
export function formatDuration(ms: number): string {
  for (const [unitMs, name] of UNITS) {
    if (ms >= unitMs) {
      const amount = Math.round((ms / unitMs) * 10) / 10;
      return `${amount} ${name}${amount === 1 ? '' : 's'}`;
    }
  }
  return 'a moment';
}
