import { isAbsolute, resolve } from 'node:path';
import type { KnowledgeBaseConfig } from '../config/index.js';
import { fingerprintOf } from '../config/index.js';
import type { GuardedEmbedder } from '../llm/index.js';
import type { Clock, Counter, Logger } from '../shared/index.js';
import type { ChunkHit, KnowledgeIndexStore } from '../storage/index.js';
import type { TextExtractor } from './document-reader.js';
import type { FolderWatcherFactory } from './folder-watcher.js';
import type { KnowledgeBaseSnapshot } from './knowledge-base.js';
import { KnowledgeBase } from './knowledge-base.js';
import { defaultExtractors } from './pdf-text.js';

/** One search result, with where it came from. */
export interface KnowledgeHit {
  readonly base: string;
  /** Root-relative file path. */
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly text: string;
  readonly score: number;
}

/** What {@link KnowledgeManager} needs. */
export interface KnowledgeManagerDeps {
  readonly index: KnowledgeIndexStore;
  readonly embedder: GuardedEmbedder;
  readonly clock: Clock;
  readonly log: Logger;
  /** Relative base paths resolve against it (the config file's directory). */
  readonly configDir: string;
  /** Folder watching; default none (watch settings then rely on rescans). */
  readonly watchers?: (options: { readonly skipHidden: boolean }) => FolderWatcherFactory;
  /** `quorum_knowledge_files_total`, when given. */
  readonly files?: Counter;
  /** Text extractors by extension; default: PDF (see pdf-text.ts). */
  readonly extractors?: ReadonlyMap<string, TextExtractor>;
}

/** How long a search waits for the query's embedding before using keywords only. */
export const SEARCH_EMBED_TIMEOUT_MS = 2_000;

interface Running {
  readonly base: KnowledgeBase;
  readonly fingerprint: string;
}

/**
 * Every configured knowledge base: started, stopped and re-indexed as the config changes
 * (`apply`), searched for the tool and the prompt, reported for `/api/ready`. Nothing here
 * blocks a reply: indexing runs in the background and searches read whatever is indexed.
 * A corrupt index file is deleted and every base re-indexed from its folder.
 */
export class KnowledgeManager {
  private readonly running = new Map<string, Running>();
  private signal: AbortSignal | undefined;
  private configs: Readonly<Record<string, KnowledgeBaseConfig>> = {};

  constructor(private readonly deps: KnowledgeManagerDeps) {
    if (deps.index.wasRebuilt) {
      deps.log.warn('knowledge index was unusable and has been recreated; re-indexing every base');
    }
  }

  /** Starts the bases of the last `apply` (and of every later one) under `signal`. */
  start(signal: AbortSignal): void {
    this.signal = signal;
    for (const entry of this.running.values()) entry.base.start(signal);
  }

  /**
   * Makes the running bases match `configs` (the `knowledge_bases:` map): new bases start,
   * removed ones stop and leave the index, changed ones restart (re-indexing only what their
   * change requires: chunking changes re-chunk every file, the rest re-reads nothing). Cheap
   * and synchronous apart from stopping, which finishes in the background.
   */
  async apply(configs: Readonly<Record<string, KnowledgeBaseConfig>>): Promise<void> {
    this.configs = configs;
    const stopping: Promise<void>[] = [];
    for (const [id, entry] of this.running) {
      const config = configs[id];
      if (config !== undefined && fingerprintOf(config) === entry.fingerprint) continue;
      this.running.delete(id);
      stopping.push(entry.base.stop());
      if (config === undefined) {
        this.deps.log.info('knowledge base removed', { base: id });
        this.deps.index.removeCollection(id);
      }
    }
    await Promise.all(stopping);
    for (const [id, config] of Object.entries(configs)) {
      if (this.running.has(id)) continue;
      const base = this.create(id, config);
      this.running.set(id, { base, fingerprint: fingerprintOf(config) });
      if (this.signal !== undefined) base.start(this.signal);
    }
  }

