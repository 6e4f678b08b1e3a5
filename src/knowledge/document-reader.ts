import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { extname } from 'node:path';

/** A file's text and content hash, or why it is not indexed. */
export type DocumentContent =
  | {
      readonly kind: 'text';
      readonly text: string;
      readonly hash: string;
      readonly size: number;
      readonly mtimeMs: number;
    }
  | {
      readonly kind: 'skipped';
      readonly reason: string;
      readonly hash: string;
      readonly size: number;
      readonly mtimeMs: number;
    };

/** Extracts text from a format that is not plain text (PDF). */
export type TextExtractor = (
  bytes: Uint8Array,
  options: { readonly signal?: AbortSignal },
) => Promise<string>;

/** Options of {@link readDocument}. */
export interface ReadDocumentOptions {
  readonly maxBytes: number;
  /** Extractors by extension (lower case, with the dot), e.g. `.pdf`. */
  readonly extractors?: ReadonlyMap<string, TextExtractor>;
  readonly signal?: AbortSignal;
}

const BINARY_SNIFF_BYTES = 8_192;

/**
 * Reads one knowledge file: refuses symbolic links (also when one was swapped in after the
 * scan: the file is opened with `O_NOFOLLOW`), files over `maxBytes` (by size, before
 * reading), and binary files (a NUL byte near the start); decodes UTF-8 (invalid bytes become
 * U+FFFD) or runs the extension's extractor. The hash is over the bytes, so an unchanged file
 * is recognised without re-reading its text.
 */
export async function readDocument(
  absolutePath: string,
  options: ReadDocumentOptions,
): Promise<DocumentContent> {
  const info = await lstat(absolutePath);
  const base = { size: info.size, mtimeMs: Math.floor(info.mtimeMs) };
  if (info.isSymbolicLink() || !info.isFile()) {
    return { kind: 'skipped', reason: 'not a regular file', hash: 'none', ...base };
  }
  if (info.size > options.maxBytes) {
    return {
      kind: 'skipped',
      reason: `larger than max_file_bytes (${info.size} > ${options.maxBytes} bytes)`,
      hash: `size:${info.size}:${base.mtimeMs}`,
      ...base,
    };
  }
  const handle = await open(absolutePath, constants.O_RDONLY | constants.O_NOFOLLOW);
  let bytes: Buffer;
  try {
    // Read at most one byte past the cap: a file that grew since lstat is still refused.
    const buffer = Buffer.alloc(Math.min(info.size, options.maxBytes) + 1);
    let length = 0;
    for (;;) {
      options.signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length >= buffer.length) break;
    }
    bytes = buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
  const hash = createHash('sha256').update(bytes).digest('hex');
  const result = { hash, size: bytes.length, mtimeMs: base.mtimeMs };
  if (bytes.length > options.maxBytes) {
    return {
      kind: 'skipped',
      reason: `larger than max_file_bytes (${options.maxBytes} bytes)`,
      ...result,
    };
  }
  const extractor = options.extractors?.get(extname(absolutePath).toLowerCase());
  if (extractor !== undefined) {
    try {
      const text = await extractor(
        bytes,
        options.signal === undefined ? {} : { signal: options.signal },
      );
      return { kind: 'text', text, ...result };
    } catch (error: unknown) {
      options.signal?.throwIfAborted();
      return {
        kind: 'skipped',
        reason: `text extraction failed: ${error instanceof Error ? error.message : String(error)}`,
        ...result,
      };
    }
  }
  if (bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) {
    return { kind: 'skipped', reason: 'binary content', ...result };
  }
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(bytes);
  return { kind: 'text', text, ...result };
}
