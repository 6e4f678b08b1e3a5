/**
 * Which entities are in which rooms, and which rooms are DMs: the dispatcher's view of
 * membership, kept current from the bots' joins and leaves and the membership events
 * their syncs deliver.
 */
export class RoomRegistry {
  private readonly joined = new Map<string, Set<string>>();
  private readonly direct = new Map<string, Set<string>>();
  private readonly aliases = new Map<string, string>();
  private readonly listeners = new Set<(entity: string) => void>();

  /** Calls `listener` with the entity whenever the set of rooms an entity is joined to changes. */
  onMembershipChange(listener: (entity: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Remembers which room an alias points at (learned when joining by alias). */
  setAlias(alias: string, roomId: string): void {
    this.aliases.set(alias, roomId);
  }

  /** The room id for a room reference (an alias already seen, or an id). */
  roomIdOf(ref: string): string | undefined {
    return ref.startsWith('!') ? ref : this.aliases.get(ref);
  }

  /** The alias Quorum knows for a room id, if any. */
  aliasOf(roomId: string): string | undefined {
    for (const [alias, id] of this.aliases) if (id === roomId) return alias;
    return undefined;
  }

  /** Records that `entity` is (or is no longer) joined to `roomId`. */
  setJoined(entity: string, roomId: string, isJoined: boolean): void {
    if (this.record(entity, roomId, isJoined)) this.notify(entity);
  }

  /** Replaces the set of rooms `entity` is joined to (after a bot's start). */
  setRoomsOf(entity: string, roomIds: readonly string[]): void {
    const wanted = new Set(roomIds);
    let changed = false;
    for (const [roomId, members] of this.joined) {
      if (members.has(entity) && !wanted.has(roomId))
        changed = this.record(entity, roomId, false) || changed;
    }
    for (const roomId of wanted) changed = this.record(entity, roomId, true) || changed;
    if (changed) this.notify(entity);
  }

  /** Marks `roomId` as a direct-message room of `entity`. */
  markDirect(entity: string, roomId: string): void {
    const entities = this.direct.get(roomId) ?? new Set<string>();
    entities.add(entity);
    this.direct.set(roomId, entities);
  }

  joinedEntities(roomId: string): ReadonlySet<string> {
    return this.joined.get(roomId) ?? new Set();
  }

  directEntities(roomId: string): ReadonlySet<string> {
    return this.direct.get(roomId) ?? new Set();
  }

  roomsOf(entity: string): string[] {
    return [...this.joined.entries()]
      .filter(([, members]) => members.has(entity))
      .map(([roomId]) => roomId);
  }

  /** Forgets an entity entirely (it was removed from the config). */
  forget(entity: string): void {
    let changed = false;
    for (const members of this.joined.values()) changed = members.delete(entity) || changed;
    for (const entities of this.direct.values()) entities.delete(entity);
    if (changed) this.notify(entity);
  }

  /** Updates one membership; true when it changed. */
  private record(entity: string, roomId: string, isJoined: boolean): boolean {
    const members = this.joined.get(roomId) ?? new Set<string>();
    this.joined.set(roomId, members);
    if (!isJoined) this.direct.get(roomId)?.delete(entity);
    if (members.has(entity) === isJoined) return false;
    if (isJoined) members.add(entity);
    else members.delete(entity);
    return true;
  }

  private notify(entity: string): void {
    for (const listener of this.listeners) listener(entity);
  }
}
