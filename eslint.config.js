import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeOnly = ['fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'url', 'zlib', 'stream', 'util', 'process', 'buffer', 'events'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Node scripts (benchmarks, generators) run as plain ESM JavaScript.
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly', performance: 'readonly' },
    },
  },
  {
    // packages/core must run in browser workers: no Node-only modules or globals.
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/**/*.spec.ts', 'packages/core/src/testing/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', ...nodeOnly], message: 'packages/core is pure TypeScript: no Node-only APIs' }] }],
      'no-restricted-globals': ['error', { name: 'process', message: 'no Node globals in core' }, { name: 'Buffer', message: 'no Node globals in core' }, { name: 'require', message: 'ESM only' }],
    },
  },
);
