// One lint gate. The pure folders (certs, manifests, audit, checks, plan, report, usage) may not touch
// the file system, the network, processes or the clock: time comes in as a `now` parameter.
import tseslint from 'typescript-eslint';

const PURE = [
  'src/certs/**',
  'src/manifests/**',
  'src/audit/**',
  'src/checks/**',
  'src/plan/**',
  'src/report/**',
  'src/attribute/**',
  'src/ledger/**',
  'src/served/**',
  'src/usage/**',
  'src/rotate/**',
  'src/fleet/**',
];
const NO_EXIT = {
  selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']",
  message: 'only the CLI exits the process',
};
const IO_MODULES = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'http2',
  'child_process',
  'dgram',
  'dns',
  'os',
  'worker_threads',
  'cluster',
].flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '.bench/**',
      '.scratch/**',
      '.tools/**',
      '.build/**',
    ],
  },
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      // Exhaustiveness is checked with `never` in switch defaults where it matters.
      '@typescript-eslint/no-unnecessary-condition': [
        'error',
        { allowConstantLoopConditions: true },
      ],
      'no-empty': ['error', { allowEmptyCatch: false }],
      // Interface methods keep their full signature; unused parameters are marked with `_`.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['src/**'],
    ignores: ['src/cli/**', '**/*.test.ts'],
    rules: {
      'no-restricted-syntax': ['error', NO_EXIT],
    },
  },
  {
    files: PURE,
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: IO_MODULES.map((name) => ({ name, message: 'pure folders do no I/O' })),
          patterns: [
            { group: ['@grpc/*', '@kubernetes/*'], message: 'pure folders do no I/O' },
            {
              group: ['**/host/*', '**/runtime/*', '**/cluster/*', '**/cli/*'],
              message: 'pure folders depend on no edge',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'take `now` as a parameter',
        },
        {
          selector: "MemberExpression[object.name='Date'][property.name='now']",
          message: 'take `now` as a parameter',
        },
        {
          selector: "MemberExpression[object.name='process']",
          message: 'pure folders do not read the process',
        },
        {
          selector: "MemberExpression[object.name='Math'][property.name='random']",
          message: 'randomness is a parameter',
        },
        NO_EXIT,
      ],
    },
  },
  {
    // node:test's test()/describe() return promises that the runner itself awaits; the assert
    // helpers in arrow shorthands return void on purpose.
    files: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
