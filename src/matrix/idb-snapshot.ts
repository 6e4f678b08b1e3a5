/**
 * Copies IndexedDB databases to and from plain values, so that the Rust crypto store (which
 * only knows IndexedDB) can live in an in-process IndexedDB (`fake-indexeddb`) and still
 * survive a restart: `dumpDatabases` reads every object store of the named databases (schema
 * and records), `restoreDatabases` recreates them in an empty factory. The values are what
 * IndexedDB itself stores (structured-clone data), so `node:v8` serialises them exactly.
 *
 * Only the standard IndexedDB API is used (through the minimal structural types below, since
 * the project compiles without the DOM library); the factory is injected so tests can use a
 * fresh one per case.
 */

/** A key IndexedDB accepts (numbers, strings, dates, binary, arrays of keys). */
export type IdbKey = number | string | Date | ArrayBufferView | ArrayBuffer | IdbKey[];

/** The part of `IDBRequest` used here. */
export interface IdbRequest<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** The part of `IDBOpenDBRequest` used here. */
export interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: ((event: unknown) => void) | null;
}

/** The part of `IDBIndex` used here. */
export interface IdbIndex {
  readonly keyPath: string | string[];
  readonly unique: boolean;
  readonly multiEntry: boolean;
}

/** The part of `IDBObjectStore` used here. */
export interface IdbObjectStore {
  readonly name: string;
  readonly keyPath: string | string[] | null;
  readonly autoIncrement: boolean;
  readonly indexNames: Iterable<string>;
  index(name: string): IdbIndex;
  getAll(): IdbRequest<unknown[]>;
  getAllKeys(): IdbRequest<IdbKey[]>;
  put(value: unknown, key?: IdbKey): unknown;
  createIndex(
    name: string,
    keyPath: string | string[],
    options: { unique: boolean; multiEntry: boolean },
  ): unknown;
}

/** The part of `IDBDatabase` used here. */
export interface IdbDatabase {
  readonly version: number;
  readonly objectStoreNames: Iterable<string>;
  transaction(names: string[], mode: 'readonly'): { objectStore(name: string): IdbObjectStore };
  createObjectStore(
    name: string,
    options: { keyPath: string | string[] | null; autoIncrement: boolean },
  ): IdbObjectStore;
  close(): void;
}

/** The part of `IDBFactory` used here. */
export interface IdbFactory {
  open(name: string, version?: number): IdbOpenRequest;
  deleteDatabase(name: string): IdbRequest<unknown>;
  databases(): Promise<{ name?: string; version?: number }[]>;
}

/** One index of an object store, as IndexedDB describes it. */
export interface IndexSchema {
  readonly name: string;
  readonly keyPath: string | string[];
  readonly unique: boolean;
  readonly multiEntry: boolean;
}

/** One object store: its schema and every record (keys and values in key order). */
export interface StoreSnapshot {
  readonly name: string;
  readonly keyPath: string | string[] | null;
  readonly autoIncrement: boolean;
  readonly indexes: readonly IndexSchema[];
  readonly keys: readonly IdbKey[];
  readonly values: readonly unknown[];
}

/** One database at one version. */
export interface DatabaseSnapshot {
  readonly name: string;
  readonly version: number;
  readonly stores: readonly StoreSnapshot[];
}

/** The database names in `factory` that start with `prefix`. */
export async function databaseNames(factory: IdbFactory, prefix: string): Promise<string[]> {
  const all = await factory.databases();
  return all
    .map((info) => info.name)
    .filter((name): name is string => name !== undefined && name.startsWith(prefix))
    .sort();
}

/**
 * Reads every database whose name starts with `prefix`. Each object store is read in its own
 * read-only transaction; callers that need a consistent picture call it while nothing writes
 * (the crypto layer serialises its writes and dumps between them).
 */
export async function dumpDatabases(
  factory: IdbFactory,
  prefix: string,
): Promise<DatabaseSnapshot[]> {
  const out: DatabaseSnapshot[] = [];
  for (const name of await databaseNames(factory, prefix)) {
    const db = await request(factory.open(name));
    try {
      const stores: StoreSnapshot[] = [];
      const names = [...db.objectStoreNames];
      if (names.length > 0) {
        const tx = db.transaction(names, 'readonly');
        for (const storeName of names) stores.push(await dumpStore(tx.objectStore(storeName)));
      }
      out.push({ name, version: db.version, stores });
    } finally {
      db.close();
    }
  }
  return out;
}

async function dumpStore(store: IdbObjectStore): Promise<StoreSnapshot> {
  const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
  const indexes = [...store.indexNames].map((indexName): IndexSchema => {
    const index = store.index(indexName);
    return {
      name: indexName,
      keyPath: index.keyPath,
      unique: index.unique,
      multiEntry: index.multiEntry,
    };
  });
  return {
    name: store.name,
    keyPath: store.keyPath,
    autoIncrement: store.autoIncrement,
    indexes,
    keys,
    values,
  };
}

/**
 * Recreates `snapshots` in `factory`. Each database must not exist yet (the caller restores
 * into a fresh process or deleted the old copies first).
 *
 * @throws Error when a database already exists at a higher version, or a record is invalid.
 */
export async function restoreDatabases(
  factory: IdbFactory,
  snapshots: readonly DatabaseSnapshot[],
): Promise<void> {
  for (const snapshot of snapshots) {
    const open = factory.open(snapshot.name, snapshot.version);
    open.onupgradeneeded = () => {
      const db = open.result;
      for (const store of snapshot.stores) restoreStore(db, store);
    };
    const db = await request(open);
    db.close();
  }
}

function restoreStore(db: IdbDatabase, snapshot: StoreSnapshot): void {
  const store = db.createObjectStore(snapshot.name, {
    keyPath: snapshot.keyPath,
    autoIncrement: snapshot.autoIncrement,
  });
  for (const index of snapshot.indexes) {
    store.createIndex(index.name, index.keyPath, {
      unique: index.unique,
      multiEntry: index.multiEntry,
    });
  }
  snapshot.keys.forEach((key, i) => {
    // In-line keys come from the value itself; out-of-line keys are given.
    if (snapshot.keyPath === null) store.put(snapshot.values[i], key);
    else store.put(snapshot.values[i]);
  });
}

/** Deletes every database whose name starts with `prefix`. */
export async function deleteDatabases(factory: IdbFactory, prefix: string): Promise<void> {
  for (const name of await databaseNames(factory, prefix)) {
    await request(factory.deleteDatabase(name));
  }
}

function request<T>(req: IdbRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => {
      resolve(req.result);
    };
    req.onerror = () => {
      reject(req.error instanceof Error ? req.error : new Error('IndexedDB request failed'));
    };
  });
}
