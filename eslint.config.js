// ESLint flat config. Folder direction, import cycles and function length are checked by
// test/architecture.test.ts; SDK confinement is checked here. Both read architecture.config.js.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nodePlugin from 'eslint-plugin-n';
import prettier from 'eslint-config-prettier';
import { FOLDER_RANKS, SDK_HOMES } from './architecture.config.js';

/**
 * SDK confinement, generated from the architecture table: every folder of src/ (and every
 * sub-folder that is an SDK's home, such as tools/mcp) may import only the SDKs whose home it is.
 */
const sdkFolders = [
  ...new Set([...Object.keys(FOLDER_RANKS), ...SDK_HOMES.flatMap((rule) => rule.homes)]),
].sort((a, b) => a.split('/').length - b.split('/').length);

const isHome = (folder, rule) =>
  rule.homes.some((home) => folder === home || folder.startsWith(`${home}/`));

const sdkConfinementFor = (folder) => {
  const foreign = SDK_HOMES.filter((rule) => !isHome(folder, rule));
  return {
    paths: foreign.map((rule) => ({ name: rule.name, message: rule.message })),
    patterns: foreign.map((rule) => ({ group: [`${rule.name}/*`], message: rule.message })),
  };
};

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
  // Sub-folders come after their parents, so a home such as tools/mcp overrides tools.
  ...sdkFolders.map((folder) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', sdkConfinementFor(folder)] },
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
          paths: SDK_HOMES.filter((rule) => rule.name !== 'yaml').map((rule) => ({
            name: rule.name,
            message: rule.message,
          })),
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
