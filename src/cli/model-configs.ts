import type { QuorumConfig } from '../config/index.js';
import type { ModelConfig } from '../llm/index.js';

/**
 * The config's `models:` block in the shape llm's ModelRegistry takes: the validated entries
 * with unset (null) fields dropped, since the registry treats absent and unset alike.
 */
export function toLlmModelConfigs(models: QuorumConfig['models']): Record<string, ModelConfig> {
  const out: Record<string, ModelConfig> = {};
  for (const [name, model] of Object.entries(models)) {
    const present = Object.fromEntries(
      Object.entries(model).filter(([, value]) => value !== null && value !== undefined),
    );
    out[name] = present as unknown as ModelConfig;
  }
  return out;
}
