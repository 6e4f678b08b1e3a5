import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { llmReply, ScriptedLlmServer } from '../../test/support/scripted-llm-server.js';
import { silentLogger } from '../shared/index.js';
import type { Clock } from '../shared/index.js';
import type { ChatRequest } from './chat-model.js';
import { ModelError } from './errors.js';
import type { ModelConfig } from './model-config.js';
import { ModelConfigError, validateModelConfigs } from './model-config.js';
import { ModelRegistry, PLACEHOLDER_API_KEY } from './model-registry.js';
import type { ModelRegistryDeps } from './model-registry.js';

let server: ScriptedLlmServer;
beforeAll(async () => {
  server = await ScriptedLlmServer.start();
});
afterEach(() => {
  server.reset();
});
afterAll(async () => {
  await server.close();
});

/** Retries sleep no real time here; the retry policy itself is tested with a FakeClock. */
const instantClock: Clock = { now: () => Date.now(), sleep: () => Promise.resolve() };

function registry(
  models: Record<string, ModelConfig>,
  env: Record<string, string | undefined> = {},
  extra: Partial<ModelRegistryDeps> = {},
): ModelRegistry {
  return new ModelRegistry({ models, env, clock: instantClock, log: silentLogger, ...extra });
}

const hello: ChatRequest = { messages: [{ role: 'user', content: 'hi' }] };

async function failureOf(work: Promise<unknown>): Promise<ModelError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

