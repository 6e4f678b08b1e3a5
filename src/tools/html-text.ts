/**
 * Web pages as readable text, with html-to-text (htmlparser2 underneath: a linear-time
 * tokenizer, no backtracking regular expressions over the page). Scripts, styles, images and
 * forms are dropped; links keep their URL in brackets; input length and nesting are capped.
 */
import { compile } from 'html-to-text';

const MAX_DEPTH = 64;

/** `html` as plain text; input past `maxInputChars` is ignored (the caller caps bytes first). */
export function htmlToText(html: string, maxInputChars: number): string {
  return converterFor(maxInputChars)(html)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const converters = new Map<number, (html: string) => string>();

function converterFor(maxInputChars: number): (html: string) => string {
  const cached = converters.get(maxInputChars);
  if (cached !== undefined) return cached;
  const converter = compile({
    wordwrap: false,
    limits: { maxInputLength: maxInputChars, maxDepth: MAX_DEPTH, ellipsis: '…' },
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'noscript', format: 'skip' },
      { selector: 'svg', format: 'skip' },
      { selector: 'form', format: 'skip' },
      { selector: 'nav', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true, noAnchorUrl: true } },
    ],
  });
  if (converters.size > 8) converters.clear();
  converters.set(maxInputChars, converter);
  return converter;
}
