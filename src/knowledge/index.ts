/**
 * knowledge/: knowledge bases (MindRoom's `knowledge_bases:`): folders watched and indexed in
 * the background (chunked with line ranges, embedded, FTS5), searched by the
 * `search_knowledge_base` tool and, optionally, put into prompts.
 */
export { chunkText } from './chunker.js';
export type { ChunkOptions, TextChunk } from './chunker.js';
export { readDocument } from './document-reader.js';
export type { DocumentContent, ReadDocumentOptions, TextExtractor } from './document-reader.js';
export {
  DEFAULT_TEXT_EXTENSIONS,
  extensionSet,
  fileFilter,
  scanFolder,
  statMember,
} from './folder-scanner.js';
export type { FileFilterOptions, ScanResult, ScannedFile } from './folder-scanner.js';
export { chokidarFolderWatcher } from './folder-watcher.js';
export type { FolderWatchHandlers, FolderWatcher, FolderWatcherFactory } from './folder-watcher.js';
export { KnowledgeBase, MAX_FILES_PER_BASE } from './knowledge-base.js';
export type { KnowledgeBaseDeps, KnowledgeBaseSnapshot, KnowledgeState } from './knowledge-base.js';
export {
  DEFAULT_KNOWLEDGE_CONTEXT_BYTES,
  KnowledgeContextProvider,
  citationOf,
  displayPath,
  fenced,
} from './knowledge-context.js';
export type { KnowledgeContextRequest, KnowledgeSection } from './knowledge-context.js';
export { KnowledgeManager, SEARCH_EMBED_TIMEOUT_MS } from './knowledge-manager.js';
export type { KnowledgeHit, KnowledgeManagerDeps } from './knowledge-manager.js';
export { KNOWLEDGE_SEARCH_TOOL, createKnowledgeTools } from './knowledge-tools.js';
export { MAX_PDF_PAGES, defaultExtractors, extractPdfText } from './pdf-text.js';
