// The architecture table (STYLE.md §2), read by test/architecture.test.ts (folder direction,
// index.ts imports, cycles, function length, turn claims) and by eslint.config.js (SDK
// confinement). Change the layout here, once.

/**
 * Top-level folders of src/ with their rank: a folder may import only folders of strictly
 * lower rank, through their index.ts.
 */
export const FOLDER_RANKS = {
  shared: 0,
  config: 1,
  storage: 2,
  matrix: 2,
  llm: 2,
  tools: 2,
  skills: 2,
  memory: 3,
  outbox: 3,
  ingress: 3,
  knowledge: 3,
  interactions: 3,
  agents: 4,
  teams: 4.5,
  routing: 5,
  commands: 5.5,
  // Below commands, so the schedule commands reach the ScheduleService through schedules/index.ts.
  schedules: 5.4,
  dispatch: 5.8,
  // Features beside the fleet (memory, knowledge), wired by the orchestrator into the turn seams.
  services: 5.9,
  orchestrator: 6,
  http: 7,
  cli: 8,
};

/**
 * Each SDK may be imported only inside its home folders (a folder of `FOLDER_RANKS`, or a
 * sub-folder such as `tools/mcp`). Every other folder of src/, and every test, gets an
 * ESLint error with `message` when it imports the SDK.
 */
export const SDK_HOMES = [
  {
    name: 'matrix-bot-sdk',
    homes: ['matrix'],
    message:
      'matrix-bot-sdk lives in src/matrix only; use the capability interfaces from src/matrix/index.ts.',
  },
  {
    name: 'openai',
    homes: ['llm'],
    message: 'Provider SDKs live in src/llm only; use the ChatModel interface.',
  },
  {
    name: '@anthropic-ai/sdk',
    homes: ['llm'],
    message: 'Provider SDKs live in src/llm only; use the ChatModel interface.',
  },
  {
    name: 'better-sqlite3',
    homes: ['storage'],
    message:
      'better-sqlite3 lives in src/storage only; use a repository from src/storage/index.ts.',
  },
  {
    name: '@matrix-org/matrix-sdk-crypto-wasm',
    homes: ['matrix'],
    message:
      'The Rust crypto lives in src/matrix only; encryption is invisible above the Matrix layer.',
  },
  {
    name: 'fake-indexeddb',
    homes: ['matrix'],
    message: 'The in-process IndexedDB backs the crypto store in src/matrix only.',
  },
  { name: 'hono', homes: ['http'], message: 'hono lives in src/http only.' },
  { name: '@hono/node-server', homes: ['http'], message: 'hono lives in src/http only.' },
  {
    name: 'chokidar',
    homes: ['config', 'knowledge'],
    message:
      'chokidar lives in src/config (ConfigWatcher) and src/knowledge (knowledge folder watching) only.',
  },
  {
    name: 'usearch',
    homes: ['storage'],
    message: 'usearch lives in src/storage only; use VectorSet / HybridSearch.',
  },
  {
    name: 'pdfjs-dist',
    homes: ['knowledge'],
    message: 'PDF reading lives in src/knowledge only (the knowledge file reader).',
  },
  {
    name: 'yaml',
    homes: ['config'],
    message: 'yaml lives in src/config only; use parseConfig / the config document API.',
  },
  {
    name: '@modelcontextprotocol/sdk',
    homes: ['tools/mcp'],
    message: 'The MCP SDK lives in src/tools/mcp only.',
  },
  {
    name: 'croner',
    homes: ['schedules'],
    message:
      'croner lives in src/schedules only; use the schedule rules from src/schedules/index.ts.',
  },
  {
    name: 'cronstrue',
    homes: ['schedules'],
    message: 'cronstrue lives in src/schedules only (describeSchedule).',
  },
  {
    name: 'markdown-it',
    homes: ['matrix'],
    message: 'Markdown rendering lives in src/matrix (renderMarkdown).',
  },
];

/** Longest function (in lines, signature to closing brace) allowed outside tests. */
export const MAX_FUNCTION_LINES = 80;

/** Most non-test source lines `src/orchestrator/` may hold: it wires, it does not decide. */
export const MAX_ORCHESTRATOR_LINES = 1_800;

/** The only file that claims turns (`.claim(` on the turn store); see DESIGN.md. */
export const TURN_CLAIM_HOME = 'dispatch/decision-executor.ts';
