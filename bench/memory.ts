/**
 * Memory and knowledge search: what recall adds to a turn, how search scales, how fast folders
 * are indexed and re-indexed. Needs no homeserver; the embedder is the scripted
 * OpenAI-compatible server over loopback HTTP (hashed vectors), bulk vectors are generated
 * in-process (clustered, like real embeddings). Prints one JSON object.
 *
 *   npx tsx bench/memory.ts [dimensions=1536]
 *
 * - `recall_10k`: MemoryService.recall with 10k memories in the requester's own scope (the
 *   worst case) and 10k of other people's, on a file database; local cost with the query
 *   vector ready (`local`), and end to end with the query embedded over HTTP (`with_http_embed`);
 *   baselines: nothing remembered (`empty_scope`), keywords only (`keyword_only`).
 * - `search_100k`: hybrid search over 100k knowledge chunks; the vector scan on USearch's
 *   SIMD kernel and on the JavaScript fallback, and FTS5 alone; the first query's cache load.
 * - `index_1000_files`: a folder of 1,000 Markdown files indexed from scratch through the
 *   scripted embedder; `reindex_one_file`: one file edited, until its new text is searchable.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KnowledgeBaseConfig } from '../src/config/index.js';
import type { FolderWatchHandlers } from '../src/knowledge/index.js';
import { KnowledgeManager } from '../src/knowledge/index.js';
import type { Embedder } from '../src/llm/index.js';
import { GuardedEmbedder, OpenAiEmbedder } from '../src/llm/index.js';
import { MemoryService, personCollection } from '../src/memory/index.js';
import { silentLogger, systemClock } from '../src/shared/index.js';
import { KnowledgeIndexStore, QuorumStore, VectorSet, vectorKernel } from '../src/storage/index.js';
import { ScriptedLlmServer } from '../test/support/scripted-llm-server.js';
import { machineContext } from './support/machine.js';
import { round, summarize } from './support/stats.js';

const DIMS = Number(process.argv[2] ?? 1536);
/** Which parts to run (all by default): `recall`, `search`, `indexing`. */
const PARTS = new Set(
  process.argv.slice(3).length > 0 ? process.argv.slice(3) : ['recall', 'search', 'indexing'],
);
const dir = mkdtempSync(join(tmpdir(), 'quorum-bench-memory-'));
const server = await ScriptedLlmServer.start({ embeddingDimensions: DIMS });
const signal = new AbortController().signal;

/** Deterministic pseudo-random numbers (mulberry32), so runs compare. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Vectors around 256 cluster centres, unit length: embeddings of related texts cluster too. */
function vectorSource(seed: number): () => Float32Array {
  const next = random(seed);
  const centres = Array.from({ length: 256 }, () =>
    Float32Array.from({ length: DIMS }, () => next() - 0.5),
  );
  return () => {
    const centre = centres[Math.floor(next() * centres.length)]!;
    const vector = Float32Array.from(centre, (value) => value + (next() - 0.5) * 0.8);
    const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
    return vector.map((value) => value / norm);
  };
}

/**
 * Text with a Zipf-like word distribution over 5,000 words (rank r has weight 1/r), as natural
 * text has: a few words are everywhere, most are rare, so keyword queries select realistically.
 */
const VOCABULARY = Array.from({ length: 5_000 }, (_, rank) => `w${rank.toString(36)}x`);
const CUMULATIVE = (() => {
  let sum = 0;
  return VOCABULARY.map((_, rank) => (sum += 1 / (rank + 1)));
})();
function word(next: () => number): string {
  const target = next() * (CUMULATIVE.at(-1) ?? 1);
  let low = 0;
  let high = CUMULATIVE.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((CUMULATIVE[middle] ?? 0) < target) low = middle + 1;
    else high = middle;
  }
  return VOCABULARY[low] ?? 'w0x';
}
function sentence(next: () => number, words: number): string {
  return Array.from({ length: words }, () => word(next)).join(' ');
}

function time(samples: number[], action: () => void): void {
  const started = performance.now();
  action();
  samples.push(performance.now() - started);
}

async function timeAsync(samples: number[], action: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await action();
  samples.push(performance.now() - started);
}

/** An embedder answering one fixed vector at once: recall's local cost without the network. */
function readyEmbedder(identity: string, vector: Float32Array): Embedder {
  return { identity, embed: (texts) => Promise.resolve(texts.map(() => vector)) };
}

