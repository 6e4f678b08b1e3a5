/**
 * skills/: MindRoom-compatible skills (`<root>/<name>/SKILL.md`, YAML front matter plus
 * Markdown instructions), loaded from disk and kept current for agent prompts.
 */
export {
  findSkillFiles,
  MAX_SKILL_FILE_BYTES,
  readSkillFile,
  SKILL_FILE_NAME,
} from './skill-files.js';
export type { Skill, SkillFileStat, SkillReadResult } from './skill-files.js';
export {
  bundledSkillsDirectory,
  DEFAULT_SKILL_POLL_INTERVAL_MS,
  SkillLibrary,
} from './skill-library.js';
export type { SkillLibraryDeps } from './skill-library.js';
