import { readFileSync } from 'node:fs';
import type { Clock, Logger, TextScrubber } from '../shared/index.js';
import { AnthropicChatModel } from './anthropic-chat-model.js';
import type { ChatModel } from './chat-model.js';
import { ModelError } from './errors.js';
import type { ModelConfig, ProviderSpec } from './model-config.js';
import {
  ModelConfigError,
  canonicalProvider,
  failoverError,
  failoverNames,
  providerSpecFor,
} from './model-config.js';
import { OpenAiChatModel } from './openai-chat-model.js';
import { ResilientChatModel } from './resilient-chat-model.js';
import { ScrubbingChatModel } from './scrubbing-chat-model.js';
import type { NamedChatModel, RetryPolicy } from './resilient-chat-model.js';
import { UnavailableChatModel } from './unavailable-chat-model.js';
import { apiUrlForHost, nonEmpty, stripSlash } from './endpoint-text.js';

/** Sent to servers that need no key; the SDKs refuse to start without one. */
export const PLACEHOLDER_API_KEY = 'sk-no-key-required';

/** What {@link ModelRegistry} needs; nothing here reads `process.env` itself. */
export interface ModelRegistryDeps {
  /** The `models:` map of the config. */
  readonly models: Readonly<Record<string, ModelConfig>>;
  /** Environment values (the cli passes `process.env`); `<NAME>_FILE` variants included. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly retryPolicy?: Partial<RetryPolicy>;
  /** Reads a `<NAME>_FILE` secret; default `readFileSync(path, 'utf8')`. */
  readonly readFile?: (path: string) => string;
  /** Replaces global fetch in the SDK clients (tests, proxies). */
  readonly fetch?: typeof fetch;
  /** Removes known secret values from every request (see `SecretScrubber`). */
  readonly scrubber?: TextScrubber;
}

/** Where a configured model points, for startup logs (never the key itself). */
export interface ModelEndpoint {
  readonly name: string;
  readonly provider: string;
  readonly modelId: string;
  readonly baseUrl: string;
  /** `env` when a key was found, `placeholder` for keyless servers, `missing` otherwise. */
  readonly key: 'env' | 'config' | 'placeholder' | 'missing';
}

interface ResolvedModel {
  readonly endpoint: ModelEndpoint;
  readonly model: ChatModel;
}

/**
 * Builds {@link ChatModel}s from the config's `models:` map: picks the provider's SDK and
 * endpoint, resolves the API key from `env` (or `<NAME>_FILE`), and wraps each model in a
 * {@link ResilientChatModel} with its failover chain, behind a {@link ScrubbingChatModel}
 * when a scrubber is given. Models are built on first use and cached; a config reload builds
 * a new registry.
 *
 * A model whose key is missing still resolves: to a model that fails every call with
 * `missing_api_key`, naming the variable to set.
 */
export class ModelRegistry {
  private readonly resolved = new Map<string, ResolvedModel>();
  private readonly resilient = new Map<string, ChatModel>();
  private readonly readFile: (path: string) => string;

  constructor(private readonly deps: ModelRegistryDeps) {
    this.readFile = deps.readFile ?? ((path) => readFileSync(path, 'utf8'));
  }

  /** The configured model names. */
  names(): string[] {
    return Object.keys(this.deps.models);
  }

  /**
   * The model called `name`, with retries and failover.
   * @throws ModelConfigError when the name, its provider or its failover list is invalid.
   */
  get(name: string): ChatModel {
    const cached = this.resilient.get(name);
    if (cached !== undefined) return cached;
    const invalidFailover = failoverError(name, this.deps.models);
    if (invalidFailover !== undefined) throw invalidFailover;
    const config = this.configOf(name);
    const chain: [NamedChatModel, ...NamedChatModel[]] = [
      { name, model: this.resolve(name).model },
      ...failoverNames(config).map((target) => ({
        name: target,
        model: this.resolve(target).model,
      })),
    ];
    const resilient = new ResilientChatModel({
      chain,
      clock: this.deps.clock,
      log: this.deps.log.child({ component: 'llm' }),
      ...(this.deps.retryPolicy === undefined ? {} : { policy: this.deps.retryPolicy }),
    });
    const model =
      this.deps.scrubber === undefined
        ? resilient
        : new ScrubbingChatModel(resilient, this.deps.scrubber);
    this.resilient.set(name, model);
    return model;
  }

  /**
   * Where `name` points and whether it has a key, for startup logs.
   * @throws ModelConfigError like {@link get}.
   */
  endpoint(name: string): ModelEndpoint {
    return this.resolve(name).endpoint;
  }

  private configOf(name: string): ModelConfig {
    const config = this.deps.models[name];
    if (config === undefined) {
      const known = this.names().sort().join(', ');
      throw new ModelConfigError(
        'unknown_model',
        name,
        `unknown model "${name}" (configured: ${known})`,
      );
    }
    return config;
  }

  /** The bare adapter for `name` (no retries), built once. */
  private resolve(name: string): ResolvedModel {
    const cached = this.resolved.get(name);
    if (cached !== undefined) return cached;
    const config = this.configOf(name);
    const spec = providerSpecFor(name, config);
    if (spec instanceof ModelConfigError) throw spec;
    const resolved = this.build(name, config, spec);
    this.resolved.set(name, resolved);
    return resolved;
  }

