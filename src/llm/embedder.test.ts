import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { hashedVector } from '../../test/support/scripted-llm-openai.js';
import { llmReply, ScriptedLlmServer } from '../../test/support/scripted-llm-server.js';
import { systemClock } from '../shared/index.js';
import { OpenAiEmbedder } from './embedder.js';
import { createEmbedder } from './embedder-factory.js';
import { ModelError } from './errors.js';
import { GuardedEmbedder } from './guarded-embedder.js';

let server: ScriptedLlmServer;
beforeAll(async () => {
  server = await ScriptedLlmServer.start({ embeddingDimensions: 32 });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
});

const embedderAt = (options: Partial<ConstructorParameters<typeof OpenAiEmbedder>[0]> = {}) =>
  new OpenAiEmbedder({
    model: 'text-embedding-3-small',
    baseUrl: `${server.url}/v1`,
    apiKey: 'sk-test',
    clock: systemClock,
    baseDelayMs: 1,
    ...options,
  });

describe('OpenAiEmbedder', () => {
  it('embeds in batches over HTTP and keeps the input order', async () => {
    const texts = Array.from({ length: 150 }, (_, i) => `text number ${i}`);
    const vectors = await embedderAt({ maxBatchInputs: 64 }).embed(texts);
    expect(vectors).toHaveLength(150);
    expect(server.requests.filter((r) => r.api === 'embeddings')).toHaveLength(3);
    expect([...vectors[149]!]).toEqual(hashedVector('text number 149', 32));
  });

  it('asks for the configured dimensions', async () => {
    const [vector] = await embedderAt({ dimensions: 8 }).embed(['hello']);
    expect(vector).toHaveLength(8);
    expect((server.requests[0]?.body as { dimensions?: number }).dimensions).toBe(8);
  });

  it('retries a 5xx and a 429, but not a 401', async () => {
    server.when({ api: 'embeddings' }, llmReply.failure(503), { times: 1 });
    server.when({ api: 'embeddings' }, llmReply.failure(429, { retryAfter: 0 }), { times: 1 });
    expect(await embedderAt().embed(['a'])).toHaveLength(1);
    expect(server.requests).toHaveLength(3);
    server.reset();
    server.when({ api: 'embeddings' }, llmReply.failure(401), { times: 1 });
    await expect(embedderAt().embed(['a'])).rejects.toMatchObject({ code: 'auth' });
    expect(server.requests).toHaveLength(1);
  });

  it('times out a hanging server through the injected clock', async () => {
    const clock = new FakeClock();
    server.when({ api: 'embeddings' }, llmReply.hang(), { times: 1 });
    const pending = embedderAt({ clock, timeoutMs: 5_000, maxAttempts: 1 }).embed(['a']);
    await server.waitForRequest();
    await clock.advance(5_001);
    await expect(pending).rejects.toMatchObject({ code: 'timeout' });
  });
});

describe('createEmbedder', () => {
  const deps = { env: {}, clock: systemClock, log: new RecordingLogger() };
  it("has no embedder for OpenAI's endpoint without a key, and says which variable to set", () => {
    const resolved = createEmbedder({ provider: 'openai', config: {} }, deps);
    expect(resolved.embedder).toBeUndefined();
    expect(!resolved.embedder && resolved.reason).toContain('OPENAI_API_KEY');
  });
  it('prefers EMBEDDER_API_KEY, and reaches Ollama and custom servers without a key', () => {
    expect(
      createEmbedder(
        { provider: 'openai', config: {} },
        { ...deps, env: { EMBEDDER_API_KEY: 'k' } },
      ).embedder?.identity,
    ).toContain('api.openai.com');
    const ollama = createEmbedder({ provider: 'ollama', config: { host: 'gpu:11434' } }, deps);
    expect(ollama.embedder?.identity).toBe(
      'openai-compatible:http://gpu:11434/v1:nomic-embed-text:native',
    );
    const vllm = createEmbedder(
      {
        provider: 'openai',
        config: { base_url: 'http://vllm:8000/v1', model: 'bge', dimensions: 256 },
      },
      deps,
    );
    expect(vllm.embedder?.identity).toBe('openai-compatible:http://vllm:8000/v1:bge:256');
    expect(
      createEmbedder({ provider: 'sentence_transformers', config: {} }, deps).embedder,
    ).toBeUndefined();
  });
});

describe('GuardedEmbedder', () => {
  it('warns once per outage, skips requests while cooling down, and recovers', async () => {
    const clock = new FakeClock();
    const log = new RecordingLogger();
    let isDown = true;
    let calls = 0;
    const guarded = new GuardedEmbedder({
      embedder: {
        identity: 'x',
        embed: (texts) => {
          calls++;
          return isDown
            ? Promise.reject(new ModelError('connection', 'refused'))
            : Promise.resolve(texts.map(() => new Float32Array(2)));
        },
      },
      clock,
      log,
      cooldownMs: 1_000,
    });
    expect(await guarded.tryEmbed(['a'])).toBeUndefined();
    expect(await guarded.tryEmbed(['a'])).toBeUndefined();
    expect(calls).toBe(1);
    expect(guarded.status().state).toBe('down');
    await clock.advance(1_000);
    expect(await guarded.tryEmbed(['a'])).toBeUndefined();
    expect(log.at('warn')).toHaveLength(1);
    isDown = false;
    await clock.advance(1_000);
    expect(await guarded.tryEmbed(['a'])).toHaveLength(1);
    expect(guarded.status()).toEqual({ state: 'ok' });
    expect(log.at('info', 'recovered')).toHaveLength(1);
  });

  it('rethrows only the caller abort', async () => {
    const guarded = new GuardedEmbedder({
      embedder: {
        identity: 'x',
        embed: (_t, o) =>
          new Promise((_r, reject) =>
            o?.signal?.addEventListener('abort', () => {
              reject(o.signal?.reason as Error);
            }),
          ),
      },
      clock: new FakeClock(),
      log: new RecordingLogger(),
    });
    const controller = new AbortController();
    const pending = guarded.tryEmbed(['a'], { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
