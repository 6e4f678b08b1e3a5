/**
 * The `href`s of `<a>` tags in untrusted HTML (a message's `formatted_body`), found by a
 * single forward scan: every character is looked at a bounded number of times, whatever the
 * input, so hostile markup (`<a <a <a …`, unterminated quotes, megabytes of tags) costs time
 * linear in the part scanned. No regular expression runs over the HTML.
 *
 * It is not an HTML parser: comments, CDATA and entities other than the five XML ones are not
 * interpreted. It only has to find the links Matrix clients write (`<a href="…">`).
 */

/** Limits of {@link linkHrefs}. */
export interface LinkScanLimits {
  /** Only this many leading characters are scanned (default 100,000). */
  readonly maxChars?: number;
  /** Scanning stops after this many links (default 100). */
  readonly maxLinks?: number;
}

/** Default {@link LinkScanLimits.maxChars}: far above Matrix's 64 KiB event size limit. */
export const MAX_SCANNED_HTML_CHARS = 100_000;
/** Default {@link LinkScanLimits.maxLinks}. */
export const MAX_SCANNED_LINKS = 100;

const TAB = 9;
const LINE_FEED = 10;
const FORM_FEED = 12;
const CARRIAGE_RETURN = 13;
const SPACE = 32;

function isSpace(code: number): boolean {
  return (
    code === SPACE ||
    code === TAB ||
    code === LINE_FEED ||
    code === CARRIAGE_RETURN ||
    code === FORM_FEED
  );
}

/**
 * The decoded `href` values of the `<a …>` start tags in `html`, in order. Attribute values
 * may be double-quoted, single-quoted or unquoted; `&quot; &#39; &lt; &gt; &amp;` are decoded.
 */
export function linkHrefs(html: string, limits: LinkScanLimits = {}): string[] {
  const end = Math.min(html.length, limits.maxChars ?? MAX_SCANNED_HTML_CHARS);
  const maxLinks = limits.maxLinks ?? MAX_SCANNED_LINKS;
  const hrefs: string[] = [];
  let at = 0;
  while (at < end && hrefs.length < maxLinks) {
    const open = html.indexOf('<', at);
    if (open === -1 || open + 2 >= end) break;
    const name = html.charCodeAt(open + 1) | 0x20; // ASCII lower case
    const after = html.charCodeAt(open + 2);
    if (name !== 0x61 /* a */ || !(isSpace(after) || after === 0x3e /* > */ || after === 0x2f)) {
      at = open + 1;
      continue;
    }
    const tag = scanTag(html, open + 2, end);
    if (tag.href !== undefined) hrefs.push(decodeEntities(tag.href));
    at = tag.next;
  }
  return hrefs;
}

/**
 * Reads the attributes of a start tag from `from` to its `>` (or `end`); returns its `href`
 * (the first one) and where scanning continues. Each character is consumed once.
 */
function scanTag(html: string, from: number, end: number): { href?: string; next: number } {
  let at = from;
  let href: string | undefined;
  while (at < end) {
    const code = html.charCodeAt(at);
    if (code === 0x3e /* > */)
      return href === undefined ? { next: at + 1 } : { href, next: at + 1 };
    if (isSpace(code) || code === 0x2f /* / */) {
      at++;
      continue;
    }
    // An attribute name, up to space, '=', '/' or '>'.
    const nameStart = at;
    while (at < end) {
      const c = html.charCodeAt(at);
      if (isSpace(c) || c === 0x3d || c === 0x3e || c === 0x2f) break;
      at++;
    }
    const isHref =
      at - nameStart === 4 &&
      (html.charCodeAt(nameStart) | 0x20) === 0x68 && // h
      (html.charCodeAt(nameStart + 1) | 0x20) === 0x72 && // r
      (html.charCodeAt(nameStart + 2) | 0x20) === 0x65 && // e
      (html.charCodeAt(nameStart + 3) | 0x20) === 0x66; // f
    while (at < end && isSpace(html.charCodeAt(at))) at++;
    if (at >= end || html.charCodeAt(at) !== 0x3d /* = */) continue;
    at++;
    while (at < end && isSpace(html.charCodeAt(at))) at++;
    const quote = html.charCodeAt(at);
    // Only the first href's value is ever copied out of the text.
    const isWanted = isHref && href === undefined;
    if (quote === 0x22 || quote === 0x27) {
      const close = html.indexOf(quote === 0x22 ? '"' : "'", at + 1);
      // An unterminated quote runs to the end: nothing after it can be a tag.
      if (close === -1 || close >= end) return { next: end };
      if (isWanted) href = html.slice(at + 1, close);
      at = close + 1;
    } else {
      const valueStart = at;
      while (at < end && !isSpace(html.charCodeAt(at)) && html.charCodeAt(at) !== 0x3e) at++;
      if (isWanted) href = html.slice(valueStart, at);
    }
  }
  return href === undefined ? { next: end } : { href, next: end };
}

/** Decodes the five XML entities (and `&#039;`) in one pass. */
function decodeEntities(value: string): string {
  if (!value.includes('&')) return value;
  return value.replace(/&(?:quot|lt|gt|amp|#0*39);/g, (entity) => {
    switch (entity) {
      case '&quot;':
        return '"';
      case '&lt;':
        return '<';
      case '&gt;':
        return '>';
      case '&amp;':
        return '&';
      default:
        return "'";
    }
  });
}
