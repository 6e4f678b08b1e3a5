/** Bump to rebuild every index on the next start (the schema is created afresh). */
export const KNOWLEDGE_SCHEMA_VERSION = 1;

/** The knowledge index's tables (created afresh; there are no migrations for a cache). */
export const KNOWLEDGE_SCHEMA = `
  CREATE TABLE kb_files (
    collection TEXT NOT NULL,
    path TEXT NOT NULL,
    hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ms INTEGER NOT NULL,
    chunks INTEGER NOT NULL,
    settings TEXT NOT NULL,
    error TEXT,
    indexed_at INTEGER NOT NULL,
    PRIMARY KEY (collection, path)
  );
  CREATE TABLE kb_chunks (
    id INTEGER PRIMARY KEY,
    collection TEXT NOT NULL,
    fts_scope TEXT NOT NULL,
    path TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    text TEXT NOT NULL,
    vector BLOB,
    vector_model TEXT
  );
  CREATE INDEX kb_chunks_file ON kb_chunks(collection, path);
  CREATE VIRTUAL TABLE kb_chunks_fts USING fts5(
    text, path, fts_scope, content='kb_chunks', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
  );
  CREATE TRIGGER kb_chunks_fts_insert AFTER INSERT ON kb_chunks BEGIN
    INSERT INTO kb_chunks_fts(rowid, text, path, fts_scope) VALUES (new.id, new.text, new.path, new.fts_scope);
  END;
  CREATE TRIGGER kb_chunks_fts_delete AFTER DELETE ON kb_chunks BEGIN
    INSERT INTO kb_chunks_fts(kb_chunks_fts, rowid, text, path, fts_scope)
      VALUES ('delete', old.id, old.text, old.path, old.fts_scope);
  END;
`;
