import { fileURLToPath } from 'node:url';
import {
  AbortReason,
  isAbortError,
  linkSignal,
  type Clock,
  type LinkedSignal,
  type Logger,
} from '../shared/index.js';
import { findSkillFiles, readSkillFile, type Skill, type SkillFileStat } from './skill-files.js';

/** How often the skill roots are checked for changes (MindRoom polls every second too). */
export const DEFAULT_SKILL_POLL_INTERVAL_MS = 1_000;

/**
 * The skills Quorum ships: the repository's `skills/` directory. Resolved from this file's
 * location, which is `src/skills/` when run from source and `dist/skills/` when built; both
 * sit two levels below the repository root.
 */
export function bundledSkillsDirectory(): string {
  return fileURLToPath(new URL('../../skills/', import.meta.url));
}

/** What a {@link SkillLibrary} needs. */
export interface SkillLibraryDeps {
  /**
   * Skill roots, lowest precedence first: a skill in a later root replaces an earlier one of
   * the same name (MindRoom's order is bundled, plugins, then the user's). Roots that do not
   * exist are empty. Default: `[bundledSkillsDirectory()]`.
   */
  readonly directories?: readonly string[];
  /** Drives the change polling; tests pass a FakeClock. */
  readonly clock: Clock;
  readonly log: Logger;
  /** Polling period in milliseconds; default {@link DEFAULT_SKILL_POLL_INTERVAL_MS}. */
  readonly pollIntervalMs?: number;
}

/**
 * The skills on disk, kept current. `load` reads them once; `start` reads them and then
 * polls the roots' `SKILL.md` files (path, mtime, size) every `pollIntervalMs` on the
 * injected clock, reloading once a change has stayed the same for one whole period (so a
 * file caught mid-write is not loaded half-written). Lookups are synchronous and answer from
 * the last load. Unreadable or invalid skill files are skipped with one warning per version
 * of the file; they never stop the library.
 */
export class SkillLibrary {
  private readonly directories: readonly string[];
  private readonly pollIntervalMs: number;
  private skills = new Map<string, Skill>();
  private loadedKey: string | undefined;
  private readonly warnedFiles = new Map<string, string>();
  private readonly reportedMissing = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private serial: Promise<unknown> = Promise.resolve();
  private lifetime: LinkedSignal | undefined;
  private polling: Promise<void> | undefined;

  constructor(private readonly deps: SkillLibraryDeps) {
    this.directories = deps.directories ?? [bundledSkillsDirectory()];
    this.pollIntervalMs = deps.pollIntervalMs ?? DEFAULT_SKILL_POLL_INTERVAL_MS;
  }

  /**
   * Reads every skill root now and replaces the catalog; listeners run when a skill was
   * added, removed or changed. Loads run one at a time. Never rejects for file problems.
   */
  load(): Promise<void> {
    return this.serialized(async () => {
      const files = await this.scan();
      await this.apply(files);
    });
  }

  /**
   * Loads the skills, then polls for changes in the background until `signal` aborts or
   * {@link SkillLibrary.stop} is called. Resolves after the first load. Throws an `Error` if
   * the library was already started.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.lifetime !== undefined) throw new Error('SkillLibrary already started');
    const lifetime = linkSignal(signal);
    this.lifetime = lifetime;
    await this.load();
    this.polling = this.poll(lifetime.signal).catch((error: unknown) => {
      if (!isAbortError(error)) this.deps.log.error('skill polling stopped', { error });
    });
  }

  /** Stops polling and waits for an in-flight reload to finish. Idempotent. */
  async stop(): Promise<void> {
    this.lifetime?.abort(new AbortReason('shutdown', 'skill library stopped'));
    await this.polling;
    this.lifetime?.cleanup();
  }

