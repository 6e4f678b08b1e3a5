/**
 * Reading skills from disk in MindRoom's layout: a skill root holds one directory per skill,
 * each with a `SKILL.md` (YAML front matter, then Markdown instructions); a root that itself
 * holds a `SKILL.md` is a single skill. Hidden directories are skipped.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseFrontMatter } from '../config/index.js';
import { describeError } from '../shared/index.js';

/** The file name that makes a directory a skill. */
export const SKILL_FILE_NAME = 'SKILL.md';
/** Largest `SKILL.md` loaded, in bytes; a skill is prompt text, so anything bigger is a mistake. */
export const MAX_SKILL_FILE_BYTES = 256 * 1024;

/**
 * One loaded skill, shaped like `agents/`'s `AgentSkill` plus where it came from.
 * `description` falls back to `name` when the front matter has none.
 */
export interface Skill {
  readonly name: string;
  readonly description: string;
  /** The Markdown after the front matter, trimmed. */
  readonly body: string;
  /** Absolute path of the `SKILL.md` it was read from. */
  readonly path: string;
}

/** A `SKILL.md` as found on disk, with what decides whether it changed. */
export interface SkillFileStat {
  readonly path: string;
  /** The skill directory's name: the skill's name when the front matter gives none. */
  readonly directoryName: string;
  readonly mtimeMs: number;
  readonly size: number;
}

/**
 * The `SKILL.md` files under `root`, sorted by path. A missing or unreadable root yields
 * `[]` (a skill root is optional); a directory without a `SKILL.md` is not a skill.
 */
export async function findSkillFiles(root: string): Promise<SkillFileStat[]> {
  const own = await statFile(join(root, SKILL_FILE_NAME), basename(root));
  if (own !== undefined) return [own];
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: SkillFileStat[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const file = await statFile(join(root, entry.name, SKILL_FILE_NAME), entry.name);
    if (file !== undefined) found.push(file);
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function statFile(path: string, directoryName: string): Promise<SkillFileStat | undefined> {
  try {
    const info = await stat(path);
    return info.isFile()
      ? { path, directoryName, mtimeMs: info.mtimeMs, size: info.size }
      : undefined;
  } catch {
    return undefined;
  }
}

/** A skill, or why the file cannot be one (a sentence for the operator's log). */
export type SkillReadResult =
  { readonly ok: true; readonly skill: Skill } | { readonly ok: false; readonly problem: string };

/**
 * Reads and parses one `SKILL.md` the way MindRoom does: `name` defaults to the directory
 * name and must be a non-blank string when given; `description` defaults to the name; other
 * keys (`metadata`, `license`, `allowed-tools`, ...) are accepted and ignored. Never throws.
 */
export async function readSkillFile(file: SkillFileStat): Promise<SkillReadResult> {
  if (file.size > MAX_SKILL_FILE_BYTES) {
    return { ok: false, problem: `larger than ${MAX_SKILL_FILE_BYTES} bytes` };
  }
  let text: string;
  try {
    text = await readFile(file.path, 'utf8');
  } catch (error: unknown) {
    return { ok: false, problem: `cannot be read: ${describeError(error)}` };
  }
  const parsed = parseFrontMatter(text);
  if (!parsed.ok) return { ok: false, problem: parsed.message };
  const rawName = Object.hasOwn(parsed.data, 'name') ? parsed.data['name'] : file.directoryName;
  if (typeof rawName !== 'string' || rawName.trim() === '') {
    return { ok: false, problem: '`name` must be a non-empty string' };
  }
  const name = rawName.trim();
  const rawDescription = parsed.data['description'];
  const description =
    typeof rawDescription === 'string' && rawDescription.trim() !== ''
      ? rawDescription.trim()
      : name;
  return { ok: true, skill: { name, description, body: parsed.body.trim(), path: file.path } };
}
