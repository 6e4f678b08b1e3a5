/**
 * The narrow interface the turn runner calls for prompt context (memory recall, knowledge
 * retrieval). `knowledge/` implements the same shape structurally (it may not import
 * `memory/`); the turn runner owns the overall byte budget and decides what fits.
 */

/** Who is asking what, where: one turn about to run. */
export interface ContextRequest {
  /** The agent that answers (for a team turn: the team's name, see `team`). */
  readonly agentName: string;
  /** Matrix user id of the person whose message started the turn. */
  readonly requester: string;
  readonly roomId: string;
  readonly threadRoot: string | undefined;
  /** The message being answered (plain text). */
  readonly text: string;
  /** Set for a team turn: the team and its member agents. */
  readonly team?: { readonly name: string; readonly members: readonly string[] } | undefined;
}

/**
 * One block of prompt context. `body` is already bounded and quotes untrusted text as data
 * (never as instructions); `sources` name where each part came from (memory ids,
 * `base:path#Lstart-end`), for logs and for replies that cite them.
 */
export interface ContextSection {
  readonly title: string;
  readonly body: string;
  readonly sources: readonly string[];
}

/** Options of {@link ContextProvider.sectionsFor}. */
export interface ContextOptions {
  /** The turn's signal; aborting rejects with its reason. */
  readonly signal: AbortSignal;
  /** Upper bound of all returned sections' `title` + `body`, in UTF-8 bytes. */
  readonly maxBytes?: number;
}

/**
 * Supplies prompt sections before a turn. Never throws for its own failures (an embedder
 * outage degrades to keyword search, a missing index to nothing): it resolves with fewer or
 * no sections. It rejects only with the signal's reason.
 */
export interface ContextProvider {
  sectionsFor(request: ContextRequest, options: ContextOptions): Promise<readonly ContextSection[]>;
}

/** UTF-8 length of `text`. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** `text` cut to at most `maxBytes` UTF-8 bytes (on a character boundary), with `…` when cut. */
export function clipBytes(text: string, maxBytes: number): string {
  if (byteLength(text) <= maxBytes) return text;
  if (maxBytes <= 3) return '';
  const buffer = Buffer.from(text, 'utf8').subarray(0, maxBytes - 3);
  // Drop a trailing partial character (decoding it would yield U+FFFD).
  return `${buffer.toString('utf8').replace(/\uFFFD+$/, '')}…`;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** Text from chat or a model as one safe line: control characters and newlines become spaces. */
export function oneLine(text: string, maxChars: number): string {
  const flat = text.replace(CONTROL_CHARS, ' ').replace(/\s+/g, ' ').trim();
  return flat.length <= maxChars ? flat : `${flat.slice(0, maxChars - 1)}…`;
}

/**
 * Several providers as one: all asked at once (each with the whole budget), then their
 * sections kept in the given order while they fit in `maxBytes`. A provider that fails (not
 * by the signal) is logged through `onError` and contributes nothing; the turn goes on.
 */
export function combineContextProviders(
  providers: readonly ContextProvider[],
  onError: (error: unknown, index: number) => void = () => undefined,
): ContextProvider {
  return {
    sectionsFor: async (request, options) => {
      const results = await Promise.all(
        providers.map(async (provider, index) => {
          try {
            return await provider.sectionsFor(request, options);
          } catch (error: unknown) {
            options.signal.throwIfAborted();
            onError(error, index);
            return [];
          }
        }),
      );
      let budget = options.maxBytes ?? Number.POSITIVE_INFINITY;
      const kept: ContextSection[] = [];
      for (const section of results.flat()) {
        const size = byteLength(section.title) + byteLength(section.body);
        if (size > budget) continue;
        kept.push(section);
        budget -= size;
      }
      return kept;
    },
  };
}
