/**
 * Keeps known secret values (the API's own bearer keys, and any the daemon adds) out of API
 * responses, including streamed ones where a secret may arrive split across chunks.
 */

/** Secrets shorter than this are not searched for (they would match ordinary words). */
export const MIN_SECRET_CHARS = 8;
const REPLACEMENT = '[redacted]';

/** Replaces every occurrence of the given secrets, then applies an optional extra scrubber. */
export class SecretRedactor {
  private readonly secrets: readonly string[];

  constructor(
    secrets: readonly string[],
    private readonly scrub: (text: string) => string = (text) => text,
  ) {
    // Longest first, so a secret containing another is replaced whole.
    this.secrets = [...new Set(secrets.filter((secret) => secret.length >= MIN_SECRET_CHARS))].sort(
      (a, b) => b.length - a.length,
    );
  }

  /** `text` with every secret replaced by `[redacted]`. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join(REPLACEMENT);
    return this.scrub(out);
  }

  /**
   * A redactor for one stream: `push` returns what may be sent now, holding back only a tail
   * that is the start of a secret (so ordinary text is not delayed); `flush` the rest at the end.
   */
  stream(): { push(text: string): string; flush(): string } {
    let pending = '';
    return {
      push: (text) => {
        pending += text;
        for (const secret of this.secrets) pending = pending.split(secret).join(REPLACEMENT);
        const cut = pending.length - this.partialSecretAtEnd(pending);
        const ready = pending.slice(0, cut);
        pending = pending.slice(cut);
        return ready === '' ? '' : this.scrub(ready);
      },
      flush: () => {
        const rest = pending;
        pending = '';
        return rest === '' ? '' : this.scrub(rest);
      },
    };
  }

  /** Length of the longest end of `text` that is a proper prefix of a secret. */
  private partialSecretAtEnd(text: string): number {
    let longest = 0;
    for (const secret of this.secrets) {
      for (let k = Math.min(secret.length - 1, text.length); k > longest; k--) {
        if (text.endsWith(secret.slice(0, k))) {
          longest = k;
          break;
        }
      }
    }
    return longest;
  }
}
