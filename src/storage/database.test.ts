import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../shared/index.js';
import { openDatabase } from './database.js';
import { MIGRATIONS } from './migrations.js';
import { QuorumStore } from './store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('openDatabase', () => {
  it('refuses a database a newer Quorum wrote, with a clear message, and leaves it untouched', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quorum-db-'));
    dirs.push(dir);
    const path = join(dir, 'quorum.db');
    const newer = new Database(path);
    newer.pragma(`user_version = ${MIGRATIONS.length + 3}`);
    newer.exec('CREATE TABLE future (x)');
    newer.close();
    const before = readFileSync(path);

    let caught: unknown;
    try {
      new QuorumStore(path);
    } catch (error: unknown) {
      caught = error;
    }
    expect(hasErrorCode(caught, 'schema_too_new')).toBe(true);
    expect((caught as Error).message).toContain(
      `schema version ${MIGRATIONS.length + 3}, but this Quorum knows versions up to ${MIGRATIONS.length}`,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('opens its own schema version again', () => {
    const db = openDatabase({ path: ':memory:' });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });
});