describe('ModelRegistry', () => {
  it('builds an OpenAI-compatible model that sends the key from the environment', async () => {
    server.enqueue(llmReply.text('hello from openai'));
    const models = registry(
      { default: { provider: 'openai', id: 'gpt-x', base_url: server.openAiBaseUrl } },
      { OPENAI_API_KEY: 'sk-from-env' },
    );
    const response = await models.get('default').complete(hello);
    expect(response.text).toBe('hello from openai');
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer sk-from-env');
    expect(models.endpoint('default')).toEqual({
      name: 'default',
      provider: 'openai',
      modelId: 'gpt-x',
      baseUrl: server.openAiBaseUrl,
      key: 'env',
    });
  });

  it('reads a key from <NAME>_FILE and trims it', async () => {
    server.enqueue(llmReply.text('ok'));
    const files: Record<string, string> = { '/run/secrets/anthropic': '  sk-ant-from-file\n' };
    const models = registry(
      { claude: { provider: 'anthropic', id: 'claude-x' } },
      {
        ANTHROPIC_API_KEY_FILE: '/run/secrets/anthropic',
        ANTHROPIC_BASE_URL: server.anthropicBaseUrl,
      },
      {
        readFile: (path) => {
          const text = files[path];
          if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
          return text;
        },
      },
    );
    await models.get('claude').complete(hello);
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer sk-ant-from-file');
    expect(models.endpoint('claude').baseUrl).toBe(server.anthropicBaseUrl);
  });

  it('prefers the plain variable over the _FILE variant', () => {
    const models = registry(
      { default: { provider: 'groq', id: 'llama' } },
      { GROQ_API_KEY: 'gsk-plain', GROQ_API_KEY_FILE: '/nowhere' },
      {
        readFile: () => {
          throw new Error('must not be read');
        },
      },
    );
    expect(models.endpoint('default').key).toBe('env');
  });

  it('resolves a model without its key to one that fails naming the variable to set', async () => {
    const models = registry({ router: { provider: 'openrouter', id: 'some/model' } });
    const model = models.get('router');
    const error = await failureOf(model.complete(hello));
    expect(error).toMatchObject({
      code: 'missing_api_key',
      envVar: 'OPENROUTER_API_KEY',
      kind: 'config',
    });
    expect(error.userMessage).toBe(
      'The model "router" has no API key configured. An operator needs to set OPENROUTER_API_KEY (or OPENROUTER_API_KEY_FILE) and restart.',
    );
    expect(models.endpoint('router')).toMatchObject({
      baseUrl: 'https://openrouter.ai/api/v1',
      key: 'missing',
    });
  });

  it('says when the _FILE variable names a file that cannot be read', async () => {
    const models = registry(
      { default: { provider: 'deepseek', id: 'deepseek-chat' } },
      { DEEPSEEK_API_KEY_FILE: '/run/secrets/missing' },
      {
        readFile: () => {
          throw Object.assign(new Error('nope'), { code: 'ENOENT' });
        },
      },
    );
    const error = await failureOf(models.get('default').complete(hello));
    expect(error.message).toContain('DEEPSEEK_API_KEY_FILE could not be read: ENOENT');
    expect(error.message).not.toContain('/run/secrets/missing');
  });

  it('points Ollama at host/v1, then OLLAMA_HOST, then localhost, with no key needed', () => {
    const models = registry(
      {
        explicit: { provider: 'ollama', id: 'llama3', host: 'http://gpu-box:11434/' },
        fromEnv: { provider: 'ollama', id: 'llama3' },
      },
      { OLLAMA_HOST: '10.0.0.5:11434' },
    );
    expect(models.endpoint('explicit')).toMatchObject({
      baseUrl: 'http://gpu-box:11434/v1',
      key: 'placeholder',
    });
    expect(models.endpoint('fromEnv').baseUrl).toBe('http://10.0.0.5:11434/v1');
    const plain = registry({ local: { provider: 'Ollama', id: 'llama3' } });
    expect(plain.endpoint('local').baseUrl).toBe('http://localhost:11434/v1');
  });

  it('takes base_url over extra_kwargs.base_url over OPENAI_BASE_URL over the default', () => {
    const env = { OPENAI_BASE_URL: 'http://env-proxy/v1', OPENAI_API_KEY: 'sk-x' };
    const models = registry(
      {
        top: {
          provider: 'openai',
          id: 'm',
          base_url: 'http://top/v1',
          extra_kwargs: { base_url: 'http://kw/v1' },
        },
        kw: { provider: 'openai', id: 'm', extra_kwargs: { base_url: 'http://kw/v1/' } },
        env: { provider: 'openai', id: 'm' },
      },
      env,
    );
    expect(models.endpoint('top').baseUrl).toBe('http://top/v1');
    expect(models.endpoint('kw').baseUrl).toBe('http://kw/v1');
    expect(models.endpoint('env').baseUrl).toBe('http://env-proxy/v1');
    expect(
      registry({ d: { provider: 'openai', id: 'm' } }, { OPENAI_API_KEY: 'k' }).endpoint('d')
        .baseUrl,
    ).toBe('https://api.openai.com/v1');
  });

  it('uses a placeholder key for a custom endpoint that has none configured', async () => {
    server.enqueue(llmReply.text('local answer'));
    const models = registry({
      custom: {
        provider: 'openai',
        id: 'my-model',
        extra_kwargs: { base_url: server.openAiBaseUrl },
      },
    });
    expect(models.endpoint('custom').key).toBe('placeholder');
    await models.get('custom').complete(hello);
    expect(server.requests[0]?.headers['authorization']).toBe(`Bearer ${PLACEHOLDER_API_KEY}`);
  });

  it('passes temperature, max_tokens and sampling extras into the request body', async () => {
    server.enqueue(llmReply.text('ok'));
    const models = registry({
      tuned: {
        provider: 'vllm',
        id: 'qwen',
        base_url: server.openAiBaseUrl,
        temperature: 0.3,
        extra_kwargs: { max_tokens: 256, top_p: 0.9, cache_system_prompt: true },
      },
    });
    await models.get('tuned').complete(hello);
    expect(server.requests[0]?.body).toMatchObject({
      temperature: 0.3,
      max_tokens: 256,
      top_p: 0.9,
    });
    expect(server.requests[0]?.body).not.toHaveProperty('cache_system_prompt');
  });

  it("sends max_completion_tokens to OpenAI's own endpoint", async () => {
    let sentBody: unknown;
    const fakeFetch: typeof fetch = (_input, init) => {
      sentBody = JSON.parse(init?.body as string);
      const completion = {
        id: 'c',
        object: 'chat.completion',
        created: 0,
        model: 'gpt-x',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' },
        ],
      };
      return Promise.resolve(
        new Response(JSON.stringify(completion), {
          headers: { 'content-type': 'application/json' },
        }),
      );
    };
    const models = registry(
      { official: { provider: 'openai', id: 'gpt-x', max_tokens: 100 } },
      { OPENAI_API_KEY: 'sk-x' },
      { fetch: fakeFetch },
    );
    await models.get('official').complete(hello);
    expect(sentBody).toMatchObject({ max_completion_tokens: 100 });
    expect(sentBody).not.toHaveProperty('max_tokens');
  });

  it('fails over along the configured chain when the primary keeps failing', async () => {
    server.when({ model: 'primary-model' }, llmReply.failure(503));
    server.when({ model: 'backup-model' }, llmReply.text('backup answered'));
    const models = registry(
      {
        main: {
          provider: 'openai',
          id: 'primary-model',
          base_url: server.openAiBaseUrl,
          failover: ['spare', 'backup'],
        },
        spare: { provider: 'groq', id: 'spare-model' },
        backup: { provider: 'openai', id: 'backup-model', base_url: server.openAiBaseUrl },
      },
      {},
      { retryPolicy: { maxAttempts: 2 } },
    );
    const response = await models.get('main').complete(hello);
    expect(response).toMatchObject({ text: 'backup answered', modelId: 'backup-model' });
    expect(server.requests.map((r) => r.model)).toEqual([
      'primary-model',
      'primary-model',
      'backup-model',
    ]);
  });

  it('rejects unknown models and providers with config errors that say what is known', () => {
    const models = registry({
      odd: { provider: 'acme-ai', id: 'x' },
      gem: { provider: 'azure', id: 'gpt-4o' },
    });
    expect(() => models.get('missing')).toThrow(ModelConfigError);
    expect(() => models.get('missing')).toThrow(/unknown model "missing" \(configured: gem, odd\)/);
    expect(() => models.get('odd')).toThrow(
      /unknown provider "acme-ai" \(known: anthropic, cerebras/,
    );
    const unsupported = (() => {
      try {
        models.get('gem');
      } catch (error: unknown) {
        return error;
      }
      return undefined;
    })();
    expect(unsupported).toMatchObject({
      code: 'unsupported_provider',
      kind: 'config',
      modelName: 'gem',
    });
  });

  it('lists every configuration issue without building anything', () => {
    const issues = validateModelConfigs({
      a: { provider: 'openai', id: 'x', failover: 'a' },
      b: { provider: 'nope', id: 'y', failover: ['ghost'] },
      c: { provider: 'together', id: 'z', failover: ['a', 'a'] },
      d: { provider: 'anthropic', id: 'w', failover: 'a' },
    });
    expect(issues.map((i) => [i.model, i.code])).toEqual([
      ['a', 'invalid_failover'],
      ['b', 'unknown_provider'],
      ['b', 'invalid_failover'],
      ['c', 'invalid_failover'],
    ]);
    expect(issues[0]?.message).toBe('model "a": failover "a" names the model itself');
  });

  it('returns the same model instance for repeated lookups', () => {
    const models = registry({ m: { provider: 'ollama', id: 'llama3' } });
    expect(models.get('m')).toBe(models.get('m'));
    expect(models.names()).toEqual(['m']);
  });
});
