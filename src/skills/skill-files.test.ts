import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findSkillFiles, MAX_SKILL_FILE_BYTES, readSkillFile } from './skill-files.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'quorum-skill-files-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeSkill(dir: string, text: string): Promise<string> {
  await mkdir(join(root, dir), { recursive: true });
  const path = join(root, dir, 'SKILL.md');
  await writeFile(path, text);
  return path;
}

async function readOnly(dir: string) {
  const [file] = (await findSkillFiles(root)).filter((f) => f.directoryName === dir);
  if (file === undefined) throw new Error(`no skill file in ${dir}`);
  return readSkillFile(file);
}

describe('findSkillFiles', () => {
  it('finds one SKILL.md per visible skill directory, sorted', async () => {
    await writeSkill('b-skill', 'b');
    await writeSkill('a-skill', 'a');
    await writeSkill('.hidden', 'h');
    await mkdir(join(root, 'no-skill'));
    await writeFile(join(root, 'README.md'), 'not a skill');
    const files = await findSkillFiles(root);
    expect(files.map((f) => f.directoryName)).toEqual(['a-skill', 'b-skill']);
    expect(files[0]).toMatchObject({ path: join(root, 'a-skill', 'SKILL.md'), size: 1 });
  });

  it('treats a root holding a SKILL.md as a single skill', async () => {
    await writeSkill('only', 'x');
    const files = await findSkillFiles(join(root, 'only'));
    expect(files.map((f) => f.directoryName)).toEqual(['only']);
  });

  it('finds nothing in a root that does not exist', async () => {
    await expect(findSkillFiles(join(root, 'missing'))).resolves.toEqual([]);
  });
});

describe('readSkillFile', () => {
  it('reads a MindRoom SKILL.md with its OpenClaw metadata', async () => {
    const path = await writeSkill(
      'repo-audit',
      [
        '---',
        'name: repo-quick-audit',
        'description: Quick repository audit checklist',
        `metadata: '{openclaw:{requires:{bins:["git"], env:["GITHUB_TOKEN"]}}}'`,
        'license: MIT',
        'allowed-tools: [shell]',
        '---',
        '',
        '# Repo Quick Audit',
        '',
        '1. Check CI status',
        '',
      ].join('\n'),
    );
    await expect(readOnly('repo-audit')).resolves.toEqual({
      ok: true,
      skill: {
        name: 'repo-quick-audit',
        description: 'Quick repository audit checklist',
        body: '# Repo Quick Audit\n\n1. Check CI status',
        path,
      },
    });
  });

  it('falls back to the directory name and then the name for the description', async () => {
    await writeSkill('plain', '# Just instructions\n');
    await writeSkill('blank-description', "---\ndescription: '  '\n---\nbody");
    await expect(readOnly('plain')).resolves.toMatchObject({
      ok: true,
      skill: { name: 'plain', description: 'plain', body: '# Just instructions' },
    });
    await expect(readOnly('blank-description')).resolves.toMatchObject({
      skill: { name: 'blank-description', description: 'blank-description' },
    });
  });

  it.each([
    ['---\nname: [a, b]\n---\n', '`name` must be a non-empty string'],
    ['---\nname:\n---\n', '`name` must be a non-empty string'],
    ['---\nname: a\nname: b\n---\n', 'front matter is not valid YAML (line 3)'],
    ['---\n- a\n---\n', 'front matter must be a mapping'],
  ])('refuses %j', async (text, problem) => {
    await writeSkill('bad', text);
    const result = await readOnly('bad');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toContain(problem);
  });

  it('refuses a file larger than the limit without reading it', async () => {
    await writeSkill('huge', 'x'.repeat(MAX_SKILL_FILE_BYTES + 1));
    await expect(readOnly('huge')).resolves.toEqual({
      ok: false,
      problem: `larger than ${MAX_SKILL_FILE_BYTES} bytes`,
    });
  });

  it('reports a file that vanished after it was found', async () => {
    await writeSkill('gone', 'x');
    const [file] = await findSkillFiles(root);
    await rm(join(root, 'gone'), { recursive: true });
    const result = await readSkillFile(file!);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toContain('cannot be read');
  });
});
