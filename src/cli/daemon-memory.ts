import { join } from 'node:path';
import type { QuorumConfig } from '../config/index.js';
import {
  GuardedEmbedder,
  ModelRegistry,
  createEmbedder,
  memoryLlmModelConfig,
  type ChatModel,
} from '../llm/index.js';
import { memoryAndKnowledgeService, type FleetServiceFactory } from '../services/index.js';
import {
  systemClock,
  type Logger,
  type QuorumMetrics,
  type SecretScrubber,
} from '../shared/index.js';
import { KnowledgeIndexStore, type QuorumStore } from '../storage/index.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The name the extraction model has in its own one-model registry (logs, usage). */
const EXTRACTION_MODEL = 'memory-llm';

/**
 * Memory and knowledge for the daemon: the embedder `memory.embedder` describes (guarded:
 * keywords only while it is missing or down, with one warning), the knowledge index in
 * `<data dir>/knowledge.db` (rebuilt when unusable), and the extraction model of `memory.llm`
 * (rebuilt when a reload changes it).
 */
export function memoryAndKnowledge(
  config: QuorumConfig,
  options: {
    readonly store: QuorumStore;
    readonly dataDir: string;
    readonly configDir: string;
    readonly env: Env;
    readonly metrics: QuorumMetrics;
    readonly log: Logger;
    readonly scrubber: SecretScrubber;
  },
): FleetServiceFactory {
  const { env, log, metrics } = options;
  const resolution = createEmbedder(config.memory.embedder, {
    env,
    clock: systemClock,
    log,
  });
  const embedder = new GuardedEmbedder({
    embedder: resolution.embedder,
    ...(resolution.embedder === undefined ? { unavailableReason: resolution.reason } : {}),
    clock: systemClock,
    log: log.child({ component: 'embedder' }),
    failures: metrics.embedderFailures,
  });
  const knowledgeIndex = new KnowledgeIndexStore(join(options.dataDir, 'knowledge.db'));
  return memoryAndKnowledgeService({
    memories: options.store.memories,
    knowledgeIndex,
    embedder,
    extractionModel: (snapshot) => extractionModelOf(snapshot, options),
    configDir: options.configDir,
    metrics,
    clock: systemClock,
    log,
  });
}

/** The model `memory.llm` of `config` describes, with retries; undefined when it sets none. */
function extractionModelOf(
  config: QuorumConfig,
  options: { readonly env: Env; readonly log: Logger; readonly scrubber: SecretScrubber },
): ChatModel | undefined {
  const llm = config.memory.llm;
  if (llm === null) return undefined;
  const registry = new ModelRegistry({
    models: { [EXTRACTION_MODEL]: memoryLlmModelConfig(llm) },
    env: options.env,
    clock: systemClock,
    log: options.log.child({ component: 'memory-extraction' }),
    scrubber: options.scrubber,
  });
  return registry.get(EXTRACTION_MODEL);
}
