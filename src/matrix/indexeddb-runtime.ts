/**
 * The process's IndexedDB for the Rust crypto store. Node has no IndexedDB, and the wasm
 * crypto only stores through it, so the maintained in-memory implementation `fake-indexeddb`
 * is installed as the global IndexedDB (the wasm checks the global constructors, so all of
 * them are installed), and every write (`put`, `add`, `delete`, `clear`) marks its database
 * dirty: the crypto store file (crypto-store-file.ts) then writes a snapshot only when
 * something changed. Read-write transactions that write nothing (the crypto opens one for
 * every sync) mark nothing.
 */
import { createHash } from 'node:crypto';
import { serialize } from 'node:v8';
import type { IdbFactory } from './idb-snapshot.js';

/** The installed IndexedDB and what changed since the last look. */
export interface IndexedDbRuntime {
  readonly factory: IdbFactory;
  /**
   * True when a database whose name starts with `prefix` was written to since the previous
   * call for that prefix; clears the mark.
   */
  takeDirty(prefix: string): boolean;
  /** Marks the databases of `prefix` dirty (after a restore, for example). */
  markDirty(prefix: string): void;
}

/** `IDBObjectStore.prototype`, as far as the dirty marks go. */
interface PatchableStore {
  prototype: Record<string, ((...args: unknown[]) => unknown) | undefined>;
}

/** The part of an `IDBObjectStore` the write marks read. */
interface StoreLike {
  readonly name: string;
  readonly keyPath: string | string[] | null;
  readonly transaction: { readonly db: { readonly name: string } };
}

/**
 * True when `args` (a put's value and key) store exactly what the previous put stored under
 * the same key; records the new value's digest either way. Only single-key-path and
 * out-of-line keys are compared; anything else counts as a change.
 */
function isSameValue(
  written: Map<string, string>,
  db: string,
  store: StoreLike,
  args: readonly unknown[],
): boolean {
  const value = args[0];
  const key =
    store.keyPath === null
      ? args[1]
      : typeof store.keyPath === 'string' && typeof value === 'object' && value !== null
        ? (value as Record<string, unknown>)[store.keyPath]
        : undefined;
  if (key === undefined) return false;
  let digest: string;
  let slot: string;
  try {
    slot = `${db}\u0000${store.name}\u0000${createHash('sha1').update(serialize(key)).digest('hex')}`;
    digest = createHash('sha1').update(serialize(value)).digest('hex');
  } catch {
    return false;
  }
  const isSame = written.get(slot) === digest;
  written.set(slot, digest);
  return isSame;
}

/** The object store methods that change data (cursors' `update` and `delete` are marked too). */
const WRITE_METHODS = ['put', 'add', 'delete', 'clear'] as const;

/** The globals the wasm crypto looks up (it checks values against these constructors). */
const GLOBAL_NAMES = [
  'indexedDB',
  'IDBCursor',
  'IDBCursorWithValue',
  'IDBDatabase',
  'IDBFactory',
  'IDBIndex',
  'IDBKeyRange',
  'IDBObjectStore',
  'IDBOpenDBRequest',
  'IDBRequest',
  'IDBTransaction',
  'IDBVersionChangeEvent',
] as const;

let runtime: Promise<IndexedDbRuntime> | undefined;

/**
 * Installs `fake-indexeddb` as the global IndexedDB once per process (later calls return the
 * same runtime). A global IndexedDB already present (a browser-like test environment) is kept.
 */
export function installIndexedDb(): Promise<IndexedDbRuntime> {
  runtime ??= install();
  return runtime;
}

async function install(): Promise<IndexedDbRuntime> {
  const global = globalThis as Record<string, unknown>;
  if (global['indexedDB'] === undefined) {
    const fake = (await import('fake-indexeddb')) as unknown as Record<string, unknown>;
    for (const name of GLOBAL_NAMES) {
      // Writable and configurable, like the browser's own globals (and fake-indexeddb/auto).
      Object.defineProperty(globalThis, name, {
        value: fake[name],
        writable: true,
        configurable: true,
        enumerable: false,
      });
    }
  }
  const factory = global['indexedDB'] as IdbFactory;
  const dirty = new Set<string>();
  const objectStore = global['IDBObjectStore'] as PatchableStore | undefined;
  if (objectStore !== undefined) {
    const written = new Map<string, string>();
    for (const method of WRITE_METHODS) {
      const original = objectStore.prototype[method];
      if (typeof original !== 'function') continue;
      objectStore.prototype[method] = function (this: StoreLike, ...args: unknown[]): unknown {
        const db = this.transaction.db.name;
        // The crypto re-saves its unchanged account on every sync: a put of the very value
        // already stored under that key changes nothing and marks nothing.
        const isPut = method === 'put' || method === 'add';
        if (!isPut || !isSameValue(written, db, this, args)) dirty.add(db);
        return original.apply(this, args);
      };
    }
  }
  const cursor = global['IDBCursor'] as PatchableStore | undefined;
  if (cursor !== undefined) {
    for (const method of ['update', 'delete'] as const) {
      const original = cursor.prototype[method];
      if (typeof original !== 'function') continue;
      cursor.prototype[method] = function (
        this: { source: { transaction: { db: { name: string } } } },
        ...args: unknown[]
      ): unknown {
        dirty.add(this.source.transaction.db.name);
        return original.apply(this, args);
      };
    }
  }
  return {
    factory,
    takeDirty(prefix: string): boolean {
      let found = false;
      for (const name of dirty) {
        if (name.startsWith(prefix)) {
          dirty.delete(name);
          found = true;
        }
      }
      return found;
    },
    markDirty(prefix: string): void {
      dirty.add(prefix);
    },
  };
}
