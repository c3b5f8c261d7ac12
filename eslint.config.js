import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // A key digest, or a proven key's bytes, compared with ===/!== leaks through timing how much of it
    // matched: sameDigest and sameKeyBytes (timingSafeEqual) compare them.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'BinaryExpression[operator=/^[!=]==?$/] > :matches(Identifier[name=/[Hh]ash|[Dd]igest|[Pp]roven/], MemberExpression[property.name=/[Hh]ash|[Dd]igest|[Pp]roven/], CallExpression[callee.name=/[Hh]ash|[Dd]igest|[Pp]roven/], CallExpression[callee.property.name=/[Hh]ash|[Dd]igest|[Pp]roven/], :matches(ChainExpression, TSNonNullExpression)[expression.property.name=/[Hh]ash|[Dd]igest|[Pp]roven/])',
          message:
            'Compare key digests with sameDigest and proven keys with sameKeyBytes (constant time, crypto.timingSafeEqual), never with ===/!==.',
        },
      ],
    },
  },
  {
    files: ['harness/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // node:test's describe/it return promises the runner itself awaits.
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
    },
  },
  { files: ['**/*.js', '**/*.mjs'], extends: [tseslint.configs.disableTypeChecked] },
);
