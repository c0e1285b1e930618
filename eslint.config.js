// ESLint flat config. The folder says where code runs (docs/architecture.md §2–3), and these
// rules reject imports in the wrong direction:
//   common/   pure TypeScript shared by every side: no Node, no DOM, no Electron, no gateway
//   gateway/  plain Node library and headless service: no Electron, no React, no DOM
//   renderer/ browser code: talks only to the API its preload (or the browser shell) exposes
//   main/     Electron composition root: may use gateway/ and common/, never renderer/
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { layersConfig } from './eslint.layers.js';

const NODE_BUILTINS = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'process',
  'readline',
  'stream',
  'tls',
  'url',
  'util',
  'worker_threads',
  'zlib',
  'timers',
  'v8',
  'vm',
  'perf_hooks',
];

const DOM_GLOBALS = ['window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'HTMLElement'].map(
  (name) => ({ name, message: 'gateway/ and common/ never touch the DOM (docs/architecture.md §2–3).' }),
);

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'release/**',
      'test-results/**',
      'playwright-report/**',
      'renderer/dist/**',
      'bench/results/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': [
        'error',
        { 'ts-ignore': true, 'ts-expect-error': 'allow-with-description' },
      ],
      'no-console': 'off',
    },
  },
  {
    files: ['common/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-globals': ['error', ...DOM_GLOBALS],
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron', 'react', ...NODE_BUILTINS].map((name) => ({
            name,
            message: 'common/ is pure TypeScript shared by every side: no Node, DOM, Electron or React.',
          })),
          patterns: [
            { group: ['node:*'], message: 'common/ must run anywhere: no Node built-ins.' },
            {
              group: ['**/gateway/**', '**/main/**', '**/renderer/**'],
              message: 'common/ depends on nothing.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['{gateway,simulator,host,service}/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-globals': ['error', ...DOM_GLOBALS],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'gateway/ is a plain Node library: it never imports Electron.' },
            { name: 'react', message: 'gateway/ has no UI.' },
            { name: 'react-dom', message: 'gateway/ has no UI.' },
          ],
          patterns: [
            { group: ['**/main/**', '**/renderer/**'], message: 'gateway/ never imports the app layers.' },
          ],
        },
      ],
    },
  },
  {
    files: ['main/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['**/renderer/**'], message: 'main/ talks to the renderer only over IPC.' }],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron', ...NODE_BUILTINS].map((name) => ({
            name,
            message: 'renderer/ runs sandboxed: it talks only to the domain API its preload exposes.',
          })),
          patterns: [
            { group: ['node:*'], message: 'renderer/ has no Node.' },
            {
              group: ['**/gateway/**', '**/main/**'],
              message: 'renderer/ reaches the engine only through the desk API.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['e2e/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.{ts,js,mjs}', '*.config.{ts,js}'],
    languageOptions: { globals: { ...globals.node } },
  },
  layersConfig(),
);
