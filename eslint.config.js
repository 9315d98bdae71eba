// Lint: type-aware rules (floating promises, exhaustive switches) over the whole TypeScript tree.
import { dirname, relative, resolve } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The client library (client/, issue #9) runs on users' machines and is used from other projects: it may import
 * node builtins, its own files and these leaf modules only, never a server context. The leaves import nothing but
 * node builtins and each other (client/boundary.test.ts follows every import to check it).
 */
const CLIENT_LEAVES = [
  'src/sharing/index.ts',
  'src/errors/index.ts',
  'src/trust/node-credentials.ts',
  'src/kernel/env/index.ts',
  'src/kernel/placement.ts',
];
const clientBoundary = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    const root = import.meta.dirname;
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string' || source.startsWith('node:')) return;
      const target = source.startsWith('.')
        ? relative(root, resolve(dirname(context.filename), source))
        : source;
      if (target.startsWith('client/') || CLIENT_LEAVES.includes(target)) return;
      context.report({
        node: node.source,
        message: `client/ may import node builtins, its own files and ${CLIENT_LEAVES.join(', ')} only, not ${source}`,
      });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

/**
 * Contexts meet at their front doors (issue #13): a file of src/<context>/ imports another context only through
 * an `index.ts` (the context's, or a sub-area's such as node/server/index.ts). Exceptions, each on purpose:
 * the shared kernel (src/kernel, src/platform) has no front door; and adapters are imported directly by the
 * composition roots (node, cli) so that no barrel pulls every adapter (a Kafka client, every KEK provider)
 * into processes that use none of them. Tests and testing/ helpers may reach inside what they test.
 */
const SHARED_KERNEL = ['src/kernel/', 'src/platform/'];
const ADAPTERS = ['src/log/kafka/', 'src/keys/kek/', 'src/keys/rotation/'];
const contextFrontDoor = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    const root = import.meta.dirname;
    const file = relative(root, context.filename);
    const own = file.split('/').slice(0, 2).join('/');
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = relative(root, resolve(dirname(context.filename), source));
      const [top, ctx] = target.split('/');
      if (top !== 'src' || `src/${ctx}` === own) return;
      if (target.endsWith('/index.ts')) return;
      if ([...SHARED_KERNEL, ...ADAPTERS].some((prefix) => target.startsWith(prefix))) return;
      context.report({
        node: node.source,
        message: `${own}/ imports src/${ctx}/ only through an index.ts (its front door), not ${source}`,
      });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.cache/**',
      '.dsv/**',
      'ui/dist/**',
      'client/dist/**',
      'test-output/**',
      'bin/**',
      'scripts/**/*.mjs',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    // Small files (issue 13): a source file past 500 lines of code wants splitting. Three files are past 400
    // today (node/dsv-node.ts 463, ui/src/screens/secret.tsx 434, view/view-store.ts 414): split them next,
    // then lower the cap to 400.
    files: ['src/**/*.ts', 'ui/src/**/*.{ts,tsx}'],
    ignores: ['**/*.test.ts'],
    rules: { 'max-lines': ['error', { max: 500, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**'],
    plugins: { dsvContexts: { rules: { 'context-front-door': contextFrontDoor } } },
    rules: { 'dsvContexts/context-front-door': 'error' },
  },
  {
    files: ['client/**/*.ts'],
    plugins: { dsv: { rules: { 'client-boundary': clientBoundary } } },
    rules: {
      'dsv/client-boundary': 'error',
      'max-lines': ['error', { max: 500, skipBlankLines: true, skipComments: true }],
    },
  },
);
