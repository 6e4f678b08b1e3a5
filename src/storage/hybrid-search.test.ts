import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bagOfWords } from '../../test/support/fake-embedder.js';
import { COMMON_TERM_DOCS, SYNC_LOAD_ROWS, fuseRanks, keywordQuery } from './hybrid-search.js';
import { KnowledgeIndexStore } from './knowledge-index.js';
import { QuorumStore } from './store.js';
import { VectorSet, quantize } from './vector-set.js';

const MODEL = 'fake:64';
const embed = (text: string): Float32Array => bagOfWords(text, 64);

describe('keywordQuery', () => {
  it('quotes every word, so FTS5 syntax in the text is never interpreted', () => {
    expect(keywordQuery('NEAR(a b) OR "x" AND title:* -foo')).toBe('"near" OR "title" OR "foo"');
    expect(keywordQuery('the a of ?!')).toBeUndefined();
    expect(keywordQuery('7 äpfel')).toBe('"7" OR "äpfel"');
  });
});

describe('fuseRanks', () => {
  it('ranks what both lists found above what one list found', () => {
    const fused = fuseRanks(
      [1, 2, 3],
      [
        { id: 3, similarity: 0.9 },
        { id: 4, similarity: 0.8 },
      ],
    );
    expect(fused[0]?.id).toBe(3);
    expect(fused.map((hit) => hit.id).sort()).toEqual([1, 2, 3, 4]);
  });
});

describe('VectorSet', () => {
  it('finds the exact nearest vectors, and forgets deleted ones', () => {
    const set = new VectorSet(64);
    const texts = ['red apples and pears', 'blue sky over the sea', 'green apples in a bowl'];
    texts.forEach((text, id) => {
      set.set(id, embed(text));
    });
    expect(
      set
        .search(embed('apples'), 2)
        .map((hit) => hit.id)
        .sort(),
    ).toEqual([0, 2]);
    set.delete(0);
    expect(set.search(embed('apples'), 1)[0]?.id).toBe(2);
    expect(set.size).toBe(2);
  });

  it('agrees with the native kernel on a large set', () => {
    const dims = 256;
    const set = new VectorSet(dims);
    const vectors: Float32Array[] = [];
    for (let id = 0; id < 2000; id++) {
      const vector = new Float32Array(dims).map(() => Math.random() - 0.5);
      vectors.push(vector);
      set.set(id, vector);
    }
    const query = vectors[123]!;
    expect(set.search(query, 1)[0]).toMatchObject({ id: 123 });
    expect(set.search(query, 1)[0]!.similarity).toBeGreaterThan(0.999);
  });

  it('quantizes by the largest component', () => {
    expect([...quantize(Float32Array.from([0.5, -1, 0]))]).toEqual([64, -127, 0]);
  });
});

describe('MemoryStore', () => {
  let store: QuorumStore;
  afterEach(() => {
    store.close();
  });

  it('keeps collections apart in keyword and vector search', () => {
    store = new QuorumStore(':memory:');
    const memories = store.memories;
    const base = { scopeKind: 'person', owner: 'a', roomId: undefined, origin: 'tool' } as const;
    const alice = memories.add({
      ...base,
      collection: 'alice',
      userId: '@alice:x',
      text: 'likes green tea',
      vector: embed('likes green tea'),
      vectorModel: MODEL,
    });
    memories.add({
      ...base,
      collection: 'bob',
      userId: '@bob:x',
      text: 'likes green tea too',
      vector: embed('likes green tea too'),
      vectorModel: MODEL,
    });
    const hits = memories.search({
      collection: 'alice',
      text: 'tea',
      vector: embed('tea'),
      vectorModel: MODEL,
      limit: 10,
    });
    expect(hits.map((hit) => hit.memory.id)).toEqual([alice.id]);
    expect(hits[0]?.hit.keywordRank).toBe(1);
  });

  it('updates and deletes both indexes', () => {
    store = new QuorumStore(':memory:');
    const memories = store.memories;
    const added = memories.add({
      collection: 'c',
      scopeKind: 'person',
      owner: 'a',
      userId: '@u:x',
      roomId: undefined,
      origin: 'tool',
      text: 'owns a cat',
      vector: embed('owns a cat'),
      vectorModel: MODEL,
    });
    memories.update(added.id, 'owns a dog', embed('owns a dog'), MODEL);
    expect(memories.search({ collection: 'c', text: 'cat', limit: 5 })).toEqual([]);
    expect(
      memories.search({
        collection: 'c',
        text: 'dog',
        vector: embed('dog'),
        vectorModel: MODEL,
        limit: 5,
      }),
    ).toHaveLength(1);
    expect(memories.delete(added.id)).toBe(true);
    expect(
      memories.search({
        collection: 'c',
        text: 'dog',
        vector: embed('dog'),
        vectorModel: MODEL,
        limit: 5,
      }),
    ).toEqual([]);
  });

  it('ignores vectors of another embedding model', () => {
    store = new QuorumStore(':memory:');
    store.memories.add({
      collection: 'c',
      scopeKind: 'person',
      owner: 'a',
      userId: '@u:x',
      roomId: undefined,
      origin: 'tool',
      text: 'zebra',
      vector: embed('zebra'),
      vectorModel: 'old',
    });
    expect(store.memories.engine.vectorSearch('c', embed('zebra'), MODEL, 5)).toEqual([]);
    expect(store.memories.unembedded(MODEL, 10)).toHaveLength(1);
  });
});

