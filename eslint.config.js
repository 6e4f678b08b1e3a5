// ESLint flat config. Folder direction and import cycles are checked by
// test/architecture.test.ts (see README "Architecture"); SDK confinement is checked here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nodePlugin from 'eslint-plugin-n';
import prettier from 'eslint-config-prettier';

/** Each SDK may be imported only inside its adapter folder. */
const sdkConfinement = [
  {
    name: 'matrix-bot-sdk',
    home: 'src/matrix',
    message:
      'matrix-bot-sdk lives in src/matrix only; use the capability interfaces from src/matrix/index.ts.',
  },
  {
    name: 'openai',
    home: 'src/llm',
    message: 'Provider SDKs live in src/llm only; use the ChatModel interface.',
  },
  {
    name: '@anthropic-ai/sdk',
    home: 'src/llm',
    message: 'Provider SDKs live in src/llm only; use the ChatModel interface.',
  },
  {
    name: 'better-sqlite3',
    home: 'src/storage',
    message:
      'better-sqlite3 lives in src/storage only; use a repository from src/storage/index.ts.',
  },
  { name: 'hono', home: 'src/http', message: 'hono lives in src/http only.' },
  { name: '@hono/node-server', home: 'src/http', message: 'hono lives in src/http only.' },
  {
    name: 'usearch',
    home: 'src/storage',
    message: 'usearch lives in src/storage only; use VectorSet / HybridSearch.',
  },
  {
    name: 'chokidar',
    home: ['src/config', 'src/knowledge'],
    message:
      'chokidar lives in src/config (ConfigWatcher) and src/knowledge (knowledge folder watching) only.',
  },
  {
    name: 'yaml',
    home: 'src/config',
    message: 'yaml lives in src/config only; use parseConfig / the config document API.',
  },
  {
    name: '@modelcontextprotocol/sdk',
    home: 'src/tools/mcp',
    message: 'The MCP SDK lives in src/tools/mcp only.',
  },
  {
    name: 'markdown-it',
    home: 'src/matrix',
    message: 'Markdown rendering lives in src/matrix (renderMarkdown).',
  },
];

/** Whether `folder` is (inside) one of the rule's home folders. */
const isHome = (rule, folder) =>
  (Array.isArray(rule.home) ? rule.home : [rule.home]).some((home) => folder.startsWith(home));

const restrictionsFor = (folder) =>
  sdkConfinement
    .filter((rule) => !isHome(rule, folder))
    .map((rule) => ({ name: rule.name, message: rule.message }));

const restrictedPatternsFor = (folder) =>
  sdkConfinement
    .filter((rule) => !isHome(rule, folder))
    .map((rule) => ({ group: [`${rule.name}/*`], message: rule.message }));

const folders = [
  'src/shared',
  'src/config',
  'src/storage',
  'src/matrix',
  'src/llm',
  'src/tools/mcp',
  'src/tools',
  'src/skills',
  'src/memory',
  'src/knowledge',
  'src/agents',
  'src/teams',
  'src/routing',
  'src/orchestrator',
  'src/http',
  'src/cli',
  'src/commands',
  'src/interactive',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'quorum_data/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { n: nodePlugin },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-unnecessary-condition': [
        'error',
        { allowConstantLoopConditions: true },
      ],
      'n/prefer-node-protocol': 'error',
      'no-console': 'error',
    },
  },
  ...folders.map((folder) => ({
    files: [`${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: restrictionsFor(folder), patterns: restrictedPatternsFor(folder) },
      ],
    },
  })),
  {
    files: [
      'src/cli/**/*.ts',
      'src/shared/logger.ts',
      'scripts/**/*.ts',
      'bench/**/*.ts',
      'test/support/console-guard.ts',
    ],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts', 'src/**/*.test.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Docker is not available to the tests, so this one test parses docker-compose.yml itself:
    // the only file outside src/config that may import yaml. Keep it after any rule confining
    // SDKs in test files, so it wins.
    files: ['test/docker-compose.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: sdkConfinement
            .filter((rule) => rule.name !== 'yaml')
            .map((rule) => ({ name: rule.name, message: rule.message })),
        },
      ],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { URL: 'readonly', process: 'readonly', console: 'readonly' } },
  },
  prettier,
);
