import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffConfigFiles, validateConfigFile } from './config-commands.js';
import { loadConfigFile } from './load-config-file.js';

const EXAMPLE = resolve(import.meta.dirname, '../../config.example.yaml');
const FIXTURE = resolve(import.meta.dirname, '../../test/fixtures/config/mindroom-style.yaml');

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quorum-config-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('config.example.yaml', () => {
  it('is a valid config without any environment', async () => {
    const outcome = await validateConfigFile(EXAMPLE, {});
    expect(outcome).toEqual({
      exitCode: 0,
      output: `${EXAMPLE}: valid (3 agents, 1 team, 1 model)`,
    });
  });

  it('picks its model and endpoint up from the environment', async () => {
    const result = await loadConfigFile(EXAMPLE, {
      QUORUM_MODEL: 'qwen3',
      OPENAI_BASE_URL: 'http://llm:8000/v1',
    });
    expect(result.ok && result.config.models['default']).toMatchObject({
      id: 'qwen3',
      base_url: 'http://llm:8000/v1',
    });
  });
});

describe('validateConfigFile', () => {
  it('prints every problem with its line, then a summary, and exits 1', async () => {
    const path = write(
      'config.yaml',
      'models:\n  default: {provider: openai, id: x}\nagents:\n  calc:\n    display_name: Calc\n    model: gpt\n    mood: odd\n',
    );
    const outcome = await validateConfigFile(path, {});
    expect(outcome.exitCode).toBe(1);
    expect(outcome.output.split('\n')).toEqual([
      `${path}:7:5 agents.calc.mood: unknown key 'mood'`,
      `${path}: invalid (1 error)`,
    ]);
  });

  it('prints warnings for unsupported MindRoom settings and still exits 0', async () => {
    const outcome = await validateConfigFile(FIXTURE, {});
    expect(outcome.exitCode).toBe(0);
    const lines = outcome.output.split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toMatch(
      /^.*mindroom-style\.yaml:\d+:5 agents\.helper\.learning: warning: MindRoom setting 'learning'/,
    );
    expect(lines[10]).toBe(`${FIXTURE}: valid (3 agents, 1 team, 4 models, 10 warnings)`);
  });

  it('reports a missing file and exits 1', async () => {
    const path = join(dir, 'absent.yaml');
    expect(await validateConfigFile(path, {})).toEqual({
      exitCode: 1,
      output: `${path}: config file not found: ${path}\n${path}: invalid (1 error)`,
    });
  });

  it('reports a directory given as the config', async () => {
    const outcome = await validateConfigFile(dir, {});
    expect(outcome.output).toContain('is a directory');
  });
});

describe('diffConfigFiles', () => {
  const before =
    'models:\n  default: {provider: openai, id: x}\nagents:\n  calc: {display_name: Calc, rooms: [lobby]}\n';

  it('prints the plan between two files without applying it', async () => {
    const oldPath = write('old.yaml', before);
    const newPath = write(
      'new.yaml',
      `${before}  scribe: {display_name: Scribe, rooms: [lobby]}\n`,
    );
    expect(await diffConfigFiles(oldPath, newPath, {}, 'example.org')).toEqual({
      exitCode: 0,
      output: [
        'update    router router (quorum_router): changed routes',
        'unchanged agent  calc (quorum_calc)',
        'start     agent  scribe (quorum_scribe): join #lobby:example.org',
      ].join('\n'),
    });
  });

  it('says so when nothing changes', async () => {
    const path = write('same.yaml', before);
    const outcome = await diffConfigFiles(path, path, {}, 'example.org');
    expect(outcome.output.split('\n').at(-1)).toBe('no changes');
  });

  it('prints the problems of an invalid file and exits 1', async () => {
    const oldPath = write('old.yaml', before);
    const newPath = write('new.yaml', `${before}  bad: {display_name: 5}\n`);
    const outcome = await diffConfigFiles(oldPath, newPath, {}, 'example.org');
    expect(outcome.exitCode).toBe(1);
    expect(outcome.output.split('\n')).toEqual([
      `${newPath}:5:23 agents.bad.display_name: expected a string, got 5`,
      'cannot compute a plan: fix the errors above first',
    ]);
  });
});
