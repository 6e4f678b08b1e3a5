/**
 * The one place that knows the values of every secret the daemon holds, and replaces them
 * wherever text leaves the process: log lines, Matrix messages, HTTP responses, model
 * requests, validation output.
 *
 * Unlike the logger's shape-based redaction (`sk-…`, `syt_…`), this is value-based: it finds
 * a homeserver's shared secret, a token without a known prefix or a password exactly. Values
 * are matched in the forms text usually carries them in: as is, JSON-escaped (inside a JSON
 * string, and inside a JSON string inside another one) and URL-encoded.
 *
 * Matching is one linear pass per text (an Aho–Corasick automaton over UTF-16 code units,
 * with a dense transition table for ASCII), rebuilt lazily after the set of secrets changed.
 */

/** What replaces a secret's value in any output. */
export const REDACTED_SECRET = '[redacted]';

/** Secrets shorter than this are ignored: replacing `1` or `true` everywhere would wreck text. */
export const DEFAULT_MIN_SECRET_LENGTH = 6;

/** Options of {@link SecretScrubber}. */
export interface SecretScrubberOptions {
  /** Shortest value treated as a secret (after trimming); default {@link DEFAULT_MIN_SECRET_LENGTH}. */
  readonly minLength?: number;
}

/** Something that removes known secret values from text; {@link SecretScrubber} implements it. */
export interface TextScrubber {
  /** `text` with every known secret value replaced by {@link REDACTED_SECRET}. */
  scrub(text: string): string;
}

const ASCII = 128;

/** One stream's scrubber (see {@link SecretScrubber.stream}). */
export interface TextStreamScrubber {
  /** The part of everything pushed so far that may be sent now, scrubbed. */
  push(text: string): string;
  /** The held-back rest, scrubbed; call once at the end. */
  flush(): string;
}

/**
 * Knows the values of all secrets, grouped by source (`env`, `config`, `accounts`, …), and
 * scrubs them out of text. Mutable: sources are replaced as secrets become known (the config
 * loads, a bot logs in); the matcher is rebuilt on the next `scrub` after a change.
 * Safe to share: one instance serves the logger, the outbox, the HTTP API and the models.
 */
export class SecretScrubber implements TextScrubber {
  private readonly sources = new Map<string, ReadonlySet<string>>();
  private readonly minLength: number;
  private matcher: Matcher | undefined;
  private isDirty = false;

  constructor(options: SecretScrubberOptions = {}) {
    this.minLength = Math.max(1, options.minLength ?? DEFAULT_MIN_SECRET_LENGTH);
  }

  /**
   * Replaces the secrets known from `source` with `values` (undefined and too short values
   * are skipped). An empty list forgets the source.
   */
  setSecrets(source: string, values: Iterable<string | undefined>): void {
    const kept = new Set<string>();
    for (const value of values) {
      if (value === undefined) continue;
      const trimmed = value.trim();
      if (trimmed.length >= this.minLength) kept.add(trimmed);
    }
    if (kept.size === 0) this.sources.delete(source);
    else this.sources.set(source, kept);
    this.isDirty = true;
  }

  /** Adds one secret to `source`, keeping the ones it already has. */
  addSecret(source: string, value: string | undefined): void {
    this.setSecrets(source, [...(this.sources.get(source) ?? []), value]);
  }

  /** How many distinct secret values are known. */
  get size(): number {
    return new Set([...this.sources.values()].flatMap((values) => [...values])).size;
  }

  /** `text` with every known secret (in any of its encoded forms) replaced by `[redacted]`. */
  scrub(text: string): string {
    const matcher = this.currentMatcher();
    if (matcher === undefined || text.length < matcher.shortest) return text;
    return matcher.replace(text);
  }

