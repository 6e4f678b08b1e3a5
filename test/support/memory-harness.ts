/** A MemoryService over `:memory:` SQLite and the bag-of-words FakeEmbedder, for unit tests. */
import { GuardedEmbedder } from '../../src/llm/index.js';
import type { MemorySettings } from '../../src/memory/index.js';
import { MemoryService } from '../../src/memory/index.js';
import { QuorumStore } from '../../src/storage/index.js';
import { FakeClock } from './fake-clock.js';
import { FakeEmbedder } from './fake-embedder.js';
import { RecordingLogger } from './recording-logger.js';

export interface MemoryHarness {
  readonly store: QuorumStore;
  readonly embedder: FakeEmbedder;
  readonly guarded: GuardedEmbedder;
  readonly clock: FakeClock;
  readonly log: RecordingLogger;
  readonly service: MemoryService;
  settings: MemorySettings;
}

export function memorySettings(overrides: Partial<MemorySettings> = {}): MemorySettings {
  return {
    policy: { roomMemories: false, teamReadsMemberMemory: false },
    recall: { enabled: true, maxItems: 5, maxChars: 2_000 },
    isEnabledFor: () => true,
    ...overrides,
  };
}

export function memoryHarness(settings: MemorySettings = memorySettings()): MemoryHarness {
  const clock = new FakeClock();
  const store = new QuorumStore(':memory:', () => clock.now());
  const embedder = new FakeEmbedder();
  const log = new RecordingLogger();
  const guarded = new GuardedEmbedder({ embedder, clock, log });
  const harness: MemoryHarness = {
    store,
    embedder,
    guarded,
    clock,
    log,
    settings,
    service: undefined as unknown as MemoryService,
  };
  (harness as { service: MemoryService }).service = new MemoryService({
    store: store.memories,
    embedder: guarded,
    clock,
    log,
    settings: () => harness.settings,
  });
  return harness;
}
