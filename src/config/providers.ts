/**
 * Model providers: every provider name MindRoom's config accepts, and how Quorum reaches it.
 *
 * Quorum speaks two wire protocols (through `llm/`): OpenAI chat completions and Anthropic
 * messages. Most MindRoom providers are OpenAI-compatible endpoints and only need a base URL
 * and an API-key variable. Providers Quorum cannot reach yet are accepted in `models:` (so a
 * MindRoom file loads) but an entity that uses one is a config error.
 */

/** Provider names MindRoom accepts (docs/configuration/models.md). */
export const PROVIDER_NAMES = [
  'openai',
  'anthropic',
  'ollama',
  'llama_cpp',
  'openrouter',
  'groq',
  'cerebras',
  'deepseek',
  'zai',
  'google',
  'gemini',
  'azure',
  'bedrock_claude',
  'vertexai_claude',
  'codex',
  'openai_codex',
  'kimi',
  'kimi_code',
  'synthetic',
  // Quorum additions: more OpenAI-compatible servers.
  'vllm',
  'together',
  'mistral',
  'xai',
] as const;

/** A `models.<name>.provider` value. */
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** The wire protocol an `llm/` adapter speaks to the provider. */
export type ModelWire = 'openai' | 'anthropic';

/** How Quorum reaches one provider. */
export interface ProviderInfo {
  /** `undefined` when Quorum cannot reach this provider yet. */
  readonly wire: ModelWire | undefined;
  /** Base URL when the config sets none (`undefined`: the SDK's default). */
  readonly defaultBaseUrl: string | undefined;
  /** The environment variable holding the API key; `undefined` for keyless local servers. */
  readonly apiKeyEnv: string | undefined;
  /** Local servers addressed by `host` (ollama, llama.cpp): base URL is `<host>/v1`. */
  readonly usesHost: boolean;
  /** An environment variable that overrides `defaultBaseUrl` (`OPENAI_BASE_URL`). */
  readonly baseUrlEnv?: string;
  /** An environment variable holding the server root, for `usesHost` providers (`OLLAMA_HOST`). */
  readonly hostEnv?: string;
}

const unsupported: ProviderInfo = {
  wire: undefined,
  defaultBaseUrl: undefined,
  apiKeyEnv: undefined,
  usesHost: false,
};

function openaiCompatible(defaultBaseUrl: string, apiKeyEnv: string): ProviderInfo {
  return { wire: 'openai', defaultBaseUrl, apiKeyEnv, usesHost: false };
}

/** How Quorum reaches each provider. */
export const PROVIDERS: Readonly<Record<ProviderName, ProviderInfo>> = {
  openai: {
    wire: 'openai',
    defaultBaseUrl: 'https://api.openai.com/v1',
    apiKeyEnv: 'OPENAI_API_KEY',
    usesHost: false,
    baseUrlEnv: 'OPENAI_BASE_URL',
  },
  anthropic: {
    wire: 'anthropic',
    defaultBaseUrl: 'https://api.anthropic.com',
    apiKeyEnv: 'ANTHROPIC_API_KEY',
    usesHost: false,
    baseUrlEnv: 'ANTHROPIC_BASE_URL',
  },
  ollama: {
    wire: 'openai',
    defaultBaseUrl: 'http://localhost:11434/v1',
    apiKeyEnv: undefined,
    usesHost: true,
    hostEnv: 'OLLAMA_HOST',
  },
  vllm: {
    wire: 'openai',
    defaultBaseUrl: 'http://localhost:8000/v1',
    apiKeyEnv: undefined,
    usesHost: true,
  },
  together: openaiCompatible('https://api.together.xyz/v1', 'TOGETHER_API_KEY'),
  mistral: openaiCompatible('https://api.mistral.ai/v1', 'MISTRAL_API_KEY'),
  xai: openaiCompatible('https://api.x.ai/v1', 'XAI_API_KEY'),
  llama_cpp: {
    wire: 'openai',
    defaultBaseUrl: 'http://localhost:8080/v1',
    apiKeyEnv: undefined,
    usesHost: true,
  },
  openrouter: openaiCompatible('https://openrouter.ai/api/v1', 'OPENROUTER_API_KEY'),
  groq: openaiCompatible('https://api.groq.com/openai/v1', 'GROQ_API_KEY'),
  cerebras: openaiCompatible('https://api.cerebras.ai/v1', 'CEREBRAS_API_KEY'),
  deepseek: openaiCompatible('https://api.deepseek.com/v1', 'DEEPSEEK_API_KEY'),
  zai: openaiCompatible('https://api.z.ai/api/paas/v4', 'ZAI_API_KEY'),
  google: openaiCompatible(
    'https://generativelanguage.googleapis.com/v1beta/openai',
    'GOOGLE_API_KEY',
  ),
  gemini: openaiCompatible(
    'https://generativelanguage.googleapis.com/v1beta/openai',
    'GOOGLE_API_KEY',
  ),
  azure: unsupported,
  bedrock_claude: unsupported,
  vertexai_claude: unsupported,
  codex: unsupported,
  openai_codex: unsupported,
  kimi: unsupported,
  kimi_code: unsupported,
  synthetic: unsupported,
};

/** `http://host:11434` → `http://host:11434/v1` (kept as is when it already ends in /v1). */
export function hostToBaseUrl(host: string): string {
  const trimmed = host.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
}