async function recallBench(): Promise<Record<string, unknown>> {
  const store = new QuorumStore(join(dir, 'quorum.db'));
  const next = random(1);
  const vectors = vectorSource(2);
  const httpEmbedder = new OpenAiEmbedder({
    model: 'bench',
    baseUrl: `${server.url}/v1`,
    apiKey: 'k',
    clock: systemClock,
  });
  // Stored vectors carry the HTTP embedder's identity, so both variants search the same vectors.
  const identity = httpEmbedder.identity;
  const seedStarted = performance.now();
  const insert = (userId: string, count: number): void => {
    const collection = personCollection('helper', userId);
    for (let i = 0; i < count; i++) {
      store.memories.add({
        collection,
        scopeKind: 'person',
        owner: 'helper',
        userId,
        roomId: undefined,
        origin: 'tool',
        text: sentence(next, 12),
        vector: vectors(),
        vectorModel: identity,
      });
    }
  };
  insert('@alice:bench', 10_000);
  for (let i = 0; i < 100; i++) insert(`@other${i}:bench`, 100);
  const seedMs = performance.now() - seedStarted;
  const settings = () => ({
    policy: { roomMemories: false, teamReadsMemberMemory: false },
    recall: { enabled: true, maxItems: 5, maxChars: 2_000 },
    isEnabledFor: () => true,
  });
  const serviceWith = (embedder: Embedder | undefined) =>
    new MemoryService({
      store: store.memories,
      embedder: new GuardedEmbedder({ embedder, clock: systemClock, log: silentLogger }),
      clock: systemClock,
      log: silentLogger,
      settings,
    });
  const request = (requester: string, text: string) => ({
    agentName: 'helper',
    requester,
    roomId: '!r:bench',
    threadRoot: '$t',
    text,
  });
  const queryVector = vectors();
  const local = serviceWith(readyEmbedder(identity, queryVector));
  const http = serviceWith(httpEmbedder);
  const keywordOnly = serviceWith(undefined);
  // A scope this large loads its vectors in the background; measure that, then steady state.
  const firstStarted = performance.now();
  await local.recall(request('@alice:bench', 'warm up'), { signal });
  const firstMs = performance.now() - firstStarted;
  const warmStarted = performance.now();
  await store.memories.engine.warm(personCollection('helper', '@alice:bench'), identity);
  const warmMs = performance.now() - warmStarted;
  const samples = {
    local: [] as number[],
    http: [] as number[],
    empty: [] as number[],
    keyword: [] as number[],
  };
  for (let i = 0; i < 200; i++) {
    const text = sentence(next, 8);
    await timeAsync(samples.local, () => local.recall(request('@alice:bench', text), { signal }));
    await timeAsync(samples.http, () => http.recall(request('@alice:bench', text), { signal }));
    await timeAsync(samples.empty, () => local.recall(request('@nobody:bench', text), { signal }));
    await timeAsync(samples.keyword, () =>
      keywordOnly.recall(request('@alice:bench', text), { signal }),
    );
  }
  store.close();
  return {
    memories_in_scope: 10_000,
    memories_total: 20_000,
    seed_ms: round(seedMs),
    first_recall_ms_while_vectors_load: round(firstMs),
    vector_cache_warm_ms: round(warmMs),
    local: summarize(samples.local),
    with_http_embed: summarize(samples.http),
    empty_scope: summarize(samples.empty),
    keyword_only: summarize(samples.keyword),
    goal_p95_ms: 30,
  };
}

async function searchBench(): Promise<Record<string, unknown>> {
  const index = new KnowledgeIndexStore(join(dir, 'knowledge-100k.db'));
  const next = random(3);
  const vectors = vectorSource(4);
  const identity = 'bench';
  const seedStarted = performance.now();
  const queries: Float32Array[] = [];
  for (let file = 0; file < 1_000; file++) {
    const chunks = Array.from({ length: 100 }, (_, i) => {
      const vector = vectors();
      if (file % 20 === 0 && i === 0) queries.push(vector);
      return { startLine: i * 10 + 1, endLine: i * 10 + 10, text: sentence(next, 60), vector };
    });
    index.replaceFile(
      'docs',
      { path: `docs/file-${file}.md`, hash: String(file), size: 1, mtimeMs: 1, settings: 's' },
      chunks,
      identity,
    );
  }
  const seedMs = performance.now() - seedStarted;
  const rssBefore = process.memoryUsage().rss;
  const coldStarted = performance.now();
  index.search({
    collection: 'docs',
    text: 'alpha',
    vector: queries[0],
    vectorModel: identity,
    limit: 5,
  });
  const coldMs = performance.now() - coldStarted;
  const warmStarted = performance.now();
  await index.engine.warm('docs', identity);
  const warmMs = performance.now() - warmStarted;
  const cacheMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  const samples = {
    hybrid: [] as number[],
    vector: [] as number[],
    keyword: [] as number[],
    javascript: [] as number[],
  };
  for (let i = 0; i < 100; i++) {
    const vector = queries[i % queries.length]!;
    const text = sentence(next, 8);
    time(samples.hybrid, () =>
      index.search({ collection: 'docs', text, vector, vectorModel: identity, limit: 5 }),
    );
    time(samples.vector, () => index.engine.vectorSearch('docs', vector, identity, 20));
    time(samples.keyword, () => index.engine.keywordSearch('docs', text, 20));
  }
  // The JavaScript fallback on the same vectors (what runs where USearch's binary is missing).
  const js = new VectorSet(DIMS, 100_000, 'javascript');
  const jsVectors = vectorSource(4);
  for (let id = 0; id < 100_000; id++) js.set(id, jsVectors());
  for (let i = 0; i < 20; i++)
    time(samples.javascript, () => js.search(queries[i % queries.length]!, 20));
  index.close();
  return {
    chunks: 100_000,
    dimensions: DIMS,
    kernel: vectorKernel(),
    seed_ms: round(seedMs),
    first_query_ms_while_vectors_load: round(coldMs),
    vector_cache_warm_ms: round(warmMs),
    vector_cache_rss_mb: round(cacheMb),
    hybrid: summarize(samples.hybrid),
    vector_only: summarize(samples.vector),
    keyword_only: summarize(samples.keyword),
    vector_only_javascript_fallback: summarize(samples.javascript),
    goal_p95_ms: 50,
  };
}