  /**
   * The skills called `names`, in that order, each once. Names match ignoring case, as in
   * MindRoom. A name with no skill is left out and logged as a warning the first time it is
   * asked for (and again only if the skill existed in between).
   */
  skillsFor(names: readonly string[], options: { readonly agentName?: string } = {}): Skill[] {
    const found = new Map<string, Skill>();
    for (const name of names) {
      const key = name.toLowerCase();
      const skill = this.skills.get(key);
      if (skill !== undefined) {
        found.set(skill.path, skill);
      } else if (!this.reportedMissing.has(key)) {
        this.reportedMissing.add(key);
        this.deps.log.warn('skill not found', {
          skill: name,
          ...(options.agentName === undefined ? {} : { agent: options.agentName }),
          known: this.skillNames(),
        });
      }
    }
    return [...found.values()];
  }

  /** Names of every loaded skill, sorted. */
  skillNames(): string[] {
    return [...this.skills.values()].map((skill) => skill.name).sort();
  }

  /**
   * Calls `listener` after each load that changed a skill (so whoever built agent profiles
   * can rebuild them). Returns the function that removes it. A throwing listener is logged.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private async poll(signal: AbortSignal): Promise<void> {
    let pendingKey: string | undefined;
    for (;;) {
      await this.deps.clock.sleep(this.pollIntervalMs, signal);
      await this.serialized(async () => {
        const files = await this.scan();
        const key = snapshotKey(files);
        if (key === this.loadedKey) {
          pendingKey = undefined;
        } else if (key !== pendingKey) {
          // Changed since the last look: wait one more period for writes to settle.
          pendingKey = key;
        } else {
          pendingKey = undefined;
          await this.apply(files);
        }
      });
    }
  }

  private serialized(task: () => Promise<void>): Promise<void> {
    const next = this.serial.then(task);
    this.serial = next.catch(() => undefined);
    return next;
  }

  private async scan(): Promise<SkillFileStat[]> {
    const perRoot = await Promise.all(this.directories.map((root) => findSkillFiles(root)));
    return perRoot.flat();
  }

  private async apply(files: readonly SkillFileStat[]): Promise<void> {
    const next = new Map<string, Skill>();
    const results = await Promise.all(files.map((file) => readSkillFile(file)));
    results.forEach((result, index) => {
      const file = files[index] as SkillFileStat;
      if (!result.ok) {
        this.warnOnce(file, result.problem);
        return;
      }
      this.warnedFiles.delete(file.path);
      const key = result.skill.name.toLowerCase();
      const shadowed = next.get(key);
      if (shadowed !== undefined) {
        this.deps.log.debug('skill overrides another of the same name', {
          skill: result.skill.name,
          path: file.path,
          overridden: shadowed.path,
        });
      }
      next.set(key, result.skill);
    });
    const previous = this.skills;
    this.skills = next;
    this.loadedKey = snapshotKey(files);
    for (const key of next.keys()) this.reportedMissing.delete(key);
    if (!sameSkills(previous, next)) {
      this.deps.log.info('skills loaded', { skills: this.skillNames() });
      this.notify();
    }
  }

  private warnOnce(file: SkillFileStat, problem: string): void {
    const version = `${file.mtimeMs}:${file.size}:${problem}`;
    if (this.warnedFiles.get(file.path) === version) return;
    this.warnedFiles.set(file.path, version);
    this.deps.log.warn('skill file skipped', { path: file.path, problem });
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (error: unknown) {
        this.deps.log.error('skill change listener failed', { error });
      }
    }
  }
}

function snapshotKey(files: readonly SkillFileStat[]): string {
  return JSON.stringify(files.map((file) => [file.path, file.mtimeMs, file.size]));
}

function sameSkills(a: ReadonlyMap<string, Skill>, b: ReadonlyMap<string, Skill>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, skill] of a) {
    const other = b.get(key);
    if (
      other?.name !== skill.name ||
      other.description !== skill.description ||
      other.body !== skill.body ||
      other.path !== skill.path
    ) {
      return false;
    }
  }
  return true;
}