  /** Stops every base. Idempotent; the index store stays open (its owner closes it). */
  async stop(): Promise<void> {
    const bases = [...this.running.values()];
    await Promise.all(bases.map((entry) => entry.base.stop()));
  }

  /** Per base: files, chunks and state (for `/api/ready` as `knowledge: {...}`). */
  snapshot(): Record<string, KnowledgeBaseSnapshot> {
    return Object.fromEntries([...this.running].map(([id, entry]) => [id, entry.base.snapshot()]));
  }

  /** The config of a running base. */
  configOf(id: string): KnowledgeBaseConfig | undefined {
    return this.configs[id];
  }

  /**
   * The best chunks for `query` across `bases`, interleaved fairly (each base's best, then
   * each one's second, ...) so no single base crowds out the others. Unknown bases are
   * ignored. One query embedding, at most {@link SEARCH_EMBED_TIMEOUT_MS}; keywords only
   * without it.
   */
  async search(
    bases: readonly string[],
    query: string,
    options: {
      readonly limit: number;
      readonly signal?: AbortSignal | undefined;
      /** Chunks found only by meaning below this cosine similarity are left out. */
      readonly minSimilarity?: number;
    },
  ): Promise<KnowledgeHit[]> {
    const targets = bases.flatMap((id) => {
      const entry = this.running.get(id);
      return entry === undefined ? [] : [entry.base];
    });
    if (targets.length === 0 || query.trim() === '') return [];
    const vector = targets.some((base) => base.mode === 'semantic')
      ? (
          await this.deps.embedder.tryEmbed([query], {
            timeoutMs: SEARCH_EMBED_TIMEOUT_MS,
            ...(options.signal === undefined ? {} : { signal: options.signal }),
          })
        )?.[0]
      : undefined;
    const lists = targets.map((base) =>
      base
        .search(query, vector, options.limit, options.minSimilarity)
        .map((hit) => toKnowledgeHit(base.id, hit)),
    );
    const out: KnowledgeHit[] = [];
    for (let rank = 0; out.length < options.limit; rank++) {
      const row = lists.flatMap((list) => {
        const hit = list[rank];
        return hit === undefined ? [] : [hit];
      });
      if (row.length === 0) break;
      out.push(...row.slice(0, options.limit - out.length));
    }
    return out;
  }

  /** The stored chunks of a base in file order, up to `maxChars` (for whole-base prompts). */
  chunksOf(
    id: string,
    maxChars: number,
  ): { path: string; startLine: number; endLine: number; text: string }[] {
    if (!this.running.has(id)) return [];
    try {
      return this.deps.index.chunksOf(id, maxChars);
    } catch {
      return [];
    }
  }

  private create(id: string, config: KnowledgeBaseConfig): KnowledgeBase {
    const root = isAbsolute(config.path) ? config.path : resolve(this.deps.configDir, config.path);
    return new KnowledgeBase({
      id,
      config,
      root,
      index: () => this.deps.index,
      embedder: this.deps.embedder,
      clock: this.deps.clock,
      log: this.deps.log.child({ component: 'knowledge' }),
      watchers: this.deps.watchers?.({ skipHidden: config.skip_hidden }),
      extractors: this.deps.extractors ?? defaultExtractors(),
      files: this.deps.files,
      onCorruption: () => {
        this.recoverFromCorruption();
      },
    });
  }

  private isRecovering = false;

  private recoverFromCorruption(): void {
    if (this.isRecovering) return;
    this.isRecovering = true;
    try {
      this.deps.log.warn('knowledge index is corrupt; recreating it and re-indexing every base');
      this.deps.index.rebuild();
      for (const entry of this.running.values()) entry.base.requestSync();
    } finally {
      this.isRecovering = false;
    }
  }
}

function toKnowledgeHit(base: string, hit: ChunkHit): KnowledgeHit {
  return {
    base,
    path: hit.path,
    startLine: hit.startLine,
    endLine: hit.endLine,
    text: hit.text,
    score: hit.hit.score,
  };
}