function baseConfig(): KnowledgeBaseConfig {
  return {
    mode: 'semantic',
    description: '',
    path: './corpus',
    watch: true,
    require_content_before_publish: false,
    chunk_size: 1_000,
    chunk_overlap: 100,
    include_extensions: null,
    extra_extensions: [],
    exclude_extensions: [],
    include_patterns: [],
    exclude_patterns: [],
    skip_hidden: true,
    context_chunks: 0,
    inline_max_chars: 0,
    max_file_bytes: 10_000_000,
  };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function indexBench(): Promise<Record<string, unknown>> {
  const corpus = join(dir, 'corpus');
  mkdirSync(corpus);
  const next = random(5);
  let bytes = 0;
  for (let i = 0; i < 1_000; i++) {
    const text = Array.from({ length: 40 }, () => sentence(next, 10)).join('\n');
    bytes += text.length;
    writeFileSync(join(corpus, `note-${i}.md`), `# Note ${i}\n\n${text}\n`);
  }
  const index = new KnowledgeIndexStore(join(dir, 'knowledge.db'));
  let handlers: FolderWatchHandlers | undefined;
  const manager = new KnowledgeManager({
    index,
    embedder: new GuardedEmbedder({
      embedder: new OpenAiEmbedder({
        model: 'bench',
        baseUrl: `${server.url}/v1`,
        apiKey: 'k',
        clock: systemClock,
      }),
      clock: systemClock,
      log: silentLogger,
    }),
    clock: systemClock,
    log: silentLogger,
    configDir: dir,
    watchers: () => (_root, h) => {
      handlers = h;
      return { close: () => Promise.resolve() };
    },
  });
  const controller = new AbortController();
  const started = performance.now();
  await manager.apply({ corpus: baseConfig() });
  manager.start(controller.signal);
  await until(() => manager.snapshot()['corpus']?.state === 'ready', 600_000);
  const indexMs = performance.now() - started;
  const snapshot = manager.snapshot()['corpus']!;
  const reindex: number[] = [];
  for (let round = 0; round < 5; round++) {
    const marker = `zebracorn${round}`;
    const editStarted = performance.now();
    writeFileSync(join(corpus, 'note-500.md'), `# Note 500\n\nThe ${marker} lives here.\n`);
    handlers?.onChange('note-500.md');
    await until(
      async () =>
        (await manager.search(['corpus'], marker, { limit: 5 })).some((hit) =>
          hit.text.includes(marker),
        ),
      30_000,
    );

    reindex.push(performance.now() - editStarted);
  }
  controller.abort();
  await manager.stop();
  index.close();
  return {
    index_1000_files: {
      files: snapshot.files,
      chunks: snapshot.chunks,
      megabytes: round(bytes / 2 ** 20, 2),
      duration_ms: round(indexMs),
      files_per_s: round(snapshot.files / (indexMs / 1000)),
      chunks_per_s: round(snapshot.chunks / (indexMs / 1000)),
      embedder: 'scripted OpenAI-compatible server over loopback HTTP',
    },
    reindex_one_file: {
      ...summarize(reindex),
      goal_ms: 2_000,
      note: 'edit → watcher event → searchable, without the watcher settle (awaitWriteFinish 300 ms)',
    },
  };
}

/** Runs one part; a failure is reported in the JSON instead of losing the other parts. */
async function part(name: string, run: () => unknown): Promise<unknown> {
  const started = performance.now();
  try {
    const value = await run();
    process.stderr.write(
      `[bench memory] ${name} done in ${round((performance.now() - started) / 1000)} s\n`,
    );
    return value;
  } catch (error: unknown) {
    process.stderr.write(`[bench memory] ${name} failed: ${String(error)}\n`);
    return { error: String(error) };
  }
}

try {
  const result = {
    benchmark: 'memory',
    machine: machineContext(),
    ...(PARTS.has('recall') ? { recall_10k: await part('recall_10k', recallBench) } : {}),
    ...(PARTS.has('search') ? { search_100k: await part('search_100k', searchBench) } : {}),
    ...(PARTS.has('indexing') ? { indexing: await part('indexing', indexBench) } : {}),
    machine_after: machineContext(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
