// Lint rules. The boundary rules matter most: the pure core and the orchestrators must not do I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

// Anything that reaches the outside world: Azure SDKs, the Functions runtime, node built-ins, our adapters.
const ioImports = {
  paths: nodeBuiltins.map((name) => ({ name, message: 'No I/O here: pass data in, return commands out.' })),
  patterns: [
    {
      group: [
        '@azure/*',
        'durable-functions',
        'durable-functions/*',
        'rhea',
        'rhea-promise',
        'selfsigned',
        'tsx',
        'tsx/*',
      ],
      message: 'No SDK or runtime imports here.',
    },
    {
      group: ['**/adapters/**', '**/sim/**', '**/host/**', '**/cli/**', '**/activities/**'],
      message: 'The pure core does not depend on adapters, simulators, the host or the CLI.',
    },
  ],
};

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
const newDateWithoutArgs = {
  selector: "NewExpression[callee.name='Date'][arguments.length=0]",
  message: 'new Date() reads the wall clock; take time as an argument.',
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'bin/**', '**/*.mjs'] },
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
    files: ['src/core/**/*.ts', 'src/orchestrators/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', ioImports],
      'no-restricted-properties': ['error', ...nondeterminism],
      'no-restricted-syntax': ['error', newDateWithoutArgs],
    },
  },
  {
    files: ['src/orchestrators/**/*.ts'],
    rules: {
      // Orchestrators may import durable-functions (to yield through context.df) but nothing else with I/O.
      'no-restricted-imports': [
        'error',
        {
          paths: ioImports.paths,
          patterns: [
            {
              group: ['@azure/*', 'rhea', 'rhea-promise', 'selfsigned'],
              message: 'Orchestrators only yield: every side effect is an activity.',
            },
            ioImports.patterns[1],
          ],
        },
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