  /**
   * A scrubber for one stream of text pieces (a streamed answer): `push` returns what may be
   * sent now, holding back only a tail that could be the start of a secret (so a secret split
   * across pieces never leaves in two halves, and ordinary text is not delayed); `flush`
   * returns the rest at the end. Secrets learned meanwhile apply from the next piece.
   */
  stream(): TextStreamScrubber {
    let pending = '';
    return {
      push: (text) => {
        pending = this.scrub(pending + text);
        const held = this.currentMatcher()?.openPrefixLength(pending) ?? 0;
        const ready = pending.slice(0, pending.length - held);
        pending = pending.slice(pending.length - held);
        return ready;
      },
      flush: () => {
        const rest = this.scrub(pending);
        pending = '';
        return rest;
      },
    };
  }

  /** True when `text` contains a known secret. */
  contains(text: string): boolean {
    const matcher = this.currentMatcher();
    return matcher !== undefined && matcher.replace(text) !== text;
  }

  /**
   * A deep copy of `value` with every string scrubbed (keys too). Plain data only: objects
   * become plain objects; depth is capped at 32 levels (deeper values become `'[deep]'`).
   */
  scrubValue(value: unknown): unknown {
    return scrubDeep(value, this);
  }

  private currentMatcher(): Matcher | undefined {
    if (this.isDirty) {
      this.isDirty = false;
      const patterns = new Set<string>();
      for (const values of this.sources.values()) {
        for (const value of values) for (const form of encodedForms(value)) patterns.add(form);
      }
      this.matcher = patterns.size === 0 ? undefined : new Matcher([...patterns]);
    }
    return this.matcher;
  }
}

/**
 * A deep copy of `value` with every string (keys too) passed through `scrubber`. Plain data
 * only: objects become plain objects; nesting deeper than 32 levels becomes `'[deep]'`.
 */
export function scrubDeep(value: unknown, scrubber: TextScrubber, depth = 0): unknown {
  if (typeof value === 'string') return scrubber.scrub(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 32) return '[deep]';
  if (Array.isArray(value)) {
    return value.map((item: unknown) => scrubDeep(item, scrubber, depth + 1));
  }
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[scrubber.scrub(key)] = scrubDeep(inner, scrubber, depth + 1);
  }
  return out;
}

/** The forms a secret takes in text: as is, JSON-escaped (once and twice), URL-encoded. */
function encodedForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const doubleJson = JSON.stringify(json).slice(1, -1);
  let url = value;
  try {
    url = encodeURIComponent(value);
  } catch {
    // A lone surrogate cannot be URL-encoded; the raw form is still matched.
  }
  return [...new Set([value, json, doubleJson, url])];
}

/**
 * An Aho–Corasick automaton. ASCII transitions are a dense table with failure links folded
 * in (one lookup per character), over the ASCII characters the patterns use (all others lead
 * back to the root), so it takes 4 bytes × states × distinct characters; other characters
 * follow goto maps and failure links.
 * `longest[state]` is the longest pattern ending at that state (its own or a suffix's), which
 * is all a replacement needs: every shorter match ending at the same place lies inside it.
 */
class Matcher {
  readonly shortest: number;
  private readonly ascii: Int32Array;
  /** ASCII code → column of `ascii` (0: a character no pattern contains). */
  private readonly classOf = new Uint8Array(ASCII);
  private readonly width: number;
  private readonly wide: Map<number, number>[];
  private readonly fail: Int32Array;
  private readonly longest: Int32Array;
  /** Length of the pattern prefix each state stands for. */
  private readonly depth: Int32Array;
  private readonly hasWide: boolean;

