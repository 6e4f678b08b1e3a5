import { PROVIDERS as CONFIG_PROVIDERS } from '../config/index.js';
import { DaemonError } from '../shared/index.js';

/**
 * One entry of the `models:` map of MindRoom's config.yaml, as plain data. Field names
 * keep MindRoom's snake_case so the config layer can pass its parsed values straight in.
 */
export interface ModelConfig {
  /** Provider name, case-insensitive, `-` and `_` alike (`openai`, `anthropic`, `ollama`, ...). */
  readonly provider: string;
  /** The provider's model id. */
  readonly id: string;
  /** Overrides the provider's endpoint (OpenAI-compatible: the `/v1` URL). */
  readonly base_url?: string | undefined;
  /** Server root for self-hosted providers (Ollama, vLLM, llama.cpp); `/v1` is appended. */
  readonly host?: string | undefined;
  /**
   * Provider extras. Read: `base_url`, `api_key`, `temperature`, `max_tokens`, `timeout`
   * (seconds), `headers`, the sampling fields `top_p`, `top_k`, `presence_penalty`,
   * `frequency_penalty`, `seed`, `stop`, `reasoning_effort`, and `extra_body` (an object
   * merged into every request body). Other keys are MindRoom-specific and ignored.
   */
  readonly extra_kwargs?: Readonly<Record<string, unknown>> | undefined;
  readonly temperature?: number | undefined;
  readonly max_tokens?: number | undefined;
  /** Names of other models to try, in order, when this one fails for good. */
  readonly failover?: string | readonly string[] | undefined;
}

/** How Quorum reaches one provider. */
export interface ProviderSpec {
  /** Which wire protocol (and SDK) serves it. */
  readonly api: 'openai' | 'anthropic';
  readonly defaultBaseUrl: string;
  /** Environment variable holding the key; absent for local servers that need none. */
  readonly keyEnv?: string;
  /** Environment variable that overrides `defaultBaseUrl`. */
  readonly baseUrlEnv?: string;
  /** True when `host` / `OLLAMA_HOST`-style server roots apply (`/v1` appended). */
  readonly isSelfHosted?: boolean;
  /** Environment variable holding the server root (Ollama's `OLLAMA_HOST`). */
  readonly hostEnv?: string;
}

/** Providers Quorum can talk to, by canonical name. */
/**
 * How each provider Quorum can serve is reached, derived from the config's provider table
 * (one source of truth for which providers exist and which Quorum can reach).
 */
export const PROVIDERS: Readonly<Record<string, ProviderSpec>> = Object.fromEntries(
  Object.entries(CONFIG_PROVIDERS).flatMap(([name, info]) =>
    info.wire === undefined || info.defaultBaseUrl === undefined
      ? []
      : [
          [
            name,
            {
              api: info.wire,
              defaultBaseUrl: info.defaultBaseUrl,
              ...(info.apiKeyEnv === undefined ? {} : { keyEnv: info.apiKeyEnv }),
              ...(info.baseUrlEnv === undefined ? {} : { baseUrlEnv: info.baseUrlEnv }),
              ...(info.usesHost ? { isSelfHosted: true } : {}),
              ...(info.hostEnv === undefined ? {} : { hostEnv: info.hostEnv }),
            } satisfies ProviderSpec,
          ],
        ],
  ),
);

/** MindRoom providers Quorum recognises but cannot serve yet (each needs its own client). */
const UNSUPPORTED_PROVIDERS = new Set(
  Object.entries(CONFIG_PROVIDERS)
    .filter(([, info]) => info.wire === undefined)
    .map(([name]) => name),
);

/** `OpenAI`, `llama-cpp` → `openai`, `llama_cpp` (MindRoom's canonical form). */
export function canonicalProvider(provider: string): string {
  return provider.trim().toLowerCase().replace(/-/g, '_');
}

/**
 * Problems in the model configuration, each raised by {@link ModelRegistry.get}:
 * - `unknown_model`: no model of that name (e.g. an agent or failover names a typo).
 * - `unknown_provider`: the provider name is not one Quorum or MindRoom knows.
 * - `unsupported_provider`: a MindRoom provider Quorum cannot serve yet.
 * - `invalid_failover`: a failover entry names itself, a missing model, or repeats.
 */
export type ModelConfigErrorCode =
  'unknown_model' | 'unknown_provider' | 'unsupported_provider' | 'invalid_failover';

/** A configuration mistake about models; `kind` is always `config`. */
export class ModelConfigError extends DaemonError<ModelConfigErrorCode> {
  /** The config name of the model at fault. */
  readonly modelName: string;

  constructor(code: ModelConfigErrorCode, modelName: string, message: string) {
    super(code, 'config', message, {
      userMessage: `The model "${modelName}" is misconfigured. An operator needs to check config.yaml.`,
    });
    this.name = 'ModelConfigError';
    this.modelName = modelName;
  }
}

/** One problem found by {@link validateModelConfigs}. */
export interface ModelConfigIssue {
  readonly model: string;
  readonly code: ModelConfigErrorCode;
  readonly message: string;
}

/** The provider spec for `config`, or the error explaining why there is none. */
export function providerSpecFor(
  name: string,
  config: ModelConfig,
): ProviderSpec | ModelConfigError {
  const provider = canonicalProvider(config.provider);
  const spec = PROVIDERS[provider];
  if (spec !== undefined) return spec;
  if (UNSUPPORTED_PROVIDERS.has(provider)) {
    return new ModelConfigError(
      'unsupported_provider',
      name,
      `model "${name}": provider "${config.provider}" is not supported by Quorum yet`,
    );
  }
  const known = Object.keys(PROVIDERS).sort().join(', ');
  return new ModelConfigError(
    'unknown_provider',
    name,
    `model "${name}": unknown provider "${config.provider}" (known: ${known})`,
  );
}

/** The failover names of `config` as a list. */
export function failoverNames(config: ModelConfig): readonly string[] {
  if (config.failover === undefined) return [];
  return typeof config.failover === 'string' ? [config.failover] : config.failover;
}

/**
 * Every problem in a `models:` map, without building anything: unknown or unsupported
 * providers and bad failover references. Pure, so the config layer can report all issues
 * of a file at once (and keep the last good config on reload).
 */
export function validateModelConfigs(
  models: Readonly<Record<string, ModelConfig>>,
): ModelConfigIssue[] {
  const issues: ModelConfigIssue[] = [];
  for (const [name, config] of Object.entries(models)) {
    const spec = providerSpecFor(name, config);
    if (spec instanceof ModelConfigError) {
      issues.push({ model: name, code: spec.code, message: spec.message });
    }
    const error = failoverError(name, models);
    if (error !== undefined) {
      issues.push({ model: name, code: error.code, message: error.message });
    }
  }
  return issues;
}

/** The first problem with `name`'s failover list, if any. */
export function failoverError(
  name: string,
  models: Readonly<Record<string, ModelConfig>>,
): ModelConfigError | undefined {
  const config = models[name];
  if (config === undefined) return undefined;
  const seen = new Set<string>();
  for (const target of failoverNames(config)) {
    const problem =
      target === name
        ? 'names the model itself'
        : !(target in models)
          ? 'names no configured model'
          : seen.has(target)
            ? 'is listed twice'
            : undefined;
    if (problem !== undefined) {
      return new ModelConfigError(
        'invalid_failover',
        name,
        `model "${name}": failover "${target}" ${problem}`,
      );
    }
    seen.add(target);
  }
  return undefined;
}
