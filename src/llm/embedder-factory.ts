import { readFileSync } from 'node:fs';
import type { Clock, Logger } from '../shared/index.js';
import type { Embedder } from './embedder.js';
import { OpenAiEmbedder } from './embedder.js';
import type { ModelConfig } from './model-config.js';
import { PLACEHOLDER_API_KEY } from './model-registry.js';
import { apiUrlForHost, nonEmpty, stripSlash } from './endpoint-text.js';

/** `memory.embedder` as plain data (the config layer passes its parsed value). */
export interface EmbedderSettings {
  readonly provider: string;
  readonly config: {
    readonly model?: string | null;
    readonly api_key?: string | null;
    readonly host?: string | null;
    readonly base_url?: string | null;
    readonly dimensions?: number | null;
  };
}

/** What {@link createEmbedder} needs; nothing here reads `process.env` itself. */
export interface EmbedderFactoryDeps {
  /** Environment values (the cli passes `process.env`); `<NAME>_FILE` variants included. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly readFile?: (path: string) => string;
  readonly fetch?: typeof fetch;
}

/** The embedder, or why there is none (operator text, never a key). */
export type EmbedderResolution =
  | { readonly embedder: Embedder; readonly endpoint: string }
  | { readonly embedder: undefined; readonly reason: string };

const OPENAI_URL = 'https://api.openai.com/v1';

/**
 * Builds the embedder `memory.embedder` describes (MindRoom's defaults: `openai`,
 * `text-embedding-3-small`). Key order for `openai`: `config.api_key`, then `EMBEDDER_API_KEY`
 * (or its `_FILE`), then `OPENAI_API_KEY` (or `_FILE`); a custom endpoint without a key gets a
 * placeholder (keyless local servers), OpenAI's own endpoint without a key gets no embedder.
 * `ollama` uses `host`, else `OLLAMA_HOST`, else `http://localhost:11434`, and needs no key.
 */
export function createEmbedder(
  settings: EmbedderSettings,
  deps: EmbedderFactoryDeps,
): EmbedderResolution {
  const config = settings.config;
  const read = deps.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const envKey = (name: string): string | undefined => {
    const direct = nonEmpty(deps.env[name]);
    if (direct !== undefined) return direct;
    const file = nonEmpty(deps.env[`${name}_FILE`]);
    if (file === undefined) return undefined;
    try {
      return nonEmpty(read(file).trim());
    } catch {
      return undefined;
    }
  };
  const common = {
    clock: deps.clock,
    log: deps.log.child({ component: 'embedder' }),
    dimensions: config.dimensions ?? undefined,
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
  };
  switch (settings.provider) {
    case 'openai': {
      const explicit =
        nonEmpty(config.base_url ?? undefined) ??
        (nonEmpty(config.host ?? undefined) === undefined
          ? undefined
          : apiUrlForHost(config.host ?? ''));
      const baseUrl = stripSlash(explicit ?? nonEmpty(deps.env['OPENAI_BASE_URL']) ?? OPENAI_URL);
      const key =
        nonEmpty(config.api_key ?? undefined) ??
        envKey('EMBEDDER_API_KEY') ??
        envKey('OPENAI_API_KEY');
      if (key === undefined && baseUrl === OPENAI_URL) {
        return {
          embedder: undefined,
          reason:
            'the openai embedder has no API key: set EMBEDDER_API_KEY or OPENAI_API_KEY (or memory.embedder.config.api_key)',
        };
      }
      const model = config.model ?? 'text-embedding-3-small';
      return {
        embedder: new OpenAiEmbedder({
          ...common,
          model,
          baseUrl,
          apiKey: key ?? PLACEHOLDER_API_KEY,
        }),
        endpoint: baseUrl,
      };
    }
    case 'ollama': {
      const host =
        nonEmpty(config.host ?? undefined) ??
        nonEmpty(deps.env['OLLAMA_HOST']) ??
        'http://localhost:11434';
      const baseUrl = stripSlash(nonEmpty(config.base_url ?? undefined) ?? apiUrlForHost(host));
      const model = config.model ?? 'nomic-embed-text';
      return {
        embedder: new OpenAiEmbedder({
          ...common,
          model,
          baseUrl,
          apiKey: nonEmpty(config.api_key ?? undefined) ?? PLACEHOLDER_API_KEY,
        }),
        endpoint: baseUrl,
      };
    }
    default:
      return {
        embedder: undefined,
        reason: `embedder provider '${settings.provider}' is not supported by Quorum`,
      };
  }
}

/** `memory.llm` as plain data. */
export interface MemoryLlmSettings {
  readonly provider: string;
  readonly config: {
    readonly model?: string | null;
    readonly host?: string | null;
    readonly api_key?: string | null;
    readonly base_url?: string | null;
    readonly temperature?: number | undefined;
  };
}

/**
 * The `models:` entry equivalent to `memory.llm`, to build the extraction model with the
 * {@link ModelRegistry} (same key resolution, retries and error mapping as every model).
 */
export function memoryLlmModelConfig(settings: MemoryLlmSettings): ModelConfig {
  const config = settings.config;
  const id =
    config.model ??
    (settings.provider === 'ollama'
      ? 'llama3.2'
      : settings.provider === 'anthropic'
        ? 'claude-haiku-4-5'
        : 'gpt-4o-mini');
  const extra: Record<string, unknown> = {};
  if (nonEmpty(config.api_key ?? undefined) !== undefined) extra['api_key'] = config.api_key;
  return {
    provider: settings.provider,
    id,
    ...(nonEmpty(config.host ?? undefined) === undefined ? {} : { host: config.host ?? undefined }),
    ...(nonEmpty(config.base_url ?? undefined) === undefined
      ? {}
      : { base_url: config.base_url ?? undefined }),
    ...(config.temperature === undefined ? {} : { temperature: config.temperature }),
    extra_kwargs: extra,
  };
}