  private build(name: string, config: ModelConfig, spec: ProviderSpec): ResolvedModel {
    const extra = config.extra_kwargs ?? {};
    const baseUrl = this.baseUrlFor(config, spec);
    const isCustomEndpoint = stripSlash(baseUrl) !== stripSlash(spec.defaultBaseUrl);
    const key = this.keyFor(config, spec, isCustomEndpoint);
    const provider = canonicalProvider(config.provider);
    const endpoint: ModelEndpoint = {
      name,
      provider,
      modelId: config.id,
      baseUrl,
      key: key.source,
    };
    if (key.value === undefined) {
      const envVar = spec.keyEnv ?? 'API_KEY';
      const detail = key.problem === undefined ? '' : ` (${key.problem})`;
      const model = new UnavailableChatModel(
        config.id,
        () =>
          new ModelError(
            'missing_api_key',
            `model "${name}" (provider ${provider}) has no API key${detail}: set ${envVar} or ${envVar}_FILE`,
            {
              envVar,
              userMessage: `The model "${name}" has no API key configured. An operator needs to set ${envVar} (or ${envVar}_FILE) and restart.`,
            },
          ),
      );
      return { endpoint, model };
    }

    const temperature = config.temperature ?? numberOf(extra['temperature']);
    const maxTokens = config.max_tokens ?? numberOf(extra['max_tokens']);
    const timeoutSeconds = numberOf(extra['timeout']);
    const headers = stringRecordOf(extra['headers']);
    const common = {
      modelId: config.id,
      apiKey: key.value,
      baseUrl,
      extraBody: extraBodyOf(extra),
      log: this.deps.log.child({ component: 'llm', model: name }),
      now: () => this.deps.clock.now(),
      ...(temperature === undefined ? {} : { temperature }),
      ...(maxTokens === undefined ? {} : { maxTokens }),
      ...(timeoutSeconds === undefined ? {} : { timeoutMs: timeoutSeconds * 1000 }),
      ...(headers === undefined ? {} : { defaultHeaders: headers }),
      ...(this.deps.fetch === undefined ? {} : { fetch: this.deps.fetch }),
    };
    const model =
      spec.api === 'anthropic'
        ? new AnthropicChatModel(common)
        : new OpenAiChatModel({
            ...common,
            // OpenAI's own endpoint wants the newer field; compatible servers the old one.
            maxTokensParam:
              provider === 'openai' && !isCustomEndpoint ? 'max_completion_tokens' : 'max_tokens',
          });
    return { endpoint, model };
  }

  /**
   * Precedence: `base_url`, then `extra_kwargs.base_url`, then `host` (self-hosted), then
   * the provider's environment override (`OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL`,
   * `OLLAMA_HOST`), then the provider's default.
   */
  private baseUrlFor(config: ModelConfig, spec: ProviderSpec): string {
    const explicit =
      nonEmpty(config.base_url) ?? nonEmpty(stringOf(config.extra_kwargs?.['base_url']));
    if (explicit !== undefined) return stripSlash(explicit);
    if (spec.isSelfHosted === true) {
      const host =
        nonEmpty(config.host) ??
        (spec.hostEnv === undefined ? undefined : nonEmpty(this.deps.env[spec.hostEnv]));
      if (host !== undefined) return apiUrlForHost(host);
    }
    const fromEnv =
      spec.baseUrlEnv === undefined ? undefined : nonEmpty(this.deps.env[spec.baseUrlEnv]);
    return stripSlash(fromEnv ?? spec.defaultBaseUrl);
  }

  /**
   * Precedence: `extra_kwargs.api_key`, then `<KEY_ENV>`, then the file `<KEY_ENV>_FILE`
   * names. Keyless providers, and any provider pointed at a custom endpoint, fall back to
   * a placeholder key.
   */
  private keyFor(
    config: ModelConfig,
    spec: ProviderSpec,
    isCustomEndpoint: boolean,
  ): { value?: string; source: ModelEndpoint['key']; problem?: string } {
    const fromConfig = nonEmpty(stringOf(config.extra_kwargs?.['api_key']));
    if (fromConfig !== undefined) return { value: fromConfig, source: 'config' };
    let problem: string | undefined;
    if (spec.keyEnv !== undefined) {
      const fromEnv = nonEmpty(this.deps.env[spec.keyEnv]);
      if (fromEnv !== undefined) return { value: fromEnv, source: 'env' };
      const file = nonEmpty(this.deps.env[`${spec.keyEnv}_FILE`]);
      if (file !== undefined) {
        try {
          const fromFile = nonEmpty(this.readFile(file).trim());
          if (fromFile !== undefined) return { value: fromFile, source: 'env' };
          problem = `${spec.keyEnv}_FILE names an empty file`;
        } catch (error: unknown) {
          const code = (error as { code?: unknown }).code;
          problem = `${spec.keyEnv}_FILE could not be read: ${typeof code === 'string' ? code : 'error'}`;
        }
      }
    }
    if (spec.keyEnv === undefined || isCustomEndpoint) {
      return { value: PLACEHOLDER_API_KEY, source: 'placeholder' };
    }
    return problem === undefined ? { source: 'missing' } : { source: 'missing', problem };
  }
}

/** Request-body fields that `extra_kwargs` may set (MindRoom passes them to the model). */
const BODY_KWARGS = [
  'top_p',
  'top_k',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'stop',
  'reasoning_effort',
] as const;

function extraBodyOf(extra: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const key of BODY_KWARGS) if (extra[key] !== undefined) body[key] = extra[key];
  const escape = extra['extra_body'];
  if (escape !== null && typeof escape === 'object' && !Array.isArray(escape)) {
    Object.assign(body, escape);
  }
  return body;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function stringRecordOf(value: unknown): Record<string, string> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (typeof inner === 'string') out[key] = inner;
  }
  return out;
}
