/**
 * The process's IndexedDB for the Rust crypto store. Node has no IndexedDB, and the wasm
 * crypto only stores through it, so the maintained in-memory implementation `fake-indexeddb`
 * is installed as the global IndexedDB (the wasm checks the global constructors, so all of
 * them are installed), and every read-write transaction marks its database dirty: the crypto
 * store file (crypto-store-file.ts) then writes a snapshot only when something changed.
 */
import type { IdbFactory } from './idb-snapshot.js';

/** The installed IndexedDB and what changed since the last look. */
export interface IndexedDbRuntime {
  readonly factory: IdbFactory;
  /**
   * True when a database whose name starts with `prefix` had a read-write transaction since
   * the previous call for that prefix; clears the mark.
   */
  takeDirty(prefix: string): boolean;
  /** Marks the databases of `prefix` dirty (after a restore, for example). */
  markDirty(prefix: string): void;
}

interface Patchable {
  prototype: { transaction: (...args: unknown[]) => unknown; name?: unknown };
}

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
  const database = global['IDBDatabase'] as Patchable | undefined;
  if (database !== undefined) {
    const original = database.prototype.transaction;
    // One wrapper per process: every read-write transaction marks its database.
    database.prototype.transaction = function (this: { name: string }, ...args: unknown[]) {
      if (args[1] === 'readwrite') dirty.add(this.name);
      return original.apply(this, args);
    };
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
