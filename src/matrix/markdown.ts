/**
 * Markdown (and plain text) to the `body` / `formatted_body` pair of an `m.room.message`.
 *
 * Safe by construction rather than by sanitising afterwards: markdown-it runs with
 * `html: false`, so any raw HTML in the input is escaped text, attributes are escaped by the
 * renderer, and links pass `validateLink` (http, https, mailto only; matrix.to is https).
 * Images become links because a Matrix `<img>` may only point at `mxc://` media.
 */
import markdownIt from 'markdown-it';
import type { Env, MarkdownIt, Token } from 'markdown-it';
import type { UserId } from '../shared/index.js';
import { localpartOf } from '../shared/index.js';

/** `body` is what clients without HTML support show; `formattedBody` is absent when not needed. */
export interface RenderedText {
  readonly body: string;
  readonly formattedBody: string | undefined;
}

/** Options of {@link renderMarkdown} and {@link renderPlain}. */
export interface RenderOptions {
  /**
   * Users to turn into pills (`<a href="https://matrix.to/#/@user:server">`) wherever their id
   * or `@localpart` appears in the text (outside code and links).
   */
  readonly mentions?: readonly UserId[];
}

interface RenderEnv extends Env {
  readonly mentionPattern: RegExp | undefined;
  readonly mentionTarget: (match: string) => UserId | undefined;
}

const ALLOWED_LINK = /^(https?:|mailto:)/i;

const md: MarkdownIt = createRenderer();

function createRenderer(): MarkdownIt {
  const renderer = markdownIt({ html: false, linkify: true, breaks: true, typographer: false });
  // Without a scheme, linkify-it turns file names into links (`main.py` is a Paraguayan host).
  renderer.linkify.set({ fuzzyLink: false });
  renderer.validateLink = (url) => ALLOWED_LINK.test(url.trim());
  renderer.renderer.rules['image'] = (tokens, index, _options, _env, self) => {
    const token = tokens[index];
    if (token === undefined) return '';
    const src = String(token.attrGet('src') ?? '');
    const alt = self.renderInlineAsText(token.children ?? [], _options, _env);
    const label = alt === '' ? src : alt;
    return `<a href="${renderer.utils.escapeHtml(src)}">${renderer.utils.escapeHtml(label)}</a>`;
  };
  // After text_join, so each run of text is one token; linkify has already run and skipped
  // nothing we care about (no fuzzy links means `example.org` in a user id stays text).
  renderer.core.ruler.after('text_join', 'quorum_pills', (state) => {
    const env = state.env as Partial<RenderEnv>;
    if (env.mentionPattern === undefined || env.mentionTarget === undefined) return;
    const pills: RenderEnv = {
      mentionPattern: env.mentionPattern,
      mentionTarget: env.mentionTarget,
    };
    for (const block of state.tokens) {
      if (block.type !== 'inline' || block.children === null) continue;
      block.children = insertPills(block.children, pills, state.Token);
    }
  });
  return renderer;
}

type TokenClass = new (type: string, tag: string, nesting: -1 | 0 | 1) => Token;

function insertPills(children: Token[], env: RenderEnv, TokenCtor: TokenClass): Token[] {
  const out: Token[] = [];
  let linkDepth = 0;
  for (const token of children) {
    if (token.type === 'link_open') linkDepth++;
    if (token.type === 'link_close') linkDepth--;
    if (token.type !== 'text' || linkDepth > 0) {
      out.push(token);
      continue;
    }
    for (const piece of splitMentions(token.content, env)) {
      if (piece.userId === undefined) {
        const text = new TokenCtor('text', '', 0);
        text.content = piece.text;
        out.push(text);
        continue;
      }
      const open = new TokenCtor('link_open', 'a', 1);
      open.attrs = [['href', pillHref(piece.userId)]];
      const label = new TokenCtor('text', '', 0);
      label.content = piece.text;
      out.push(open, label, new TokenCtor('link_close', 'a', -1));
    }
  }
  return out;
}

interface Piece {
  readonly text: string;
  readonly userId: UserId | undefined;
}

function splitMentions(text: string, env: RenderEnv): Piece[] {
  const pattern = env.mentionPattern;
  if (pattern === undefined) return [{ text, userId: undefined }];
  const pieces: Piece[] = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const mention = match[2] ?? '';
    const start = match.index + (match[1]?.length ?? 0);
    const userId = env.mentionTarget(mention);
    if (userId === undefined) continue;
    if (start > last) pieces.push({ text: text.slice(last, start), userId: undefined });
    pieces.push({ text: mention, userId });
    last = start + mention.length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last), userId: undefined });
  return pieces;
}

/** `https://matrix.to/#/@alice:example.org`, the link Matrix clients render as a pill. */
export function pillHref(userId: UserId): string {
  return `https://matrix.to/#/${userId}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A pattern matching any mentioned user as `@user:server` or `@localpart`, not glued to a
 * longer id (`@alice` must not match inside `@alice2` or `@alice:other.org`). Group 1 is the
 * preceding character, group 2 the mention.
 */
function mentionEnv(mentions: readonly UserId[] | undefined): RenderEnv {
  if (mentions === undefined || mentions.length === 0) {
    return { mentionPattern: undefined, mentionTarget: () => undefined };
  }
  const byText = new Map<string, UserId>();
  for (const userId of mentions) {
    byText.set(userId.toLowerCase(), userId);
    const short = `@${localpartOf(userId)}`.toLowerCase();
    if (!byText.has(short)) byText.set(short, userId);
  }
  const alternatives = [...byText.keys()]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
    .join('|');
  return {
    mentionPattern: new RegExp(
      `(^|[^A-Za-z0-9_.=/+-])(${alternatives})(?![A-Za-z0-9_.=/+-]|:[A-Za-z0-9])`,
      'gi',
    ),
    mentionTarget: (match) => byText.get(match.toLowerCase()),
  };
}

/**
 * Renders Markdown for a message. `body` is the Markdown source as given (readable as is);
 * `formattedBody` is sanitised HTML, or `undefined` when the text has no formatting at all (it
 * renders to a single paragraph whose text equals the input), so plain messages stay plain.
 */
export function renderMarkdown(text: string, options: RenderOptions = {}): RenderedText {
  const env = mentionEnv(options.mentions);
  const html = md.render(text, env).trimEnd();
  return { body: text, formattedBody: isJustText(html, text) ? undefined : html };
}

/**
 * Renders plain text for a message: the body as given, and HTML (escaped text, `<br>` for line
 * breaks) only when a mentioned user appears in it and needs a pill.
 */
export function renderPlain(text: string, options: RenderOptions = {}): RenderedText {
  const env = mentionEnv(options.mentions);
  const pieces = splitMentions(text, env);
  if (pieces.every((piece) => piece.userId === undefined)) {
    return { body: text, formattedBody: undefined };
  }
  const html = pieces
    .map((piece) =>
      piece.userId === undefined
        ? md.utils.escapeHtml(piece.text).replace(/\r?\n/g, '<br>\n')
        : `<a href="${md.utils.escapeHtml(pillHref(piece.userId))}">${md.utils.escapeHtml(piece.text)}</a>`,
    )
    .join('');
  return { body: text, formattedBody: html };
}

/** True when `html` is one paragraph of unformatted text equal to `source`. */
function isJustText(html: string, source: string): boolean {
  const match = /^<p>([\s\S]*)<\/p>$/.exec(html);
  if (match === null) return html === '';
  const inner = (match[1] ?? '').replace(/<br>\n/g, '\n');
  if (inner.includes('<')) return false;
  return unescapeHtml(inner) === source.trim();
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}