  constructor(patterns: readonly string[]) {
    this.shortest = Math.min(...patterns.map((pattern) => pattern.length));
    // Build the trie.
    const children: Map<number, number>[] = [new Map<number, number>()];
    const own: number[] = [0];
    const depths: number[] = [0];
    let hasWide = false;
    let width = 1;
    for (const pattern of patterns) {
      let state = 0;
      for (let i = 0; i < pattern.length; i++) {
        const code = pattern.charCodeAt(i);
        if (code >= ASCII) hasWide = true;
        else if (this.classOf[code] === 0) this.classOf[code] = width++;
        let next = children[state]?.get(code);
        if (next === undefined) {
          next = children.length;
          children.push(new Map<number, number>());
          own.push(0);
          depths.push(i + 1);
          children[state]?.set(code, next);
        }
        state = next;
      }
      own[state] = Math.max(own[state] ?? 0, pattern.length);
    }
    const count = children.length;
    this.hasWide = hasWide;
    this.fail = new Int32Array(count);
    this.longest = Int32Array.from(own);
    this.depth = Int32Array.from(depths);
    this.width = width;
    this.ascii = new Int32Array(count * width);
    this.wide = children;
    const codeOf = new Int32Array(width);
    for (let code = 0; code < ASCII; code++) codeOf[this.classOf[code] ?? 0] = code;
    // Breadth-first: failure links, inherited match lengths and the ASCII table.
    const queue: number[] = [0];
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] ?? 0;
      const failure = this.fail[state] ?? 0;
      const longestHere = this.longest[state] ?? 0;
      const inherited = this.longest[failure] ?? 0;
      if (state !== 0 && inherited > longestHere) this.longest[state] = inherited;
      // Column 0 (characters in no pattern) stays 0: they always lead back to the root.
      for (let column = 1; column < width; column++) {
        const child = children[state]?.get(codeOf[column] ?? 0);
        const viaFailure = state === 0 ? 0 : (this.ascii[failure * width + column] ?? 0);
        if (child === undefined) {
          this.ascii[state * width + column] = viaFailure;
        } else {
          this.ascii[state * width + column] = child;
          this.fail[child] = state === 0 ? 0 : viaFailure;
          queue.push(child);
        }
      }
      for (const [code, child] of children[state] ?? []) {
        if (code < ASCII) continue;
        this.fail[child] = state === 0 ? 0 : this.step(failure, code);
        queue.push(child);
      }
    }
  }

  /** `text` with every match (overlapping ones merged) replaced. */
  replace(text: string): string {
    // Matches come in order of their end; a longer one may start before an earlier one, so
    // spans are merged after the scan, when every match is known.
    const spans: [number, number][] = [];
    const ascii = this.ascii;
    const classOf = this.classOf;
    const width = this.width;
    const longest = this.longest;
    const length = text.length;
    let state = 0;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code < ASCII) {
        state = ascii[state * width + (classOf[code] ?? 0)] ?? 0;
      } else {
        state = this.hasWide ? this.step(state, code) : 0;
      }
      const matched = longest[state] ?? 0;
      if (matched !== 0) spans.push([i - matched + 1, i + 1]);
    }
    if (spans.length === 0) return text;
    spans.sort((a, b) => a[0] - b[0]);
    let out = '';
    let copiedTo = 0;
    let [spanStart, spanEnd] = spans[0] ?? [0, 0];
    for (const [start, end] of spans) {
      if (start <= spanEnd) {
        if (end > spanEnd) spanEnd = end;
        continue;
      }
      out += text.slice(copiedTo, spanStart) + REDACTED_SECRET;
      copiedTo = spanEnd;
      spanStart = start;
      spanEnd = end;
    }
    return out + text.slice(copiedTo, spanStart) + REDACTED_SECRET + text.slice(spanEnd);
  }

  /**
   * Length of the longest end of `text` that is the start of some pattern (what a stream must
   * hold back until the next piece shows whether a secret follows).
   */
  openPrefixLength(text: string): number {
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < ASCII) {
        state = this.ascii[state * this.width + (this.classOf[code] ?? 0)] ?? 0;
      } else {
        state = this.hasWide ? this.step(state, code) : 0;
      }
    }
    return this.depth[state] ?? 0;
  }

  /** The transition on a character outside ASCII, following failure links. */
  private step(from: number, code: number): number {
    let state = from;
    for (;;) {
      const next = this.wide[state]?.get(code);
      if (next !== undefined) return next;
      if (state === 0) return 0;
      state = this.fail[state] ?? 0;
    }
  }
}
