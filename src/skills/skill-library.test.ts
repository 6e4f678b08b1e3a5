import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { RecordingLogger } from '../../test/support/recording-logger.js';
import { AbortReason } from '../shared/index.js';
import { bundledSkillsDirectory, SkillLibrary } from './skill-library.js';

const POLL_MS = 1_000;
let root: string;
let clock: FakeClock;
let log: RecordingLogger;
let lifetime: AbortController;
let library: SkillLibrary;
// Distinct mtimes per write, so a rewrite is seen even within one filesystem tick.
let mtimeSeconds = 1_700_000_000;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'quorum-skills-'));
  clock = new FakeClock();
  log = new RecordingLogger();
  lifetime = new AbortController();
  library = new SkillLibrary({ directories: [root], clock, log, pollIntervalMs: POLL_MS });
});

afterEach(async () => {
  await library.stop();
  await rm(root, { recursive: true, force: true });
});

async function writeSkill(dir: string, name: string, body: string, base = root): Promise<void> {
  await mkdir(join(base, dir), { recursive: true });
  const path = join(base, dir, 'SKILL.md');
  await writeFile(path, `---\nname: ${name}\ndescription: About ${name}\n---\n${body}\n`);
  mtimeSeconds += 10;
  await utimes(path, mtimeSeconds, mtimeSeconds);
}

/** Lets one poll period pass and waits until the library is asleep again. */
async function pollOnce(): Promise<void> {
  await clock.advance(POLL_MS);
  // The poll reads real files, which under load takes many event-loop turns: wait on real
  // time (up to 10 s), not on a turn count.
  const deadline = Date.now() + 10_000;
  while (clock.pendingSleeps === 0 && Date.now() < deadline) await nextMacrotask();
  expect(clock.pendingSleeps).toBe(1);
}

describe('SkillLibrary', () => {
  it('returns the listed skills in the order asked, each once, ignoring case', async () => {
    await writeSkill('alpha', 'alpha', 'Do A.');
    await writeSkill('beta', 'Beta', 'Do B.');
    await library.load();
    const skills = library.skillsFor(['beta', 'ALPHA', 'Beta']);
    expect(skills.map((s) => [s.name, s.description, s.body])).toEqual([
      ['Beta', 'About Beta', 'Do B.'],
      ['alpha', 'About alpha', 'Do A.'],
    ]);
    expect(library.skillNames()).toEqual(['Beta', 'alpha']);
  });

  it('reports a missing skill once and goes on without it', async () => {
    await writeSkill('alpha', 'alpha', 'Do A.');
    await library.load();
    expect(library.skillsFor(['alpha', 'ghost'], { agentName: 'helper' })).toHaveLength(1);
    expect(library.skillsFor(['ghost'])).toEqual([]);
    const warnings = log.at('warn', 'skill not found');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({
      skill: 'ghost',
      agent: 'helper',
      known: ['alpha'],
    });
  });

  it('skips an invalid skill file with one warning per version of the file', async () => {
    await writeSkill('alpha', 'alpha', 'Do A.');
    await mkdir(join(root, 'broken'));
    await writeFile(join(root, 'broken', 'SKILL.md'), '---\nname: [oops]\n---\n');
    await library.load();
    await library.load();
    expect(library.skillNames()).toEqual(['alpha']);
    expect(log.at('warn', 'skill file skipped')).toHaveLength(1);
    expect(log.at('warn', 'skill file skipped')[0]?.fields['problem']).toContain('`name`');
  });

  it('lets a later root override a skill of the same name', async () => {
    const userRoot = join(root, 'user');
    await writeSkill('bundled/shared', 'shared', 'bundled version');
    await writeSkill('shared', 'shared', 'user version', userRoot);
    const layered = new SkillLibrary({
      directories: [join(root, 'bundled'), userRoot, join(root, 'missing')],
      clock,
      log,
    });
    await layered.load();
    expect(layered.skillsFor(['shared']).map((s) => s.body)).toEqual(['user version']);
  });

  it('reloads a changed skill once the change has settled for a poll period', async () => {
    await writeSkill('alpha', 'alpha', 'version 1');
    let changes = 0;
    library.onChange(() => {
      changes++;
    });
    await library.start(lifetime.signal);
    expect(changes).toBe(1);

    await writeSkill('alpha', 'alpha', 'version 2');
    await pollOnce();
    expect(library.skillsFor(['alpha'])[0]?.body).toBe('version 1');
    await pollOnce();
    expect(library.skillsFor(['alpha'])[0]?.body).toBe('version 2');
    expect(changes).toBe(2);

    await pollOnce();
    expect(changes).toBe(2);
  });

  it('waits while a skill keeps changing between polls', async () => {
    await writeSkill('alpha', 'alpha', 'v1');
    await library.start(lifetime.signal);
    await writeSkill('alpha', 'alpha', 'v2');
    await pollOnce();
    await writeSkill('alpha', 'alpha', 'v3');
    await pollOnce();
    expect(library.skillsFor(['alpha'])[0]?.body).toBe('v1');
    await pollOnce();
    expect(library.skillsFor(['alpha'])[0]?.body).toBe('v3');
  });

  it('picks up added and removed skills, reporting a removed one again', async () => {
    await library.start(lifetime.signal);
    expect(library.skillsFor(['late'])).toEqual([]);
    await writeSkill('late', 'late', 'arrived');
    await pollOnce();
    await pollOnce();
    expect(library.skillsFor(['late']).map((s) => s.body)).toEqual(['arrived']);

    await rm(join(root, 'late'), { recursive: true });
    await pollOnce();
    await pollOnce();
    expect(library.skillsFor(['late'])).toEqual([]);
    expect(log.at('warn', 'skill not found')).toHaveLength(2);
  });

  it('stops polling on stop() and on its signal, and refuses a second start', async () => {
    await library.start(lifetime.signal);
    expect(clock.pendingSleeps).toBe(1);
    await expect(library.start(lifetime.signal)).rejects.toThrow('already started');
    await library.stop();
    await library.stop();
    expect(clock.pendingSleeps).toBe(0);

    const other = new SkillLibrary({ directories: [root], clock, log });
    await other.start(lifetime.signal);
    lifetime.abort(new AbortReason('shutdown'));
    await other.stop();
    expect(clock.pendingSleeps).toBe(0);
    expect(log.at('error')).toEqual([]);
  });

  it('keeps notifying other listeners when one throws, and unsubscribes', async () => {
    await writeSkill('alpha', 'alpha', 'v1');
    const calls: string[] = [];
    library.onChange(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = library.onChange(() => calls.push('second'));
    await library.load();
    unsubscribe();
    await writeSkill('alpha', 'alpha', 'v2');
    await library.load();
    expect(calls).toEqual(['second']);
    expect(log.at('error', 'skill change listener failed')).toHaveLength(2);
  });

  it("loads Quorum's bundled skills", async () => {
    expect(existsSync(bundledSkillsDirectory())).toBe(true);
    const bundled = new SkillLibrary({ clock, log });
    await bundled.load();
    const skills = bundled.skillsFor(['quorum-help', 'concise-answers']);
    expect(skills.map((s) => s.name)).toEqual(['quorum-help', 'concise-answers']);
    for (const skill of skills) {
      expect(skill.description.length).toBeGreaterThan(20);
      expect(skill.body).toMatch(/^# /);
    }
    expect(log.at('warn')).toEqual([]);
  });
});
