// One lint set-up for the whole workspace: typescript-eslint's type-aware recommended rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Package surfaces and store access (issue 12). A workspace package is imported through its public
 * entry (its package.json `exports`: `@flowgate/kit`, `@flowgate/kit/tracing` …), never through a
 * path into its folder; and only packages/store and packages/kit (plus tests) talk to MongoDB.
 */
const internals = [
  {
    group: ['@flowgate/*/src', '@flowgate/*/src/**'],
    message: "Import a workspace package through its public entry (its package.json 'exports'), not its internals.",
  },
  {
    regex: '^(\\.\\./)+(packages|services)/',
    message: "Import a workspace package by name ('@flowgate/<package>'), not by a relative path into its folder.",
  },
  {
    regex: '^(\\.\\./){2,}(contracts|core|kit|store|ingress|execution|scheduler|callback)/(src|test)(/|$)',
    message: "Import another workspace package by name ('@flowgate/<package>'), not by a relative path into its folder.",
  },
];
const mongodb = {
  name: 'mongodb',
  message: 'MongoDB is reached through the repositories of @flowgate/store (and the connection helpers of @flowgate/kit).',
};
/** A driver call on a collection of the store (`store.executions.findOne(…)`, `this.deps.store.timers.find(…)`): the repositories' job. */
const COLLECTION_METHODS =
  '/^(find|findOne|findOneAndUpdate|findOneAndReplace|findOneAndDelete|insertOne|insertMany|updateOne|updateMany|replaceOne|deleteOne|deleteMany|countDocuments|estimatedDocumentCount|aggregate|distinct|bulkWrite|watch)$/';
const rawCollectionCalls = ['object.name="store"', 'object.property.name="store"'].map((owner) => ({
  selector: `CallExpression > MemberExpression.callee[property.name=${COLLECTION_METHODS}] > MemberExpression.object[${owner}]`,
  message: 'Call a repository of @flowgate/store (e.g. findOwned… for an owner check) instead of a raw collection.',
}));
const restrictedImports = ({ mongo }) => ['error', { paths: mongo ? [] : [mongodb], patterns: internals }];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      'dist-*/**',
      '**/node_modules/**',
      '.tools/**',
      '.data/**',
      '.test-results/**',
      'packages/contracts/src/generated/**',
      'packages/client/src/generated/**',
      'helm/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs', 'packages/*/bin/*.mjs'],
          // The plain-JS scripts and configs (about a dozen): linted with the default project.
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/only-throw-error': 'off',
      'no-restricted-imports': restrictedImports({ mongo: false }),
    },
  },
  {
    // The store's repositories and kit's connection helpers are where MongoDB is spoken; tests set up
    // and inspect databases directly.
    files: ['packages/store/**/*.ts', 'packages/kit/**/*.ts', 'test/**/*.ts', '**/test/**/*.ts'],
    rules: { 'no-restricted-imports': restrictedImports({ mongo: true }) },
  },
  {
    // Services reach MongoDB through the store's repositories only (owner checks: findOwned…).
    files: ['services/*/src/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...rawCollectionCalls] },
  },
  {
    files: ['test/**/*.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' },
    },
  },
);
