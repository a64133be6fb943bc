// Lint rules. The boundary rules matter most: the pure core and the orchestrators must not do I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Wall-clock time and randomness break determinism (core) and replay (orchestrators).
const nondeterminism = [
  {
    object: 'Date',
    property: 'now',
    message: 'Take time as an argument (core) or from context.df.currentUtcDateTime (orchestrators).',
  },
  { object: 'Math', property: 'random', message: 'No randomness in deterministic code.' },
  {
    object: 'process',
    property: 'env',
    message: 'Config is read once in the composition root and injected.',
  },
];
const wallClockDate = [
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: 'new Date() reads the wall clock; take time as an argument.',
  },
  { selector: "CallExpression[callee.name='Date']", message: 'Date() reads the wall clock.' },
];

// Globals that do I/O, read the clock or draw randomness, whatever is imported.
const ioGlobals = [
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'queueMicrotask',
  'performance',
  'crypto',
  'process',
  'require',
  'Buffer',
  '__dirname',
  '__filename',
].map((name) => ({
  name,
  message: 'No I/O, timers, clock or randomness here: every side effect is an activity.',
}));

// What deterministic code may import at all: an allowlist, so a new module with I/O cannot slip in.
const onlyImports = (allowed, message) => ({
  patterns: [{ regex: `^(?!(${allowed.join('|')})$)`, message }],
});
const CORE_IMPORTS = ['\\./[\\w-]+', '\\.\\./plan/schema'];
const ORCHESTRATOR_IMPORTS = [
  '\\./[\\w-]+',
  '\\.\\./core/[\\w-]+',
  '\\.\\./durable/(contracts|activity-calls|retries)',
  '\\.\\./plan/schema',
  'durable-functions',
];
const CONTRACT_IMPORTS = ['\\.\\./core/[\\w-]+', '\\.\\./plan/schema'];

// What ships to Azure (functions/ and src/) never reaches into local/ (simulators, the in-process host, the
// demo) nor the packages only they use; local/ may import the product, never the other way round.
const PRODUCT_BOUNDARY = {
  patterns: [
    {
      regex: '(^|/)local(/|$)',
      message:
        'Product code never imports local/: the simulators, the local host and the demo stay out of the package.',
    },
    {
      regex: '^(rhea|selfsigned|tsx|@opentelemetry/exporter-(trace|metrics)-otlp-http)(/|$)',
      message: 'A local-only dependency (simulators, tsx): the Function App package does not have it.',
    },
  ],
};

// One composition root at the top: only it reads the environment, and nothing below it reaches up to it (it
// injects what each part needs). functions/ and local/ may import it; the CLI's root is bin/dr.js.
const COMPOSITION_ROOT = 'src/composition.ts';
const BELOW_THE_ROOT = {
  regex: '(^|/)composition$',
  message:
    'Only functions/ and local/ import the composition root: take what you need as a parameter, the root injects it.',
};
const ENV_AT_THE_ROOT = {
  object: 'process',
  property: 'env',
  message: 'Only the composition root (src/composition.ts) reads process.env: take settings as a parameter.',
};

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'bin/**', '**/*.mjs', '.package/**', '.tools/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'functions/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', PRODUCT_BOUNDARY] },
  },
  {
    files: ['src/**/*.ts'],
    ignores: [COMPOSITION_ROOT],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...PRODUCT_BOUNDARY.patterns, BELOW_THE_ROOT] }],
      'no-restricted-properties': ['error', ENV_AT_THE_ROOT],
      'no-restricted-syntax': [
        'error',
        {
          selector: "VariableDeclarator[init.type='Identifier'][init.name='process']",
          message: ENV_AT_THE_ROOT.message,
        },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/orchestrators/**/*.ts', 'src/durable/contracts.ts'],
    rules: {
      'no-restricted-properties': ['error', ...nondeterminism],
      'no-restricted-syntax': ['error', ...wallClockDate],
      'no-restricted-globals': ['error', ...ioGlobals],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        onlyImports(
          CORE_IMPORTS,
          'The pure core imports only itself and the plan types: pass data in, return commands out.',
        ),
      ],
    },
  },
  {
    files: ['src/orchestrators/**/*.ts'],
    rules: {
      // Orchestrators may import durable-functions (to yield through context.df) but nothing else with I/O.
      'no-restricted-imports': [
        'error',
        onlyImports(
          ORCHESTRATOR_IMPORTS,
          'Orchestrators only yield: they import the core, the durable contracts and durable-functions; every side effect is an activity.',
        ),
      ],
    },
  },
  {
    files: ['src/durable/contracts.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        onlyImports(
          CONTRACT_IMPORTS,
          'The contracts between orchestrators and activities are data: core and plan types only.',
        ),
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'vitest.config.mts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
