// One lint gate, and the rooms' rules (CONTRIBUTING.md, "The house"):
// - pure cores (model, certs, node, fix, fleet, rotate, attribute, ledger, audit, manifests, renew) do no
//   I/O, never read the clock, the process or randomness, and import no adapter, lab or cli;
// - the agent (loop, server, metrics: I/O of its own) imports no adapter, lab or cli either;
// - an adapter imports no other adapter, no cli, lab or agent, and from the cores only types (the
//   ports it implements) — values only from model and the pure parsers it maps bytes through
//   (certs, manifests, ledger);
// - nothing but cli imports cli: cli is the only composition root.
// test/lint/rooms.test.ts plants a violation of each and expects the error.
import tseslint from 'typescript-eslint';

const PURE_CORES = [
  'model',
  'certs',
  'node',
  'fix',
  'fleet',
  'rotate',
  'attribute',
  'ledger',
  'audit',
  'manifests',
  'renew',
];
const ADAPTERS = ['host', 'runtime', 'kube', 'prometheus'];
/** cores an adapter may take values from: shared types and the pure parsers it maps bytes through */
const ADAPTER_VALUE_CORES = ['model', 'certs', 'manifests', 'ledger'];

/** an import pattern for a room, whatever the importer's depth (`../x/`, `../../x/`, `./x/`) */
const room = (name) => [`**/${name}/*`, `**/${name}/**`, `${name}/*`, `${name}/**`];
const roomRule = (names, message, allowTypeImports = false) => ({
  group: names.flatMap(room),
  message,
  allowTypeImports,
});
const NOT_CLI = roomRule(['cli'], 'cli is the only composition root: nothing imports it');
const NO_ADAPTERS = roomRule(
  ['adapters', 'lab'],
  'a core depends on ports (node/ports.ts, …), never on an adapter',
);
/** what adapters/<name> may import: see the header */
function adapterImports(name, alsoValues = []) {
  const siblings = ADAPTERS.filter((a) => a !== name);
  // `../host/x.js` from adapters/kube names a sibling without the word `adapters`
  const others = [...siblings.map((a) => `adapters/${a}`), ...siblings.map((a) => `../${a}`)];
  const typeOnly = PURE_CORES.filter(
    (r) => !ADAPTER_VALUE_CORES.includes(r) && !alsoValues.includes(r),
  );
  return {
    patterns: [
      roomRule(
        others,
        'no adapter imports another: share through a port or the composition in cli',
      ),
      roomRule(['agent', 'lab'], 'an adapter implements ports; the agent and lab compose adapters'),
      roomRule(typeOnly, 'an adapter imports only types (ports) from a core', true),
      NOT_CLI,
    ],
  };
}
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
    files: PURE_CORES.map((r) => `src/${r}/**`),
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: IO_MODULES.map((name) => ({ name, message: 'pure folders do no I/O' })),
          patterns: [
            { group: ['@grpc/*', '@kubernetes/*'], message: 'pure folders do no I/O' },
            NO_ADAPTERS,
            NOT_CLI,
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
    files: ['src/agent/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [NO_ADAPTERS, NOT_CLI] }],
    },
  },
  ...ADAPTERS.map((name) => ({
    files: [`src/adapters/${name}/**`],
    ignores: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', adapterImports(name)] },
  })),
  // Adapters that still call a core's pure mapping on what they read (named, so none is added
  // unnoticed): the attribute knowledge sources map scan documents, ledgers and reports with
  // attribute's readers; the rotate client reads the fleet with fleet's parsers and the Lease
  // with rotate/lease's decision; the Prometheus gate asks rotate's judge; the served-certificate
  // source and the host's preset detection use node's endpoint table and presets. Moving each
  // call into its core, behind a port, is issue 19's remaining work.
  ...[
    ['host', 'src/adapters/host/knowledge-files.ts', ['attribute']],
    ['host', 'src/adapters/host/served-certs.ts', ['node']],
    ['host', 'src/adapters/host/node-files.ts', ['node']],
    ['host', 'src/adapters/host/manifest-host.ts', ['node']],
    ['kube', 'src/adapters/kube/report-knowledge.ts', ['attribute']],
    ['kube', 'src/adapters/kube/rotate-client.ts', ['fleet', 'rotate']],
    ['prometheus', 'src/adapters/prometheus/prometheus-query.ts', ['rotate']],
  ].map(([name, file, alsoValues]) => ({
    files: [file],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', adapterImports(name, alsoValues)],
    },
  })),
  {
    files: ['src/lab/**'],
    ignores: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [NOT_CLI] }] },
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
