/** applyConfigEdit against a real temporary directory. */
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyConfigEdit } from './apply-config-edit.js';
import { hashConfigText } from './parse-config.js';

const OLD = '# my config\nagents:\n  calc:\n    model: default # keep\n';
const NEW = '# my config\nagents:\n  calc:\n    model: fast # keep\n';

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quorum-apply-'));
  path = join(dir, 'config.yaml');
  writeFileSync(path, OLD);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('applyConfigEdit', () => {
  it('writes the new text when the file still has the expected content', async () => {
    await expect(applyConfigEdit(path, hashConfigText(OLD), NEW)).resolves.toEqual({
      ok: true,
      newHash: hashConfigText(NEW),
    });
    expect(readFileSync(path, 'utf8')).toBe(NEW);
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('refuses with a conflict when the file changed since the proposal', async () => {
    writeFileSync(path, `${OLD}# edited by hand\n`);
    const result = await applyConfigEdit(path, hashConfigText(OLD), NEW);
    expect(result).toEqual({
      ok: false,
      code: 'conflict',
      error: expect.stringContaining('changed after this change was proposed') as string,
    });
    expect(readFileSync(path, 'utf8')).toBe(`${OLD}# edited by hand\n`);
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('keeps the file mode', async () => {
    chmodSync(path, 0o640);
    await applyConfigEdit(path, hashConfigText(OLD), NEW);
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it('replaces the target of a symlinked config and keeps the link', async () => {
    const link = join(dir, 'link.yaml');
    symlinkSync(path, link);
    await expect(applyConfigEdit(link, hashConfigText(OLD), NEW)).resolves.toMatchObject({
      ok: true,
    });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(NEW);
    expect(readdirSync(dir).sort()).toEqual(['config.yaml', 'link.yaml']);
  });

  it('reports a missing file as an io failure', async () => {
    const result = await applyConfigEdit(join(dir, 'absent.yaml'), hashConfigText(OLD), NEW);
    expect(result).toEqual({
      ok: false,
      code: 'io',
      error: expect.stringContaining('the file does not exist') as string,
    });
  });
});
