// Type-checked lint (no `any`, no unsafe use of untyped values, floating promises caught) plus the dependency rule: job
// logic under shared/<job>/ never imports the Azure SDKs; only adapters (graph/, storage/, runtime/, http/) and triggers
// may, so a job can be tested against its ports and reused from any trigger.
import js from '@eslint/js';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const JOB_FOLDERS = [
  'shared/sync/**',
  'shared/phones/**',
  'shared/risk/**',
  'shared/tickets/**',
  'shared/tap/**',
  'shared/remediation/**',
  'shared/conditional-access/**',
  'shared/password-protection/**',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.azurite/**', '.local-data/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      eqeqeq: ['error', 'always'],
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: JOB_FOLDERS,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@azure/*'], message: 'Job logic talks to Azure through its ports, never the SDKs.' },
            {
              group: [
                '../graph/*',
                '!../graph/types',
                '../storage/*',
                '../ticketing/*',
                '!../ticketing/port',
                '../runtime/*',
                '../http/*',
              ],
              message: 'Jobs depend on their own ports; adapters are wired in shared/runtime.',
            },
          ],
        },
      ],
    },
  },
  {
    // Functions read top to bottom as a few named steps: a longer one is split (literal data builders excepted, each
    // marked where it is). Tests are exempt: a describe block is a list of cases, not a function to read.
    files: ['functions/**/*.ts', 'shared/**/*.ts', 'local/**/*.ts', 'bench/**/*.ts', 'console/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
