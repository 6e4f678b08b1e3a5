/**
 * Memory over real HTTP: the OpenAI-compatible embedder against the scripted LLM server's
 * `/v1/embeddings`, with the real store on `:memory:` SQLite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { llmReply, ScriptedLlmServer } from '../../test/support/scripted-llm-server.js';
import { GuardedEmbedder, OpenAiEmbedder } from '../llm/index.js';
import { systemClock } from '../shared/index.js';
import { QuorumStore } from '../storage/index.js';
import { MemoryService } from './memory-service.js';

let server: ScriptedLlmServer;
beforeAll(async () => {
  server = await ScriptedLlmServer.start({ embeddingDimensions: 128 });
});
afterAll(async () => {
  await server.close();
});

function serviceFor(baseUrl: string, log = new RecordingLogger()) {
  const store = new QuorumStore(':memory:');
  const embedder = new OpenAiEmbedder({
    model: 'text-embedding-3-small',
    baseUrl,
    apiKey: 'sk-test',
    clock: systemClock,
    maxAttempts: 1,
    timeoutMs: 2_000,
  });
  const service = new MemoryService({
    store: store.memories,
    embedder: new GuardedEmbedder({ embedder, clock: systemClock, log }),
    clock: systemClock,
    log,
    settings: () => ({
      policy: { roomMemories: false, teamReadsMemberMemory: false },
      recall: { enabled: true, maxItems: 5, maxChars: 2_000 },
      isEnabledFor: () => true,
    }),
  });
  return { store, service, log };
}

const signal = new AbortController().signal;
const request = (requester: string, text: string) => ({
  agentName: 'helper',
  requester,
  roomId: '!r:x',
  threadRoot: '$other-thread',
  text,
});

describe('memory recall over HTTP embeddings', () => {
  it('stores with a vector from the server and recalls for the same person only', async () => {
    const { store, service } = serviceFor(`${server.url}/v1`);
    const memory = await service.add(
      { owner: 'helper', requester: '@alice:x', roomId: '!r:x', threadRoot: '$t1' },
      'ALICE-CANARY-91 prefers window seats',
    );
    expect(memory.hasVector).toBe(true);
    expect(server.requests.some((r) => r.api === 'embeddings')).toBe(true);
    expect((await service.recall(request('@alice:x', 'window seats'), { signal }))?.body).toContain(
      'ALICE-CANARY-91',
    );
    expect(
      (await service.recall(request('@bob:x', 'window seats ALICE-CANARY-91'), { signal }))?.body ??
        '',
    ).not.toContain('CANARY');
    store.close();
  });

  it('falls back to keywords with one warning when the server fails, without failing the turn', async () => {
    server.when({ api: 'embeddings' }, llmReply.failure(500), { times: 10 });
    const { store, service, log } = serviceFor(`${server.url}/v1`);
    await service.add(
      { owner: 'helper', requester: '@alice:x', roomId: '!r:x' },
      'owns a tandem bicycle',
    );
    const section = await service.recall(request('@alice:x', 'tandem'), { signal });
    expect(section?.body).toContain('tandem');
    expect(log.at('warn', 'embedder unavailable')).toHaveLength(1);
    store.close();
    server.reset();
  });

  it('falls back when nothing listens at the embedder address', async () => {
    const { store, service, log } = serviceFor('http://127.0.0.1:9/v1');
    await service.add(
      { owner: 'helper', requester: '@alice:x', roomId: '!r:x' },
      'collects stamps',
    );
    expect((await service.recall(request('@alice:x', 'stamps'), { signal }))?.body).toContain(
      'stamps',
    );
    expect(log.at('warn')).toHaveLength(1);
    store.close();
  });
});