describe('HybridSearch at scale', () => {
  it('leaves common terms out of an OR query, and ANDs them when nothing rarer is asked', () => {
    const index = new KnowledgeIndexStore(':memory:');
    const chunks = Array.from({ length: COMMON_TERM_DOCS + 10 }, (_, i) => ({
      startLine: i + 1,
      endLine: i + 1,
      text:
        i === 5
          ? 'common words and the rare okapi'
          : i % 2 === 0
            ? 'common words'
            : 'common filler',
    }));
    index.replaceFile(
      'docs',
      { path: 'a.md', hash: 'h', size: 1, mtimeMs: 1, settings: 's' },
      chunks,
      undefined,
    );
    const hits = index.search({ collection: 'docs', text: 'common okapi', limit: 3 });
    expect(hits).toHaveLength(1);
    expect(hits[0]?.text).toContain('okapi');
    const both = index.engine.keywordSearch('docs', 'common words', 5000);
    expect(both.length).toBeGreaterThan(COMMON_TERM_DOCS / 2 - 10);
    expect(both.length).toBeLessThan(COMMON_TERM_DOCS);
    index.close();
  });

  it('loads a large collection in the background instead of stalling the first query', async () => {
    const index = new KnowledgeIndexStore(':memory:');
    const chunks = Array.from({ length: SYNC_LOAD_ROWS * 3 }, (_, i) => ({
      startLine: i + 1,
      endLine: i + 1,
      text: `chunk ${i}`,
      vector: embed(`topic${i % 50} words`),
    }));
    index.replaceFile(
      'docs',
      { path: 'a.md', hash: 'h', size: 1, mtimeMs: 1, settings: 's' },
      chunks,
      MODEL,
    );
    expect(index.engine.vectorSearch('docs', embed('topic7 words'), MODEL, 5)).toEqual([]);
    await index.engine.warm('docs', MODEL);
    const hits = index.engine.vectorSearch('docs', embed('topic7 words'), MODEL, 5);
    expect(hits).toHaveLength(5);
    expect(hits[0]!.similarity).toBeGreaterThan(0.99);
    index.close();
  });
});

describe('KnowledgeIndexStore', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('replaces a file atomically and finds chunks by path words', () => {
    const index = new KnowledgeIndexStore(':memory:');
    const file = { path: 'guides/setup.md', hash: 'h1', size: 10, mtimeMs: 1, settings: 's' };
    index.replaceFile(
      'docs',
      file,
      [
        {
          startLine: 1,
          endLine: 3,
          text: 'install the widget',
          vector: embed('install the widget'),
        },
      ],
      MODEL,
    );
    expect(index.search({ collection: 'docs', text: 'setup', limit: 3 })[0]?.path).toBe(
      'guides/setup.md',
    );
    index.replaceFile(
      'docs',
      { ...file, hash: 'h2' },
      [{ startLine: 1, endLine: 1, text: 'configure the gadget' }],
      MODEL,
    );
    expect(
      index.search({
        collection: 'docs',
        text: 'widget',
        vector: embed('widget'),
        vectorModel: MODEL,
        limit: 3,
      }),
    ).toEqual([]);
    expect(index.counts('docs')).toEqual({ files: 1, chunks: 1, failedFiles: 0 });
    index.removeFile('docs', file.path);
    expect(index.counts('docs')).toEqual({ files: 0, chunks: 0, failedFiles: 0 });
    index.close();
  });

  it('creates a missing file without calling it a rebuild', () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-'));
    const index = new KnowledgeIndexStore(join(dir, 'sub', 'knowledge.db'));
    expect(index.wasRebuilt).toBe(false);
    index.close();
  });

  it('rebuilds a file that is not a database instead of failing', () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-'));
    const path = join(dir, 'knowledge.db');
    writeFileSync(path, 'this is not sqlite at all, just garbage bytes'.repeat(200));
    const index = new KnowledgeIndexStore(path);
    expect(index.wasRebuilt).toBe(true);
    expect(index.counts('docs').files).toBe(0);
    index.replaceFile(
      'docs',
      { path: 'a.md', hash: 'h', size: 1, mtimeMs: 1, settings: 's' },
      [{ startLine: 1, endLine: 1, text: 'hello' }],
      undefined,
    );
    index.close();
    const reopened = new KnowledgeIndexStore(path);
    expect(reopened.wasRebuilt).toBe(false);
    expect(reopened.counts('docs').chunks).toBe(1);
    reopened.close();
  });
});
