import type { Clock } from '../shared/index.js';

/** How long a routing decision is reused for the same room and thread. */
export const ROUTE_CACHE_TTL_MS = 60_000;
/** Most decisions kept at once; the oldest is dropped first. */
export const ROUTE_CACHE_MAX_ENTRIES = 1_000;

/** A routing decision as cached: the chosen candidate and the model's reason. */
export interface CachedRoute {
  readonly name: string;
  readonly reason: string;
}

/** Options of {@link RouterDecisionCache}. */
export interface RouterDecisionCacheDeps {
  readonly clock: Clock;
  /** Defaults to {@link ROUTE_CACHE_TTL_MS}. */
  readonly ttlMs?: number;
  /** Defaults to {@link ROUTE_CACHE_MAX_ENTRIES}. */
  readonly maxEntries?: number;
}

interface Entry extends CachedRoute {
  readonly expiresAt: number;
}

/**
 * Router-model decisions per (room, thread) for a short time, so a burst of messages in one
 * thread is not routed once per message (and not to different agents). In memory only: a
 * restart routes afresh, which is harmless. Time comes from the injected clock.
 */
export class RouterDecisionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(private readonly deps: RouterDecisionCacheDeps) {
    this.ttlMs = deps.ttlMs ?? ROUTE_CACHE_TTL_MS;
    this.maxEntries = Math.max(1, deps.maxEntries ?? ROUTE_CACHE_MAX_ENTRIES);
  }

  /** Number of entries held (expired ones included until they are next touched). */
  get size(): number {
    return this.entries.size;
  }

  /** The decision for this room and thread, unless none was stored or it is `ttlMs` old. */
  get(roomId: string, threadRoot: string): CachedRoute | undefined {
    const key = keyOf(roomId, threadRoot);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.deps.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return { name: entry.name, reason: entry.reason };
  }

  /** Stores a decision for `ttlMs`, replacing any earlier one for the same room and thread. */
  set(roomId: string, threadRoot: string, route: CachedRoute): void {
    const key = keyOf(roomId, threadRoot);
    this.entries.delete(key);
    this.dropExpired();
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, { ...route, expiresAt: this.deps.clock.now() + this.ttlMs });
  }

  /** Forgets the decision for this room and thread (e.g. the chosen agent left the room). */
  delete(roomId: string, threadRoot: string): void {
    this.entries.delete(keyOf(roomId, threadRoot));
  }

  /** Forgets every decision (e.g. after a config reload changed the candidates). */
  clear(): void {
    this.entries.clear();
  }

  private dropExpired(): void {
    const now = this.deps.clock.now();
    // Insertion order is expiry order (same TTL, and set() re-inserts), so stop at the first live one.
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.entries.delete(key);
    }
  }
}

function keyOf(roomId: string, threadRoot: string): string {
  return `${roomId}\u0000${threadRoot}`;
}
