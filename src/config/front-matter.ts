/**
 * Markdown front matter (`---` YAML `---` at the top of a file), as used by `SKILL.md`
 * files. It lives in config/ because the YAML parser may only be imported here; callers get
 * plain data back.
 */
import { LineCounter, parseDocument } from 'yaml';

/**
 * A parsed Markdown file. `data` is the front matter mapping (`{}` when the file has none or
 * it is empty) and `body` the text after its closing `---` (the whole text when there is
 * none). On failure, `message` says what is wrong, with the file line where the YAML
 * problem is.
 */
export type FrontMatterResult =
  | {
      readonly ok: true;
      readonly data: Readonly<Record<string, unknown>>;
      readonly body: string;
      readonly hasFrontMatter: boolean;
    }
  | { readonly ok: false; readonly message: string };

// The opening `---` must be the first line; the block ends at the next line that is `---`.
const FRONT_MATTER = /^---[ \t]*\r?\n(?:([\s\S]*?)\r?\n)?---[ \t]*(?:\r?\n|$)/;

/**
 * Splits `text` into front matter and body and parses the front matter as YAML (safe
 * scalars only: no custom tags, aliases expanded at most 100 times). A leading byte order
 * mark is ignored. Front matter that is not a mapping (a list, a bare string) is a failure,
 * as is invalid YAML; a file without front matter is not.
 */
export function parseFrontMatter(text: string): FrontMatterResult {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const match = FRONT_MATTER.exec(source);
  if (match === null) return { ok: true, data: {}, body: source, hasFrontMatter: false };
  const yamlText = match[1] ?? '';
  const body = source.slice(match[0].length);
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: false });
  const [problem] = doc.errors;
  if (problem !== undefined) {
    // +1: the YAML starts on the file's second line, after the opening `---`.
    const line = lineCounter.linePos(problem.pos[0]).line + 1;
    const message = problem.message.split('\n')[0] ?? problem.message;
    return { ok: false, message: `front matter is not valid YAML (line ${line}): ${message}` };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `front matter is not valid YAML: ${message}` };
  }
  if (data === null || data === undefined)
    return { ok: true, data: {}, body, hasFrontMatter: true };
  if (typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, message: 'front matter must be a mapping of keys to values' };
  }
  return { ok: true, data: data as Record<string, unknown>, body, hasFrontMatter: true };
}
