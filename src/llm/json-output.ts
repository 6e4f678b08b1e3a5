/**
 * Reading structured output from model text. Even with `responseFormat`, OpenAI-compatible
 * servers that ignore `response_format` (and models that chat anyway) wrap the JSON in prose
 * or Markdown code fences, so callers parse leniently and validate the fields themselves.
 */

const FENCE = /```(?:json|JSON)?\s*\n?([\s\S]*?)```/g;

/**
 * The first JSON object in `text`: the whole text when it is one, else the contents of a
 * code fence, else the first balanced `{…}` span that parses. Returns `undefined` when there
 * is none (arrays and scalars do not count). Never throws.
 */
export function parseJsonObject(text: string): Readonly<Record<string, unknown>> | undefined {
  const candidates = [text.trim(), ...[...text.matchAll(FENCE)].map((match) => match[1] ?? '')];
  for (const candidate of candidates) {
    const whole = asObject(tryParse(candidate.trim()));
    if (whole !== undefined) return whole;
  }
  for (const span of objectSpans(text)) {
    const parsed = asObject(tryParse(span));
    if (parsed !== undefined) return parsed;
  }
  return undefined;
}

function tryParse(text: string): unknown {
  if (!text.startsWith('{')) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Opening braces tried at most: each try scans to the end of the text, and model output full
 * of stray braces must not cost quadratic time.
 */
const MAX_SPAN_STARTS = 20;

/** Balanced `{…}` spans in order of their opening brace, skipping braces inside strings. */
function* objectSpans(text: string): Generator<string> {
  let tries = 0;
  for (
    let start = text.indexOf('{');
    start !== -1 && tries < MAX_SPAN_STARTS;
    start = text.indexOf('{', start + 1), tries++
  ) {
    let depth = 0;
    let inString = false;
    let isEscaped = false;
    for (let i = start; i < text.length; i++) {
      const char = text[i];
      if (inString) {
        if (isEscaped) isEscaped = false;
        else if (char === '\\') isEscaped = true;
        else if (char === '"') inString = false;
        continue;
      }
      if (char === '"') inString = true;
      else if (char === '{') depth++;
      else if (char === '}') {
        depth--;
        if (depth === 0) {
          yield text.slice(start, i + 1);
          break;
        }
      }
    }
  }
}
