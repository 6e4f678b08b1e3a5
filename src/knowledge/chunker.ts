/** One chunk of a file: its text and the 1-based, inclusive line range it covers. */
export interface TextChunk {
  readonly startLine: number;
  readonly endLine: number;
  readonly text: string;
}

/** How to cut a file (MindRoom's `chunk_size` / `chunk_overlap`, in characters). */
export interface ChunkOptions {
  readonly chunkSize: number;
  /** Characters of the previous chunk repeated at the start of the next; `< chunkSize`. */
  readonly overlap: number;
}

/**
 * Cuts `text` into chunks of at most `chunkSize` characters, on line boundaries where it can
 * (a line longer than a chunk is cut inside), each starting with about `overlap` characters
 * of whole lines from the end of the previous chunk. Every chunk knows its line range, so a
 * search hit can be cited as `file:start-end`. Blank-only chunks are dropped.
 */
export function chunkText(text: string, options: ChunkOptions): TextChunk[] {
  const size = Math.max(1, options.chunkSize);
  const overlap = Math.min(Math.max(0, options.overlap), size - 1);
  const pieces = linePieces(text.replace(/\r\n?/g, '\n'), size);
  const chunks: TextChunk[] = [];
  let start = 0;
  while (start < pieces.length) {
    let end = start;
    let length = 0;
    while (
      end < pieces.length &&
      (end === start || length + (pieces[end]?.text.length ?? 0) <= size)
    ) {
      length += pieces[end]?.text.length ?? 0;
      end++;
    }
    const slice = pieces.slice(start, end);
    const body = slice.map((piece) => piece.text).join('');
    if (body.trim() !== '') {
      chunks.push({
        startLine: slice[0]?.line ?? 1,
        endLine: slice[slice.length - 1]?.line ?? 1,
        text: body.replace(/\n$/, ''),
      });
    }
    if (end >= pieces.length) break;
    // Step back over whole pieces worth at most `overlap` characters, but always advance.
    let next = end;
    let carried = 0;
    while (next - 1 > start && carried + (pieces[next - 1]?.text.length ?? 0) <= overlap) {
      carried += pieces[next - 1]?.text.length ?? 0;
      next--;
    }
    start = next;
  }
  return chunks;
}

/** The text as line pieces (each with its newline), long lines cut into `size`-long parts. */
function linePieces(text: string, size: number): { line: number; text: string }[] {
  const pieces: { line: number; text: string }[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const withNewline = index < lines.length - 1 ? `${line}\n` : line;
    if (withNewline === '') return;
    for (let at = 0; at < withNewline.length; at += size) {
      pieces.push({ line: index + 1, text: withNewline.slice(at, at + size) });
    }
  });
  return pieces;
}
