import { join } from 'node:path';
import { describeError } from '../shared/index.js';
import type { IndexedFile } from '../storage/index.js';
import { chunkText } from './chunker.js';
import { readDocument } from './document-reader.js';
import type { ScannedFile } from './folder-scanner.js';
import type { KnowledgeBaseConfig } from '../config/index.js';
import type { GuardedEmbedder } from '../llm/index.js';
import type { Clock, Counter, Logger } from '../shared/index.js';
import type { KnowledgeIndexStore } from '../storage/index.js';
import type { TextExtractor } from './document-reader.js';

/** What a {@link FileIndexer} needs (a subset of a knowledge base's deps). */
export interface FileIndexerDeps {
  /** The base id (its collection in the index). */
  readonly id: string;
  readonly config: KnowledgeBaseConfig;
  /** Absolute folder path. */
  readonly root: string;
  /** The index store (a function: the manager may replace it after corruption). */
  readonly index: () => KnowledgeIndexStore;
  readonly embedder: GuardedEmbedder;
  readonly clock: Clock;
  readonly log: Logger;
  readonly extractors: ReadonlyMap<string, TextExtractor>;
  /** `quorum_knowledge_files_total`, when given. */
  readonly files?: Counter | undefined;
}

/** Files whose chunks are embedded in one go while indexing. */
const FILES_PER_BATCH = 32;
const PROGRESS_EVERY_MS = 5_000;

/**
 * The file work of one knowledge base: read, chunk, embed in batches across files, store;
 * and embed chunks stored without a vector (backfill).
 */
export class FileIndexer {
  constructor(
    private readonly deps: FileIndexerDeps,
    /** The chunking settings files are indexed with; a change re-chunks every file. */
    private readonly settings: string,
  ) {}

  /** Reads, chunks, embeds (in batches across files) and stores `files`. */
  async indexFiles(
    files: readonly ScannedFile[],
    known: Map<string, IndexedFile>,
    signal: AbortSignal,
  ): Promise<void> {
    let lastProgress = this.deps.clock.now();
    for (let at = 0; at < files.length; at += FILES_PER_BATCH) {
      signal.throwIfAborted();
      const prepared = [];
      for (const file of files.slice(at, at + FILES_PER_BATCH)) {
        const entry = await this.prepare(file, known.get(file.path), signal);
        if (entry !== undefined) prepared.push(entry);
      }
      const texts = prepared.flatMap((entry) =>
        entry.chunks.map((chunk) => embeddingText(entry.path, chunk.text)),
      );
      const vectors =
        this.deps.config.mode === 'semantic' && texts.length > 0
          ? await this.deps.embedder.tryEmbed(texts, { signal })
          : undefined;
      let offset = 0;
      const index = this.deps.index();
      for (const entry of prepared) {
        const chunks = entry.chunks.map((chunk, i) => ({
          ...chunk,
          vector: vectors?.[offset + i],
        }));
        offset += entry.chunks.length;
        index.replaceFile(
          this.deps.id,
          {
            path: entry.path,
            hash: entry.hash,
            size: entry.size,
            mtimeMs: entry.mtimeMs,
            settings: this.settings,
            error: entry.error,
          },
          chunks,
          vectors === undefined ? undefined : this.deps.embedder.identity,
        );
        this.deps.files?.inc({
          base: this.deps.id,
          outcome: entry.error === undefined ? 'indexed' : 'skipped',
        });
      }
      const now = this.deps.clock.now();
      if (now - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = now;
        this.deps.log.info('knowledge indexing progress', {
          base: this.deps.id,
          done: Math.min(at + FILES_PER_BATCH, files.length),
          total: files.length,
        });
      }
    }
  }

  /** One file's chunks (or its skip reason); undefined when its content did not change. */
  private async prepare(file: ScannedFile, known: IndexedFile | undefined, signal: AbortSignal) {
    const absolute = join(this.deps.root, ...file.path.split('/'));
    let content;
    try {
      content = await readDocument(absolute, {
        maxBytes: this.deps.config.max_file_bytes,
        extractors: this.deps.extractors,
        signal,
      });
    } catch (error: unknown) {
      signal.throwIfAborted();
      // Vanished or unreadable since the scan: forget it; a later event brings it back.
      this.deps.index().removeFile(this.deps.id, file.path);
      this.deps.log.debug('knowledge file unreadable', {
        base: this.deps.id,
        path: file.path,
        error: describeError(error),
      });
      return undefined;
    }
    if (known !== undefined && known.hash === content.hash && known.settings === this.settings) {
      this.deps.index().touchFile(this.deps.id, file.path, content.size, content.mtimeMs);
      return undefined;
    }
    const base = {
      path: file.path,
      hash: content.hash,
      size: content.size,
      mtimeMs: content.mtimeMs,
    };
    if (content.kind === 'skipped') {
      this.deps.log.warn('knowledge file skipped', {
        base: this.deps.id,
        path: file.path,
        reason: content.reason,
      });
      return { ...base, chunks: [], error: content.reason };
    }
    const chunks = chunkText(content.text, {
      chunkSize: this.deps.config.chunk_size,
      overlap: this.deps.config.chunk_overlap,
    });
    return { ...base, chunks, error: undefined };
  }

  /**
   * Embeds chunks stored without a vector of the current model; false when some are left
   * because the embedder is unavailable.
   */
  async backfill(signal: AbortSignal, shouldYield: () => boolean): Promise<boolean> {
    const model = this.deps.embedder.identity;
    if (this.deps.config.mode !== 'semantic' || model === undefined) return true;
    for (;;) {
      signal.throwIfAborted();
      if (shouldYield()) return true;
      const missing = this.deps.index().unembedded(this.deps.id, model, 256);
      if (missing.length === 0) return true;
      if (!this.deps.embedder.isUsable()) return false;
      const vectors = await this.deps.embedder.tryEmbed(
        missing.map((chunk) => embeddingText(chunk.path, chunk.text)),
        { signal },
      );
      if (vectors === undefined) return false;
      this.deps.index().setVectors(
        this.deps.id,
        missing.flatMap((chunk, i) =>
          vectors[i] === undefined ? [] : [{ id: chunk.id, vector: vectors[i] }],
        ),
        model,
      );
    }
  }
}

/** Whether a scanned file may differ from what the index holds (size, mtime or settings differ). */
export function isChanged(
  known: IndexedFile | undefined,
  file: ScannedFile,
  settings: string,
): boolean {
  return (
    known === undefined ||
    known.size !== file.size ||
    known.mtimeMs !== file.mtimeMs ||
    known.settings !== settings
  );
}

/** What is embedded for a chunk: its file path (names carry meaning) and its text. */
function embeddingText(path: string, text: string): string {
  return `${path}\n${text}`;
}
